import Domain
import Foundation
import ReplicaCommands
import Testing

/// The CSV and JSON renderings of a report: bytes Excel opens, text that parses back to the
/// figures typed in the fixture, hostile unit names neutralised.
@Suite struct ReportRenderDataTests {
    typealias F = RenderFixture

    /// CSV rows keyed by indicator code (unwrapped from `="0101"`) and breakdown key.
    func rows(_ records: [[String]]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for record in records.dropFirst() {
            var code = record[3]
            if code.hasPrefix("=\""), code.hasSuffix("\"") { code = String(code.dropFirst(2).dropLast()) }
            result[code + "|" + record[6]] = record
        }
        return result
    }

    @Test func csvHasBOMAndCRLFAndParsesBackToTheFigures() throws {
        let data = ReportRender.csv(F.district())
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        #expect(text.hasSuffix("\r\n"))
        #expect(!text.hasPrefix("\u{FEFF}"))  // one BOM, not two
        let records = try #require(parseCSV(text), "not RFC 4180 with CRLF")
        #expect(records.allSatisfy { $0.count == 12 })
        #expect(records[0][0] == "Mã đơn vị" && records[0][8] == "Giá trị")
        let byKey = rows(records)

        let total = try #require(byKey["0201|"])
        #expect(total[0] == "176" && total[1] == "Huyện Mai Châu" && total[2] == "2026-H1")
        #expect(total[4] == "Số trẻ em" && total[7] == "Tổng số")
        #expect(total[8] == String(F.sum("0201")))  // 2534, no thousands separator
        #expect(total[9] == "2025-H2")
        #expect(total[10] == String(F.sum("0201", in: F.before)))
        #expect(total[11] == String(F.approvedChildren))
        for sex in ["F", "M"] {
            #expect(byKey["0201|sex=\(sex)"]?[8] == String(F.sum("0201", "sex=\(sex)")))
            #expect(byKey["0201|sex=\(sex)"]?[11] == "")  // unchanged since approved
            #expect(byKey["0101|sex=\(sex)"]?[8] == String(F.sum("0101", "sex=\(sex)")))
        }
        for unit in F.communes {
            #expect(byKey["0201|unit=\(unit)"]?[8] == String(F.sum("0201", over: [unit])))
            #expect(byKey["0201|unit=\(unit)"]?[10] == String(F.sum("0201", over: [unit], in: F.before)))
            #expect(byKey["0101|unit=\(unit)"]?[8] == String(F.sum("0101", over: [unit])))
        }
        // Shares: percent, one decimal, a point.
        let share = F.share(F.sum("0101"), F.sum("0201"))
        #expect(byKey["0102|"]?[8] == String(format: "%.1f", share))
        #expect(byKey["0203|unit=17608"]?[8] == String(format: "%.1f", F.share(790, 800)))
        #expect(byKey["0109|"]?[8] == "")  // no reports received: no denominator
        // Every figure is plain: digits, one decimal at most, or empty.
        for record in records.dropFirst() {
            for column in [8, 10, 11] {
                #expect(record[column].allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }, "\(record)")
            }
        }
    }

    @Test func csvQuotesEscapesAndNeutralisesFormulas() throws {
        let data = ReportRender.csv(F.district())
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        // The hostile name: a `'` before the `=`, quoted (it holds `"` and `,`), quotes doubled.
        let field = "\"'" + F.hostile.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        #expect(text.contains("," + field + ","))
        let records = try #require(parseCSV(text))
        let hostile = try #require(records.first { $0[6] == "unit=17611" })
        #expect(hostile[7] == "'" + F.hostile)
        // No field from data starts a formula; codes with a leading zero are kept as text.
        for record in records {
            for (column, value) in record.enumerated() where column != 3 {
                #expect(!["=", "+", "-", "@", "\t", "\r"].contains(value.unicodeScalars.first), "\(value)")
            }
            if record != records[0] { #expect(record[3].hasPrefix("=\"0") && record[3].count == 7) }
        }
        #expect(text.contains(",\"=\"\"0101\"\"\","))
        // A decomposed name stays what it was.
        #expect(records.contains { $0[6] == "unit=17608" && $0[7] == F.decomposed })
    }

    @Test func csvShowsHiddenCellsAsBelowTheThreshold() throws {
        let data = ReportRender.csv(F.district(threshold: 5), language: .en)
        let records = try #require(parseCSV(String(decoding: data.dropFirst(3), as: UTF8.self)))
        #expect(records[0][0] == "Unit code" && records[0][8] == "Value")
        let byKey = rows(records)
        #expect(byKey["0101|unit=17605"]?[8] == "<5")  // 3 children
        #expect(byKey["0101|unit=17605"]?[10] == "<5")  // 2 the half-year before
        for unit in F.communes {
            let shown = byKey["0101|unit=\(unit)"]?[8]
            #expect(shown == "<5" || shown == String(F.sum("0101", over: [unit])))
        }
        #expect(byKey["0101|"]?[8] == String(F.sum("0101")))
    }

    func json(_ document: ReportDocument) throws -> [String: Any] {
        let text = ReportRender.json(document)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func section(_ root: [String: Any], _ code: String) throws -> [String: Any] {
        let sections = try #require(root["sections"] as? [[String: Any]])
        return try #require(sections.first { $0["code"] as? String == code })
    }

    func row(_ section: [String: Any], _ key: String) throws -> [String: Any] {
        try #require((section["rows"] as? [[String: Any]])?.first { $0["key"] as? String == key })
    }

    @Test func jsonParsesAndItsValuesAreTheFigures() throws {
        let root = try json(F.district())
        #expect(root["format"] as? String == "tre-report" && root["version"] as? Int == 1)
        #expect((root["unit"] as? [String: Any])?["code"] as? String == "176")
        #expect((root["period"] as? [String: Any])?["code"] as? String == "2026-H1")
        #expect((root["period"] as? [String: Any])?["label_vi"] as? String == "6 tháng đầu năm 2026")
        #expect((root["previous_period"] as? [String: Any])?["code"] as? String == "2025-H2")
        #expect(root["generated"] as? String == "2026-07-04T18:30:00Z")
        #expect(root["bands"] as? String == "0-2,3-5,6-10,11-15")
        #expect(root["threshold"] is NSNull)
        #expect(root["from_aggregates"] as? [String] == ["17608"])

        let children = try section(root, "0201")
        #expect(children["name_vi"] as? String == "Số trẻ em" && children["name_en"] as? String == "Children")
        #expect(children["measure"] as? String == "count")
        let total = try row(children, "")
        #expect(total["value"] as? Int == F.sum("0201"))
        #expect(total["previous"] as? Int == F.sum("0201", in: F.before))
        #expect(total["approved"] as? Int == F.approvedChildren)
        #expect(try row(children, "sex=F")["value"] as? Int == F.sum("0201", "sex=F"))
        #expect(try row(children, "sex=F")["approved"] is NSNull)
        #expect(try row(children, "sex=F")["depth"] as? Int == 1)
        let units = try #require(children["by_unit"] as? [[String: Any]])
        #expect(units.map { $0["code"] as? String } == F.communes)
        #expect(units.map { $0["value"] as? Int } == F.communes.map { F.sum("0201", over: [$0]) })
        #expect(units.map { $0["name"] as? String } == ["Xã Pà Cò", F.decomposed, F.hostile])

        let abused = try section(root, "0102")
        #expect(abused["measure"] as? String == "share" && abused["numerator"] as? String == "0101")
        #expect(try row(abused, "")["value"] as? Double == F.share(F.sum("0101"), F.sum("0201")))
        let target = try #require(abused["target"] as? [String: Any])
        #expect(target["comparison"] as? String == "at_most" && target["percent"] as? Double == 4)
        #expect(target["year"] as? Int == 2030 && target["met"] as? Bool == true)
        let shares = try #require(abused["by_unit"] as? [[String: Any]])
        #expect(
            shares.map { $0["value"] as? Double }
                == F.communes.map { F.share(F.sum("0101", over: [$0]), F.sum("0201", over: [$0])) })
        #expect(try row(try section(root, "0109"), "")["value"] is NSNull)

        let approval = try #require(root["approval"] as? [String: Any])
        #expect(approval["status"] as? String == "approved" && approval["status_vi"] as? String == "Đã phê duyệt")
        let changes = try #require(approval["changes"] as? [[String: Any]])
        #expect(changes.count == 1)
        #expect(changes.first?["indicator"] as? String == "0201" && changes.first?["key"] as? String == "")
        #expect(changes.first?["then"] as? Int == F.approvedChildren && changes.first?["now"] as? Int == F.sum("0201"))
    }

    @Test func jsonShowsHiddenCellsAsAStringWithTheThreshold() throws {
        let root = try json(F.district(threshold: 5))
        #expect(root["threshold"] as? Int == 5)
        let abused = try section(root, "0101")
        let units = try #require(abused["by_unit"] as? [[String: Any]])
        #expect(units[0]["value"] as? String == "<5" && units[0]["previous"] as? String == "<5")
        for (unit, figure) in zip(F.communes, units) {
            let count = F.sum("0101", over: [unit])
            if let shown = figure["value"] as? Int {
                #expect(shown == count)
            } else {
                #expect(figure["value"] as? String == "<5")
            }
        }
        #expect(try row(abused, "")["value"] as? Int == F.sum("0101"))
        let share = try #require(try section(root, "0102")["by_unit"] as? [[String: Any]])
        #expect(share[0]["value"] as? String == "<5")  // 3 children abused: the share would tell
        #expect(root["approval"] is [String: Any])
        #expect(try json(F.commune("17605"))["approval"] is NSNull)
    }
}

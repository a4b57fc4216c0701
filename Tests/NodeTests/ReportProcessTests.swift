import Foundation
import TestSupport
import Testing

/// `tre-node report` and `tre-hub report` as people run them: every format written where it was
/// asked, bad input refused with what to type and nothing written, and a district's approval
/// loop with an edit afterwards shown beside the approved figure.
@Suite struct ReportProcessTests {
    static let units = """
        code,name,level,parent_code
        40,Tỉnh Nghệ An,province,
        415,Huyện Kỳ Sơn,district,40
        17605,Xã Mường Lống,commune,415
        17608,Xã Huồi Tụ,commune,415

        """

    @Test func aCommuneReportInEveryFormatAndRefusalsThatSayWhatToType() throws {
        let directory = try TemporaryDirectory()
        let node = directory.path("xa")
        _ = try Executables.node("init", "--dir", node, "--unit", "17605", "--name", "Xã Mường Lống")
        for (name, born, sex) in [("Vừ Thị Mỷ", "09/03/2014", "F"), ("Lò Văn Páo", "11/02/2016", "M")] {
            let added = try Executables.node(
                "child", "add", "--dir", node, "--name", name, "--sex", sex, "--born", born, "--village", "Bản A")
            #expect(added.status == 0, "\(added.stderr)")
        }
        let period = ["--period", "2026-H1"]
        let asJSON = try Executables.node(
            ["report", "--dir", node, "--format", "json", "--indicator", "0201"] + period)
        #expect(asJSON.status == 0, "\(asJSON.stderr)")
        let document = try #require(try json(asJSON) as? [String: Any])
        let sections = try #require(document["sections"] as? [[String: Any]])
        #expect(sections.count == 1)
        let rows = try #require(sections.first?["rows"] as? [[String: Any]])
        #expect(rows.first { $0["key"] as? String == "" }?["value"] as? Int == 2)
        #expect(rows.first { $0["key"] as? String == "sex=F" }?["value"] as? Int == 1)

        let csv = directory.path("bao-cao.csv")
        #expect(try Executables.node(["report", "--dir", node, "--format", "csv", "--out", csv] + period).status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: csv))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: bytes, as: UTF8.self).contains("\r\n"))
        let html = directory.path("bao-cao.html")
        #expect(
            try Executables.node(["report", "--dir", node, "--format", "html", "--out", html] + period).status == 0)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") && page.contains("Xã Mường Lống"))
        #expect(page.contains("@page"))
        let charts = directory.path("charts")
        #expect(
            try Executables.node(["report", "--dir", node, "--format", "svg", "--out", charts] + period).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: charts).contains("0201.svg"))
        // The table, in English, with the half-year before beside.
        let table = try Executables.node(["report", "--dir", node, "--lang", "en", "--indicator", "0201"] + period)
        #expect(table.stdout.contains("first half of 2026") && table.stdout.contains("second half of 2025"))

        // Bad input: what is wrong and what to type, exit 1, nothing written.
        for (arguments, says) in [
            (["--period", "2026-H3"], "2026-H1"), (["--bands", "0-3,5-15"], "0-2,3-5"),
            (["--threshold", "3"], "--publish"), (["--indicator", "9999"], "0101"),
            (["--format", "svg"], "--out"),
        ] as [([String], String)] {
            let refused = try Executables.node(["report", "--dir", node] + arguments)
            #expect(refused.status == 1, "\(arguments)")
            #expect(refused.stderr.contains(says), "\(arguments): \(refused.stderr)")
        }
        let nowhere = try Executables.node(
            ["report", "--dir", node, "--format", "csv", "--out", directory.path("no/such/folder/r.csv")] + period)
        #expect(nowhere.status == 1 && nowhere.stderr.contains("no/such/folder"))

        // Published: the two children are counts under 5.
        let published = try Executables.node(
            ["report", "--dir", node, "--format", "json", "--indicator", "0201", "--publish"] + period)
        let hidden = try #require(
            ((try json(published) as? [String: Any])?["sections"] as? [[String: Any]])?.first?["rows"]
                as? [[String: Any]])
        #expect(hidden.first { $0["key"] as? String == "" }?["value"] as? String == "<5")
    }

    @Test func aDistrictApprovesAReportAndSeesAnEditMadeAfterwards() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("district.sqlite")
        let units = directory.path("units.csv")
        try Self.units.write(toFile: units, atomically: true, encoding: .utf8)
        #expect(try Executables.hub("init", "--db", db, "--unit", "415", "--name", "Huyện Kỳ Sơn").status == 0)
        #expect(try Executables.hub("units", "import", "--db", db, units).status == 0)
        for (unit, name) in [("17605", "Vừ Thị Mỷ"), ("17605", "Lò Văn Páo"), ("17608", "Hà Thị Nga")] {
            let put = try Executables.hub(
                ["record", "put", "--db", db, "children", "--unit", unit] + Sample.child(name))
            #expect(put.status == 0, "\(put.stderr)")
        }
        let period = ["--period", "2026-H1"]
        func total(_ unit: String) throws -> (Int?, [[String: Any]]) {
            let result = try Executables.hub(
                ["report", "--db", db, "--unit", unit, "--format", "json", "--indicator", "0201"] + period)
            let document = try #require(try json(result) as? [String: Any])
            let rows = (document["sections"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]] ?? []
            let changes = (document["approval"] as? [String: Any])?["changes"] as? [[String: Any]] ?? []
            return (rows.first { $0["key"] as? String == "" }?["value"] as? Int, changes)
        }
        #expect(try total("415").0 == 3)
        #expect(try total("17605").0 == 2)
        let outside = try Executables.hub(["report", "--db", db, "--unit", "99999"] + period)
        #expect(outside.status == 1 && outside.stderr.contains("units list"))

        // Nothing to approve before a submission; the district never approves its own.
        #expect(try Executables.hub(["report", "approve", "--db", db, "--unit", "17605"] + period).status == 1)
        #expect(
            try Executables.hub(["report", "submit", "--db", db, "--unit", "17605", "--by", "Xã"] + period).status == 0)
        #expect(try Executables.hub(["report", "approve", "--db", db, "--unit", "415"] + period).status == 1)
        let approved = try Executables.hub(
            ["report", "approve", "--db", db, "--unit", "17605", "--by", "Trưởng phòng"] + period)
        #expect(approved.status == 0, "\(approved.stderr)")
        let status = try #require(
            try json(try Executables.hub(["report", "status", "--db", db, "--json"] + period)) as? [String: Any])
        let rows = try #require(status["units"] as? [[String: String]])
        #expect(rows.first { $0["unit"] == "17605" }?["status"] == "approved")
        #expect(rows.first { $0["unit"] == "17608" }?["status"] == "not_submitted")

        // A child registered late: kept, and shown beside the approved figure.
        #expect(
            try Executables.hub(
                ["record", "put", "--db", db, "children", "--unit", "17605"] + Sample.child("Giàng A Tủa", sex: "M")
            ).status == 0)
        let (now, changes) = try total("17605")
        #expect(now == 3)
        #expect(changes.contains { $0["indicator"] as? String == "0201" && $0["key"] as? String == "" })
        let returned = try Executables.hub(
            ["report", "return", "--db", db, "--unit", "17605", "--reason", "Thiếu trẻ mới", "--by", "Trưởng phòng"]
                + period)
        #expect(returned.status == 0)
        let text = try Executables.hub(["report", "status", "--db", db] + period).stdout
        #expect(text.contains("Bị trả lại") && text.contains("Thiếu trẻ mới"))
    }
}

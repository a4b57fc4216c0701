import Domain
import Foundation
import Testing

/// A district (Huyện Mai Châu) with three communes and figures typed by hand for 2026-H1 and
/// 2025-H2; one commune's name is hostile (a leading `=`, quotes, `<`, `>`, `&`, `'`, a comma)
/// and one is stored decomposed (NFD). Every expected value in the render tests is worked out
/// from these inputs, never read back from the renderer.
enum RenderFixture {
    static let period = ReportPeriod.halfYear(year: 2026, half: 1)
    /// 2026-07-04 18:30 UTC is 01:30 on 5 July in Vietnam.
    static let generated = moment("2026-07-04T18:30:00Z")
    static let hostile = "=cmd|' /C calc'!A0 \"Tân\" <Sơn> & Co, Ltd"
    static let decomposed = "Xã Tà Xùa".decomposedStringWithCanonicalMapping
    static let communes = ["17605", "17608", "17611"]

    static let tree = UnitTree([
        .init(code: "17", name: "Tỉnh Hòa Bình", parent: nil),
        .init(code: "176", name: "Huyện Mai Châu", parent: "17"),
        .init(code: "17605", name: "Xã Pà Cò", parent: "176"),
        .init(code: "17608", name: decomposed, parent: "176"),
        .init(code: "17611", name: hostile, parent: "176"),
    ])

    /// unit → indicator → key → count, this period.
    static let now: [String: [String: [String: Int]]] = [
        "17605": [
            "0201": ["": 1234, "sex=F": 600, "sex=M": 634], "0101": ["": 3, "sex=F": 2, "sex=M": 1],
            "0202": ["": 1200],
        ],
        "17608": [
            "0201": ["": 800, "sex=F": 390, "sex=M": 410], "0101": ["": 40, "sex=F": 25, "sex=M": 15],
            "0202": ["": 790],
        ],
        "17611": [
            "0201": ["": 500, "sex=F": 260, "sex=M": 240], "0101": ["": 12, "sex=F": 7, "sex=M": 5],
            "0202": ["": 500],
        ],
    ]

    /// The previous period (2025-H2): totals only.
    static let before: [String: [String: [String: Int]]] = [
        "17605": ["0201": ["": 1220], "0101": ["": 2]],
        "17608": ["0201": ["": 790], "0101": ["": 30]],
        "17611": ["0201": ["": 495], "0101": ["": 10]],
    ]

    /// The total of 0201 when the district's report was approved: 4 fewer than now.
    static let approvedChildren = 2530

    static func figures(_ input: [String: [String: [String: Int]]]) -> Figures {
        var figures = Figures()
        for (unit, indicators) in input {
            for (indicator, cells) in indicators {
                for (key, count) in cells { figures.add(count, unit: unit, indicator: indicator, key: key) }
            }
        }
        return figures
    }

    /// A cell summed over `units` in the inputs.
    static func sum(
        _ indicator: String, _ key: String = "", over units: [String] = communes,
        in input: [String: [String: [String: Int]]] = now
    ) -> Int {
        units.reduce(0) { $0 + (input[$1]?[indicator]?[key] ?? 0) }
    }

    /// A share as every format rounds it: percent, one decimal, half away from zero.
    static func share(_ numerator: Int, _ denominator: Int) -> Double {
        (Double(numerator) * 1000 / Double(denominator)).rounded() / 10
    }

    /// The district's report, approved with 0201's total at 2530, 17608 from aggregates.
    static func district(threshold: Int? = nil) -> ReportDocument {
        var approved: [String: Int] = [:]
        for unit in communes {
            for (indicator, cells) in now[unit]! {
                for (key, count) in cells { approved["\(indicator)|\(key)", default: 0] += count }
            }
        }
        approved["0201|"] = approvedChildren
        let approval = ReportBuilder.ApprovalState(
            status: "approved", submittedAt: "2026-07-01T02:00:00Z", submittedBy: "Lò Thị Mai",
            decidedAt: "2026-07-02T03:00:00Z", decidedBy: "Hà Văn Chủ", reason: nil, figures: approved)
        return ReportBuilder(tree: tree, bands: .standard, threshold: threshold).build(
            unit: "176", period: period, current: figures(now), previous: figures(before), generated: generated,
            approval: approval, fromAggregates: ["17608"])
    }

    /// A commune's own report: no units below, no approval.
    static func commune(_ code: String) -> ReportDocument {
        ReportBuilder(tree: tree, bands: .standard).build(
            unit: code, period: period, current: figures(now), previous: figures(before), generated: generated)
    }

    /// `&`, `<`, `>`, `"`, `'` as the tests expect them escaped.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}

/// RFC 4180, strictly: records end with CRLF (a bare CR or LF outside quotes is an error), a
/// field is quoted when it starts with `"`, and `""` inside quotes is one quote.
func parseCSV(_ text: String) -> [[String]]? {
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var quoted = false
    var fieldStarted = false
    var scalars = Array(text.unicodeScalars)[...]
    while let scalar = scalars.popFirst() {
        if quoted {
            if scalar == "\"" {
                if scalars.first == "\"" {
                    scalars.removeFirst()
                    field.unicodeScalars.append("\"")
                } else {
                    quoted = false
                }
            } else {
                field.unicodeScalars.append(scalar)
            }
            continue
        }
        switch scalar {
        case "\"" where !fieldStarted:
            quoted = true
            fieldStarted = true
        case "\"": return nil  // a quote inside an unquoted field
        case ",":
            record.append(field)
            field = ""
            fieldStarted = false
        case "\r":
            guard scalars.popFirst() == "\n" else { return nil }
            record.append(field)
            records.append(record)
            record = []
            field = ""
            fieldStarted = false
        case "\n": return nil
        default:
            field.unicodeScalars.append(scalar)
            fieldStarted = true
        }
    }
    guard !quoted, record.isEmpty, field.isEmpty else { return nil }  // the last record ends with CRLF
    return records
}

public import Domain
import Foundation

extension ReportRender {
    /// The report as one JSON object, keys sorted, in both languages (so it takes none). Its
    /// shape, version 1:
    ///
    /// ```
    /// { "format": "tre-report", "version": 1,
    ///   "unit": {"code", "name", "parent"},
    ///   "period", "previous_period": {"code": "2026-H1", "label_vi", "label_en", "start", "end"},
    ///   "generated": "2026-07-05T02:00:00Z",          // UTC, RFC 3339
    ///   "bands": "0-2,3-5,6-10,11-15",
    ///   "threshold": 5,                               // null: exact figures
    ///   "approval": null | {"status", "status_vi", "status_en", "submitted_at", "submitted_by",
    ///                       "decided_at", "decided_by", "reason",
    ///                       "changes": [{"indicator", "key", "then", "now"}]},
    ///   "from_aggregates": ["17608"],
    ///   "sections": [{"code": "0102", "name_vi", "name_en", "measure": "count" | "share",
    ///                 "numerator", "denominator",     // codes, shares only
    ///                 "unit_vi", "unit_en",           // unit of measure
    ///                 "target": null | {"comparison": "at_most" | "at_least", "percent", "year",
    ///                                   "source_vi", "source_en", "met": true | false | null},
    ///                 "rows": [{"key": "sex=F", "label_vi", "label_en", "depth", "value",
    ///                           "previous", "approved"}],
    ///                 "by_unit": [{"code", "name", "value", "previous"}]}] }
    /// ```
    ///
    /// A value (`value`, `previous`) is one of three things, everywhere: a number — a count, or a
    /// share in percent rounded to one decimal as the printed report shows it (the exact share
    /// follows from its numerator and denominator sections); `null` — a share whose denominator
    /// is zero; or the string `"<5"` — a cell hidden by suppression, `<` and the threshold, as
    /// the printed report shows it. A string rather than a flag, so a program that expects a
    /// number fails on a hidden cell instead of reading it as zero or as missing. `approved` is
    /// the count approved or submitted when the figure changed since, else null; `met` whether
    /// the total meets the target (null for a count or a total that cannot tell).
    public static func json(_ document: ReportDocument) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        let data = (try? encoder.encode(ReportJSON(document))) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// The JSON document of `ReportRender.json`.
struct ReportJSON: Encodable {
    /// A value: a number, null, or `"<T"` when hidden.
    struct Value: Encodable {
        let cell: ReportDocument.Cell
        let threshold: Int?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch cell {
            case .count(let value): try container.encode(value)
            case .share(let value?): try container.encode(Double(ReportStyle.tenths(value)) / 10)
            case .share(nil): try container.encodeNil()
            case .suppressed: try container.encode("<\(threshold.map(String.init) ?? "")")
            }
        }
    }

    struct Unit: Encodable {
        let code: String
        let name: String
        let parent: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(code, forKey: "code")
            try container.encode(name, forKey: "name")
            try container.encode(parent, forKey: "parent")
        }
    }

    struct Period: Encodable {
        let code: String
        let labelVi: String
        let labelEn: String
        let start: String
        let end: String

        init(_ period: ReportPeriod) {
            code = period.description
            labelVi = period.label.vi
            labelEn = period.label.en
            start = period.start.description
            end = period.end.description
        }

        enum CodingKeys: String, CodingKey {
            case code, start, end
            case labelVi = "label_vi"
            case labelEn = "label_en"
        }
    }

    let document: ReportDocument

    init(_ document: ReportDocument) { self.document = document }

    struct Key: CodingKey, ExpressibleByStringLiteral {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        init(stringLiteral value: String) { stringValue = value }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode("tre-report", forKey: "format")
        try container.encode(1, forKey: "version")
        try container.encode(
            Unit(code: document.unit.code, name: document.unit.name, parent: document.unit.parent), forKey: "unit")
        try container.encode(Period(document.period), forKey: "period")
        try container.encode(Period(document.previous), forKey: "previous_period")
        try container.encode(Instant.format(document.generated), forKey: "generated")
        try container.encode(document.bands.description, forKey: "bands")
        try container.encode(document.threshold, forKey: "threshold")
        try container.encode(document.fromAggregates, forKey: "from_aggregates")
        if let approval = document.approval {
            var nested = container.nestedContainer(keyedBy: Key.self, forKey: "approval")
            let label = Enumerations.approvalStatus.value(approval.status)?.label
            try nested.encode(approval.status, forKey: "status")
            try nested.encode(label?.vi ?? approval.status, forKey: "status_vi")
            try nested.encode(label?.en ?? approval.status, forKey: "status_en")
            try nested.encode(approval.submittedAt, forKey: "submitted_at")
            try nested.encode(approval.submittedBy, forKey: "submitted_by")
            try nested.encode(approval.decidedAt, forKey: "decided_at")
            try nested.encode(approval.decidedBy, forKey: "decided_by")
            try nested.encode(approval.reason, forKey: "reason")
            var changes = nested.nestedUnkeyedContainer(forKey: "changes")
            for change in approval.changes {
                var item = changes.nestedContainer(keyedBy: Key.self)
                try item.encode(change.indicator, forKey: "indicator")
                try item.encode(change.key, forKey: "key")
                try item.encode(change.then, forKey: "then")
                try item.encode(change.now, forKey: "now")
            }
        } else {
            try container.encodeNil(forKey: "approval")
        }
        var sections = container.nestedUnkeyedContainer(forKey: "sections")
        for section in document.sections { try encode(section, into: &sections) }
    }

    private func encode(_ section: ReportDocument.Section, into sections: inout some UnkeyedEncodingContainer) throws {
        let threshold = document.threshold
        let indicator = section.indicator
        var item = sections.nestedContainer(keyedBy: Key.self)
        try item.encode(indicator.code, forKey: "code")
        try item.encode(indicator.name.vi, forKey: "name_vi")
        try item.encode(indicator.name.en, forKey: "name_en")
        try item.encode(indicator.unitName.vi, forKey: "unit_vi")
        try item.encode(indicator.unitName.en, forKey: "unit_en")
        switch indicator.measure {
        case .count:
            try item.encode("count", forKey: "measure")
        case .share(let numerator, let denominator):
            try item.encode("share", forKey: "measure")
            try item.encode(numerator, forKey: "numerator")
            try item.encode(denominator, forKey: "denominator")
        }
        if let target = section.target {
            var nested = item.nestedContainer(keyedBy: Key.self, forKey: "target")
            try nested.encode(target.comparison.rawValue, forKey: "comparison")
            try nested.encode(target.percent, forKey: "percent")
            try nested.encode(target.year, forKey: "year")
            try nested.encode(target.source.vi, forKey: "source_vi")
            try nested.encode(target.source.en, forKey: "source_en")
            try nested.encode(ReportStyle(document, .vi).met(section), forKey: "met")
        } else {
            try item.encodeNil(forKey: "target")
        }
        var rows = item.nestedUnkeyedContainer(forKey: "rows")
        for row in section.rows {
            var nested = rows.nestedContainer(keyedBy: Key.self)
            try nested.encode(row.key, forKey: "key")
            try nested.encode(row.label.vi, forKey: "label_vi")
            try nested.encode(row.label.en, forKey: "label_en")
            try nested.encode(row.depth, forKey: "depth")
            try nested.encode(Value(cell: row.value, threshold: threshold), forKey: "value")
            try nested.encode(Value(cell: row.previous, threshold: threshold), forKey: "previous")
            try nested.encode(row.approved, forKey: "approved")
        }
        var units = item.nestedUnkeyedContainer(forKey: "by_unit")
        for figure in section.byUnit {
            var nested = units.nestedContainer(keyedBy: Key.self)
            try nested.encode(figure.unit.code, forKey: "code")
            try nested.encode(figure.unit.name, forKey: "name")
            try nested.encode(Value(cell: figure.value, threshold: threshold), forKey: "value")
            try nested.encode(Value(cell: figure.previous, threshold: threshold), forKey: "previous")
        }
    }
}

public import Foundation

/// One unit's report for a period, ready to print: every indicator with its total and
/// breakdowns, the previous period beside each figure, the units below it, the target, and —
/// once approved — the figures that changed since. Renderers (table, CSV, JSON, SVG, HTML) only
/// lay it out.
public struct ReportDocument: Sendable {
    public enum Cell: Sendable, Hashable {
        case count(Int)
        /// A share in percent; nil when its denominator is zero.
        case share(Double?)
        /// Hidden by small-count suppression: shown as "<threshold".
        case suppressed

        public var count: Int? {
            if case .count(let value) = self { return value }
            return nil
        }
    }

    public struct Row: Sendable {
        /// "" the total, `sex=F`, `sex=F,age=6-10`.
        public let key: String
        public let label: Localized
        /// 0 the total, 1 a breakdown cell, 2 a cell of a cross of two dimensions.
        public let depth: Int
        public let value: Cell
        public let previous: Cell
        /// The figure as it was approved (or submitted), when it is not the same now.
        public let approved: Int?
    }

    public struct UnitFigure: Sendable {
        public let unit: UnitTree.Unit
        public let value: Cell
        public let previous: Cell
    }

    public struct Section: Sendable {
        public let indicator: Indicator
        public let target: Target?
        public let rows: [Row]
        /// The units directly below, each with its total (and the unit's own records first, when
        /// it owns any): what the chart draws.
        public let byUnit: [UnitFigure]

        public var total: Row { rows[0] }
    }

    public struct Approval: Sendable, Hashable {
        public let status: String
        public let submittedAt: String?
        public let submittedBy: String?
        public let decidedAt: String?
        public let decidedBy: String?
        public let reason: String?
        /// Cells whose figure is not the one approved (or submitted): indicator, key, then, now.
        public let changes: [Change]

        public struct Change: Sendable, Hashable {
            public let indicator: String
            public let key: String
            public let then: Int
            public let now: Int
        }

        public init(
            status: String, submittedAt: String?, submittedBy: String?, decidedAt: String?, decidedBy: String?,
            reason: String?, changes: [Change]
        ) {
            self.status = status
            self.submittedAt = submittedAt
            self.submittedBy = submittedBy
            self.decidedAt = decidedAt
            self.decidedBy = decidedBy
            self.reason = reason
            self.changes = changes
        }
    }

    public let unit: UnitTree.Unit
    public let period: ReportPeriod
    public let previous: ReportPeriod
    public let generated: Date
    public let bands: AgeBands
    /// The suppression threshold when the tables are published; nil for the exact figures.
    public let threshold: Int?
    public let sections: [Section]
    public let approval: Approval?
    /// Units whose figures came from a lower hub's aggregates rather than records.
    public let fromAggregates: [String]

    /// The section of `code`.
    public func section(_ code: String) -> Section? { sections.first { $0.indicator.code == code } }

    /// The same document with only the indicator `code`.
    public func only(_ code: String) -> ReportDocument {
        ReportDocument(
            unit: unit, period: period, previous: previous, generated: generated, bands: bands, threshold: threshold,
            sections: sections.filter { $0.indicator.code == code }, approval: approval, fromAggregates: fromAggregates)
    }
}

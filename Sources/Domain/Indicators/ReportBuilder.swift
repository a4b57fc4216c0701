public import Foundation

/// Lays a unit's figures out as a `ReportDocument`: the unit's subtree summed, its units below,
/// shares from their two counts, the previous period beside, suppression when published.
public struct ReportBuilder: Sendable {
    public let tree: UnitTree
    public let bands: AgeBands
    /// The suppression threshold (cells under it hidden); nil for exact figures.
    public let threshold: Int?

    public init(tree: UnitTree, bands: AgeBands, threshold: Int? = nil) {
        self.tree = tree
        self.bands = bands
        self.threshold = threshold
    }

    /// The approved or submitted figures of a report: every count cell that is not zero.
    public static func snapshot(_ cells: [String: [String: Int]]) -> [String: Int] {
        var result: [String: Int] = [:]
        for (indicator, values) in cells {
            for (key, value) in values where value != 0 { result[indicator + "|" + key] = value }
        }
        return result
    }

    /// The cells of `unit`'s subtree in `figures`.
    public func cells(of unit: String, in figures: Figures) -> [String: [String: Int]] {
        figures.sum(over: tree.subtree(of: unit))
    }

    public struct ApprovalState: Sendable {
        public let status: String
        public let submittedAt, submittedBy, decidedAt, decidedBy, reason: String?
        /// indicator|key → value, as approved while an approval stands, else as submitted: what
        /// the report now is compared with.
        public let figures: [String: Int]
        /// As approved (the approver's own field), when the report was approved and not returned
        /// since — also when its unit wrote it back to "submitted".
        public let approvedFigures: [String: Int]?

        public init(
            status: String, submittedAt: String?, submittedBy: String?, decidedAt: String?, decidedBy: String?,
            reason: String?, figures: [String: Int], approvedFigures: [String: Int]? = nil
        ) {
            self.status = status
            self.submittedAt = submittedAt
            self.submittedBy = submittedBy
            self.decidedAt = decidedAt
            self.decidedBy = decidedBy
            self.reason = reason
            self.figures = figures
            self.approvedFigures = approvedFigures
        }
    }

    public func build(
        unit code: String, period: ReportPeriod, current: Figures, previous: Figures, generated: Date,
        approval: ApprovalState? = nil, fromAggregates: [String] = []
    ) -> ReportDocument {
        let unit = tree.unit(code) ?? UnitTree.Unit(code: code, name: code, parent: nil)
        let now = cells(of: code, in: current)
        let before = cells(of: code, in: previous)
        let below = tree.children(of: code)
        var parts: [(UnitTree.Unit, [String: [String: Int]], [String: [String: Int]])] = []
        let own = current.units[code].map { _ in true } ?? false || previous.units[code] != nil
        if own, !below.isEmpty {
            parts.append((unit, current.sum(over: [code]), previous.sum(over: [code])))
        }
        for child in below {
            parts.append(
                (
                    tree.unit(child) ?? UnitTree.Unit(code: child, name: child, parent: code),
                    cells(of: child, in: current),
                    cells(of: child, in: previous)
                ))
        }

        var hiddenNow: [String: Set<String>] = [:]
        var hiddenBefore: [String: Set<String>] = [:]
        // The units below whose count is hidden, by indicator (as primary or as complement).
        var hiddenUnitsNow: [String: Set<String>] = [:]
        var hiddenUnitsBefore: [String: Set<String>] = [:]
        var sections: [ReportDocument.Section] = []
        var approvedChanges: [ReportDocument.Approval.Change] = []
        // A published table shows where the report stands, never the figures approved or
        // submitted beside today's: exact, they would give back a hidden cell (or, by their
        // difference, the small count an edit changed). The approver reads the exact report.
        let approvedFigures = threshold == nil ? approval?.figures : nil
        let year = period.end.year

        for indicator in Catalogue.indicators where !indicator.isShare {
            let keys = indicator.keys(bands: bands)
            let valuesNow = keys.map { now[indicator.code]?[$0] ?? 0 }
            let valuesBefore = keys.map { before[indicator.code]?[$0] ?? 0 }
            let unitsNow = parts.map { $0.1[indicator.code]?[""] ?? 0 }
            let unitsBefore = parts.map { $0.2[indicator.code]?[""] ?? 0 }
            var hideNow: Set<Int> = []
            var hideBefore: Set<Int> = []
            if let threshold {
                let groups = suppressionGroups(indicator, keys: keys, units: parts.count)
                hideNow = Suppression.hidden(valuesNow + unitsNow, groups: groups, threshold: threshold)
                hideBefore = Suppression.hidden(valuesBefore + unitsBefore, groups: groups, threshold: threshold)
                hiddenNow[indicator.code] = Set(hideNow.filter { $0 < keys.count }.map { keys[$0] })
                hiddenBefore[indicator.code] = Set(hideBefore.filter { $0 < keys.count }.map { keys[$0] })
                hiddenUnitsNow[indicator.code] = Set(
                    hideNow.filter { $0 >= keys.count }.map { parts[$0 - keys.count].0.code })
                hiddenUnitsBefore[indicator.code] = Set(
                    hideBefore.filter { $0 >= keys.count }.map { parts[$0 - keys.count].0.code })
            }
            var rows: [ReportDocument.Row] = []
            for (index, key) in keys.enumerated() {
                if index > 0, valuesNow[index] == 0, valuesBefore[index] == 0, key.contains(Dimension.unknown) {
                    continue
                }
                var approved: Int?
                if let approvedFigures {
                    let then = approvedFigures[indicator.code + "|" + key] ?? 0
                    if then != valuesNow[index] {
                        approved = then
                        approvedChanges.append(
                            .init(indicator: indicator.code, key: key, then: then, now: valuesNow[index]))
                    }
                }
                rows.append(
                    ReportDocument.Row(
                        key: key, label: label(key), depth: key.isEmpty ? 0 : key.contains(",") ? 2 : 1,
                        value: hideNow.contains(index) ? .suppressed : .count(valuesNow[index]),
                        previous: hideBefore.contains(index) ? .suppressed : .count(valuesBefore[index]),
                        approved: approved))
            }
            let byUnit = parts.enumerated().map { offset, part in
                ReportDocument.UnitFigure(
                    unit: part.0, value: hideNow.contains(keys.count + offset) ? .suppressed : .count(unitsNow[offset]),
                    previous: hideBefore.contains(keys.count + offset) ? .suppressed : .count(unitsBefore[offset]))
            }
            sections.append(
                .init(indicator: indicator, target: indicator.target(for: year), rows: rows, byUnit: byUnit))
        }

        // Shares, from the two counts at every level; hidden where their numerator or their
        // denominator is (a denominator hidden as a complement is its numerator over the share).
        for indicator in Catalogue.indicators {
            guard case .share(let numerator, let denominator) = indicator.measure else { continue }
            func share(_ cells: [String: [String: Int]], _ key: String, hidden: Set<String>?) -> ReportDocument.Cell {
                if hidden?.contains(key) == true { return .suppressed }
                let over = cells[denominator]?[key] ?? 0
                return .share(over == 0 ? nil : Double(cells[numerator]?[key] ?? 0) * 100 / Double(over))
            }
            func hidden(_ cells: [String: Set<String>]) -> Set<String>? {
                guard threshold != nil else { return nil }
                return (cells[numerator] ?? []).union(cells[denominator] ?? [])
            }
            let keys = indicator.keys(bands: bands).filter { !$0.contains(Dimension.unknown) }
            let rows = keys.map { key in
                ReportDocument.Row(
                    key: key, label: label(key), depth: key.isEmpty ? 0 : key.contains(",") ? 2 : 1,
                    value: share(now, key, hidden: hidden(hiddenNow)),
                    previous: share(before, key, hidden: hidden(hiddenBefore)), approved: nil)
            }
            let byUnit = parts.map { part in
                ReportDocument.UnitFigure(
                    unit: part.0, value: share(part.1, "", hidden: nil), previous: share(part.2, "", hidden: nil))
            }
            let position = (sections.firstIndex { $0.indicator.code > indicator.code }) ?? sections.count
            sections.insert(
                .init(
                    indicator: indicator, target: indicator.target(for: year), rows: rows,
                    byUnit: byUnit.map { figure in
                        // A unit's share would give its hidden count back (a complement too), or
                        // its hidden denominator.
                        let code = figure.unit.code
                        return ReportDocument.UnitFigure(
                            unit: figure.unit,
                            value: hidden(hiddenUnitsNow)?.contains(code) == true ? .suppressed : figure.value,
                            previous: hidden(hiddenUnitsBefore)?.contains(code) == true
                                ? .suppressed : figure.previous)
                    }), at: position)
        }

        // Cells approved that no longer appear at all (a breakdown emptied since).
        if let approvedFigures {
            for (compound, then) in approvedFigures {
                let parts = compound.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { continue }
                let indicator = String(parts[0])
                let key = String(parts[1])
                let nowValue = now[indicator]?[key] ?? 0
                if nowValue == 0, then != 0,
                    !approvedChanges.contains(where: { $0.indicator == indicator && $0.key == key })
                {
                    approvedChanges.append(.init(indicator: indicator, key: key, then: then, now: 0))
                }
            }
        }
        approvedChanges.sort { ($0.indicator, $0.key) < ($1.indicator, $1.key) }

        return ReportDocument(
            unit: unit, period: period, previous: period.previous, generated: generated, bands: bands,
            threshold: threshold, sections: sections,
            approval: approval.map {
                ReportDocument.Approval(
                    status: $0.status, submittedAt: $0.submittedAt, submittedBy: $0.submittedBy,
                    decidedAt: $0.decidedAt, decidedBy: $0.decidedBy, reason: $0.reason, changes: approvedChanges)
            }, fromAggregates: fromAggregates)
    }

    /// A cell's label: "Tổng số" for the total, "Nữ", "Nữ · 6-10 tuổi".
    public func label(_ key: String) -> Localized {
        if key.isEmpty { return Localized(vi: "Tổng số", en: "Total") }
        var vi: [String] = []
        var en: [String] = []
        for pair in key.split(separator: ",") {
            let halves = pair.split(separator: "=", maxSplits: 1)
            guard halves.count == 2, let dimension = Dimension(rawValue: String(halves[0])) else { continue }
            let label = dimension.label(of: String(halves[1]))
            vi.append(label.vi)
            en.append(label.en)
        }
        return Localized(vi: vi.joined(separator: " · "), en: en.joined(separator: " · "))
    }

    /// The groups of cells that add up to a total: each breakdown whose cells do not overlap,
    /// the rows and columns of a cross, and the units below with the unit's total.
    func suppressionGroups(_ indicator: Indicator, keys: [String], units: Int) -> [Suppression.Group] {
        let position = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        var groups: [Suppression.Group] = []
        for breakdown in indicator.breakdowns {
            if breakdown.count == 1 {
                guard !indicator.overlapping.contains(breakdown[0]) else { continue }
                let members = breakdown[0].codes(bands: bands).compactMap {
                    position[Indicator.key([(breakdown[0], $0)])]
                }
                groups.append(.init(members: members, total: 0))
            } else {
                let (first, second) = (breakdown[0], breakdown[1])
                for a in first.codes(bands: bands) {
                    guard let total = position[Indicator.key([(first, a)])] else { continue }
                    let members = second.codes(bands: bands).compactMap {
                        position[Indicator.key([(first, a), (second, $0)])]
                    }
                    groups.append(.init(members: members, total: total))
                }
                for b in second.codes(bands: bands) {
                    guard let total = position[Indicator.key([(second, b)])] else { continue }
                    let members = first.codes(bands: bands).compactMap {
                        position[Indicator.key([(first, $0), (second, b)])]
                    }
                    groups.append(.init(members: members, total: total))
                }
            }
        }
        if units > 0 { groups.append(.init(members: Array(keys.count..<(keys.count + units)), total: 0)) }
        return groups
    }
}

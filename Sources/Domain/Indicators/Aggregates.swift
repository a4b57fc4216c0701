import Crypto
public import Foundation
public import SyncCore

/// Indicator values as records of the `aggregates` collection: what a hub whose upstream policy
/// is `aggregates` (or `redacted`, where the records it sends lack the personal fields many
/// indicators rest on — a date of birth, an Article 10 group) sends up in place of the records
/// they count. One record per unit, standard period, indicator and cell; its id is derived from
/// them and from the hub that computed it, so recomputing writes the same records and only
/// changed values travel. The records belong to the computing hub's unit (they describe its
/// communes, they are not theirs, and no commune node receives them).
///
/// For each unit and period the total of 0201 (children) is always written, zero or not: it
/// marks the unit and period as covered, so a hub reading them knows to take these figures and
/// not its own (redacted, or absent) records for that unit.
public enum Aggregates {
    public static let collection = "aggregates"
    /// The largest value the definition allows (`Collections.aggregates`): a stored value past
    /// it (a set-aside change accepted as sent) is read as it, so sums cannot overflow.
    static let maximumValue: Int64 = 1_000_000_000
    /// The indicator whose total marks a unit and period as covered.
    static let coverage = "0201"

    /// The record of one cell computed by `source`.
    public static func recordID(source: String, unit: String, period: String, indicator: String, key: String)
        -> RecordID
    {
        nameBasedRecordID("tre.aggregates.v1|\(source)|\(unit)|\(period)|\(indicator)|\(key)")
    }

    /// Writes `figures` (computed here from records) as this hub's aggregates for every unit they
    /// hold, in one transaction, changing only the values that differ from what is stored; a
    /// cell that went back to zero is written as zero. Returns how many records were written.
    @discardableResult
    public static func refresh(
        replica: Replica, source: String, figures: [ReportPeriod: Figures], bands: AgeBands, now: Date
    ) throws -> Int {
        // What this hub wrote before: id → value.
        var stored: [RecordID: (unit: String, period: String, value: Int64)] = [:]
        try replica.forEachLiveRecord(in: collection) { id, state in
            guard state.value("source")?.stringValue == source, case .int(let value) = state.value("value"),
                let unit = state.value("unit")?.stringValue, let period = state.value("period")?.stringValue
            else { return }
            stored[id] = (unit, period, value)
        }
        let computedAt = Instant.format(now)
        let bandsText = bands.description
        var written = 0
        // Every unit counted in any period is marked covered in every period, zero or not: a
        // commune whose children were all born later has no cell in an old period, and the hub
        // above must take that zero from here, not from the (redacted) records it holds.
        let counted = Set(figures.values.flatMap(\.units.keys))
        try replica.transaction { editor in
            var seen: Set<RecordID> = []
            for (period, periodFigures) in figures {
                let periodCode = period.description
                var units = periodFigures.units
                for unit in counted where units[unit] == nil { units[unit] = [:] }
                for (unit, indicators) in units {
                    var cells = indicators
                    if cells[coverage]?[""] == nil { cells[coverage, default: [:]][""] = 0 }
                    for (indicator, values) in cells {
                        for (key, value) in values {
                            let id = recordID(
                                source: source, unit: unit, period: periodCode, indicator: indicator, key: key)
                            seen.insert(id)
                            if let old = stored[id], old.value == Int64(value) { continue }
                            var fields: [String: FieldValue] = [
                                "value": .int(Int64(value)), "computed_at": .string(computedAt),
                                "bands": .string(bandsText),
                            ]
                            if stored[id] == nil {
                                fields["unit"] = .string(unit)
                                fields["period"] = .string(periodCode)
                                fields["indicator"] = .string(indicator)
                                fields["source"] = .string(source)
                                if !key.isEmpty { fields["breakdown"] = .string(key) }
                            }
                            if try editor.put(collection, id: id, unit: replica.unit, set: fields) != nil {
                                written += 1
                            }
                        }
                    }
                }
            }
            // Cells no longer counted in a period this refresh covers: zero now.
            let periods = Set(figures.keys.map(\.description))
            for (id, old) in stored where !seen.contains(id) && periods.contains(old.period) && old.value != 0 {
                try editor.put(
                    collection, id: id, set: ["value": .int(0), "computed_at": .string(computedAt)])
                written += 1
            }
        }
        return written
    }

    /// What a hub holds of other hubs' aggregates for `periods`: the figures by period, the units
    /// each covers, and the units whose figures used other age bands than `bands` (those cannot
    /// be added up with this hub's, and are left out with a warning).
    public struct Received: Sendable {
        public var figures: [ReportPeriod: Figures] = [:]
        public var covered: [ReportPeriod: Set<String>] = [:]
        public var otherBands: [String: String] = [:]
        /// Every unit a lower hub sends figures for, in any period: its records here, if any,
        /// are not the whole of it.
        public var units: Set<String> = []
    }

    public static func received(
        replica: Replica, periods: [ReportPeriod], excludingSource own: String, bands: AgeBands,
        tree: UnitTree? = nil
    ) throws -> Received {
        var result = Received()
        let wanted = Dictionary(uniqueKeysWithValues: periods.map { ($0.description, $0) })
        // Per unit and period, the source whose figures are taken: the nearest hub above the
        // unit in this hub's tree (only hubs above it now are read: `claimedSource`).
        var chosen: [String: String] = [:]
        var rows: [(period: ReportPeriod, unit: String, source: String, indicator: String, key: String, value: Int)] =
            []
        try replica.forEachLiveRecord(in: collection) { _, state in
            guard let source = claimedSource(state, tree: tree), source != own,
                let unit = state.value("unit")?.stringValue
            else { return }
            result.units.insert(unit)
            guard let periodText = state.value("period")?.stringValue, let period = wanted[periodText],
                let indicator = state.value("indicator")?.stringValue, case .int(let value) = state.value("value")
            else { return }
            let recordBands = state.value("bands")?.stringValue ?? ""
            if recordBands != bands.description {
                result.otherBands[unit] = recordBands
                return
            }
            rows.append(
                (
                    period, unit, source, indicator, state.value("breakdown")?.stringValue ?? "",
                    Int(clamping: min(max(0, value), maximumValue))
                ))
            let slot = "\(periodText)|\(unit)"
            if let current = chosen[slot], current != source, let tree {
                // Prefer the source that is an ancestor of the unit now.
                let ancestors = Set(ancestorsOf(unit, in: tree))
                if !ancestors.contains(current) && ancestors.contains(source) { chosen[slot] = source }
            } else if chosen[slot] == nil {
                chosen[slot] = source
            }
        }
        for row in rows where chosen["\(row.period.description)|\(row.unit)"] == row.source {
            if row.indicator == coverage && row.key.isEmpty { result.covered[row.period, default: []].insert(row.unit) }
            result.figures[row.period, default: Figures()].add(
                row.value, unit: row.unit, indicator: row.indicator, key: row.key)
        }
        for unit in result.otherBands.keys { for period in periods { result.covered[period]?.remove(unit) } }
        return result
    }

    /// The hub that computed an aggregate, when it may speak for the unit the record names: the
    /// record is owned by that hub's unit (as `refresh` writes it, and as the write rule lets only
    /// that hub and those above it write), and the unit is that hub's or below it in `tree`.
    /// Anything else (a record a node wrote, or a lower hub's figures for a unit outside its
    /// subtree) is no figure of anyone's, and nil.
    static func claimedSource(_ state: RecordState, tree: UnitTree?) -> String? {
        guard let source = state.value("source")?.stringValue, state.unit == source,
            let unit = state.value("unit")?.stringValue
        else { return nil }
        guard let tree, unit != source else { return source }
        return ancestorsOf(unit, in: tree).contains(source) ? source : nil
    }

    static func ancestorsOf(_ unit: String, in tree: UnitTree) -> [String] {
        var result: [String] = []
        var current = tree.unit(unit)?.parent
        while let next = current, !result.contains(next) {
            result.append(next)
            current = tree.unit(next)?.parent
        }
        return result
    }
}

/// A hub's or node's figures for some periods: computed from its records, except for the units
/// a lower hub sent aggregates for, whose figures are those aggregates.
public struct FigureSource: Sendable {
    public let replica: Replica
    public let tree: UnitTree
    public let bands: AgeBands
    /// This replica's unit: aggregates it wrote itself are not read back as received.
    public let ownUnit: String
    /// Whether figures within some units read only those units' records, selected by the store
    /// (`IndicatorEngine.compute(from:periods:units:)`), rather than every record: the same
    /// figures, proven by `ReportSelectionTests`; false only to measure or check the difference.
    public let selecting: Bool

    public init(replica: Replica, tree: UnitTree, bands: AgeBands, ownUnit: String, selecting: Bool = true) {
        self.replica = replica
        self.tree = tree
        self.bands = bands
        self.ownUnit = ownUnit
        self.selecting = selecting
    }

    public struct Result: Sendable {
        public let figures: [ReportPeriod: Figures]
        /// Units whose figures are a lower hub's aggregates (for at least one period).
        public let fromAggregates: Set<String>
        /// Units left out: their aggregates used other age bands (unit → the bands they used).
        public let otherBands: [String: String]
        /// The figures computed from records only, for units no aggregates cover: what this hub
        /// sends up as its own aggregates.
        public let computed: [ReportPeriod: Figures]
        /// The units whose figures for each period are a lower hub's aggregates.
        public let covered: [ReportPeriod: Set<String>]
        /// Every unit a lower hub sends figures for, in any period.
        public let aggregatedUnits: Set<String>

        public func coveredIn(_ period: ReportPeriod) -> Set<String> { covered[period] ?? [] }
    }

    public func figures(for periods: [ReportPeriod], within units: Set<String>? = nil) throws -> Result {
        let engine = IndicatorEngine(bands: bands)
        let computed: [ReportPeriod: Figures]
        if let units, selecting {
            computed = try engine.compute(from: replica, periods: periods, units: units)
        } else {
            computed = try engine.compute(from: replica, periods: periods, includes: { units?.contains($0) ?? true })
        }
        let received = try Aggregates.received(
            replica: replica, periods: periods, excludingSource: ownUnit, bands: bands, tree: tree)
        var result: [ReportPeriod: Figures] = [:]
        var own: [ReportPeriod: Figures] = [:]
        var fromAggregates: Set<String> = []
        for period in periods {
            var figures = computed[period] ?? Figures()
            let covered = received.covered[period] ?? []
            for unit in covered { figures.remove(unit: unit) }
            for unit in received.otherBands.keys { figures.remove(unit: unit) }
            own[period] = figures
            var incoming = Figures()
            for (unit, indicators) in received.figures[period]?.units ?? [:]
            where covered.contains(unit) && (units?.contains(unit) ?? true) {
                for (indicator, cells) in indicators {
                    for (key, value) in cells { incoming.add(value, unit: unit, indicator: indicator, key: key) }
                }
                fromAggregates.insert(unit)
            }
            figures.merge(incoming)
            result[period] = figures
        }
        return Result(
            figures: result, fromAggregates: fromAggregates, otherBands: received.otherBands, computed: own,
            covered: received.covered, aggregatedUnits: received.units)
    }
}

extension Aggregates {
    /// Deletes every aggregate `source` wrote (a hub whose policy became `full` sends records
    /// again; figures left behind would be taken for its units' instead). Returns how many.
    @discardableResult
    public static func removeAll(replica: Replica, source: String) throws -> Int {
        var ids: [RecordID] = []
        try replica.forEachLiveRecord(in: collection) { id, state in
            if state.value("source")?.stringValue == source { ids.append(id) }
        }
        guard !ids.isEmpty else { return 0 }
        try replica.transaction { editor in
            for id in ids { try editor.delete(collection, id: id) }
        }
        return ids.count
    }
}

/// A record id every office derives alike from a name: the first 16 bytes of its SHA-256, marked
/// as a UUID of version 8 (a name-based UUID of our own).
func nameBasedRecordID(_ name: String) -> RecordID {
    var bytes = Array(SHA256.hash(data: Data(name.utf8)).prefix(16))
    bytes[6] = (bytes[6] & 0x0F) | 0x80
    bytes[8] = (bytes[8] & 0x3F) | 0x80
    return RecordID(UUID128(bytes: bytes))
}

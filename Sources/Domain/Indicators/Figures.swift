/// Counts by unit, indicator and cell: what the engine computes for one period, each record
/// under the unit that owns it. A unit's figure for its subtree is its own plus its children's,
/// so every total is the sum of the units below it by construction.
public struct Figures: Sendable, Equatable {
    /// unit → indicator → cell key ("" the total, `sex=F`, `sex=F,age=6-10`) → count.
    public private(set) var units: [String: [String: [String: Int]]] = [:]

    public init() {}

    public mutating func add(_ count: Int, unit: String, indicator: String, key: String) {
        guard count != 0 else { return }
        units[unit, default: [:]][indicator, default: [:]][key, default: 0] += count
    }

    /// Adds every cell of `other` (figures of other units, or aggregates read back).
    public mutating func merge(_ other: Figures) {
        for (unit, indicators) in other.units {
            for (indicator, cells) in indicators {
                for (key, count) in cells { add(count, unit: unit, indicator: indicator, key: key) }
            }
        }
    }

    /// Drops every cell of `unit` (its figures come from elsewhere).
    public mutating func remove(unit: String) { units[unit] = nil }

    public func count(unit: String, indicator: String, key: String = "") -> Int {
        units[unit]?[indicator]?[key] ?? 0
    }

    /// The cells of every unit in `subtree`, summed.
    public func sum(over subtree: some Sequence<String>) -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        for unit in subtree {
            guard let indicators = units[unit] else { continue }
            for (indicator, cells) in indicators {
                for (key, count) in cells { result[indicator, default: [:]][key, default: 0] += count }
            }
        }
        return result
    }
}

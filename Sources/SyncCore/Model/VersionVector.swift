/// For each origin, the highest counter of that origin's changes applied to one record.
/// Kept as a small array sorted by origin: records are edited by few origins, and the sorted
/// form is also the canonical one.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    public struct Entry: Hashable, Sendable {
        public let origin: OriginID
        public var counter: UInt64
    }

    public private(set) var entries: [Entry]

    public init() { entries = [] }

    public init(_ pairs: [(OriginID, UInt64)]) {
        entries = []
        for (origin, counter) in pairs where counter > 0 {
            self[origin] = max(self[origin], counter)
        }
    }

    public var isEmpty: Bool { entries.isEmpty }

    public subscript(origin: OriginID) -> UInt64 {
        get {
            for entry in entries where entry.origin == origin { return entry.counter }
            return 0
        }
        set {
            if let index = entries.firstIndex(where: { $0.origin >= origin }) {
                if entries[index].origin == origin {
                    if newValue == 0 { entries.remove(at: index) } else { entries[index].counter = newValue }
                } else if newValue > 0 {
                    entries.insert(Entry(origin: origin, counter: newValue), at: index)
                }
            } else if newValue > 0 {
                entries.append(Entry(origin: origin, counter: newValue))
            }
        }
    }

    /// True when the change `dot` is included: its origin's counter here is at least the dot's.
    public func covers(_ dot: Dot) -> Bool {
        self[dot.origin] >= dot.counter
    }

    /// True when every entry of `other` is covered here.
    public func dominates(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.origin] >= $0.counter }
    }

    /// The pointwise maximum.
    public func merged(with other: VersionVector) -> VersionVector {
        var result = self
        for entry in other.entries where result[entry.origin] < entry.counter {
            result[entry.origin] = entry.counter
        }
        return result
    }

    public var description: String {
        "[" + entries.map { "\($0.origin):\($0.counter)" }.joined(separator: ", ") + "]"
    }
}

/// Small-count suppression for published tables: a count from 1 to `threshold − 1` is shown as
/// "<threshold" (primary suppression), and whenever a group of cells that adds up to a shown
/// total has exactly one hidden member, a second is hidden too — the smallest count that is not
/// zero, else the total — so no hidden cell can be worked out by subtraction (complementary
/// suppression). Zeros stay shown: a hidden cell is then known to be at least 1, which is why a
/// zero is never the complement.
public enum Suppression {
    /// A group: the indices of cells that add up to the cell at `total`.
    public struct Group: Sendable, Hashable {
        public let members: [Int]
        public let total: Int

        public init(members: [Int], total: Int) {
            self.members = members
            self.total = total
        }
    }

    /// The indices of `values` to hide.
    public static func hidden(_ values: [Int], groups: [Group], threshold: Int) -> Set<Int> {
        var hidden = Set(values.indices.filter { values[$0] > 0 && values[$0] < threshold })
        var changed = true
        while changed {
            changed = false
            for group in groups {
                let all = group.members + [group.total]
                guard all.filter(hidden.contains).count == 1 else { continue }
                let candidates = group.members.filter { !hidden.contains($0) && values[$0] > 0 }
                if let smallest = candidates.min(by: { (values[$0], $0) < (values[$1], $1) }) {
                    hidden.insert(smallest)
                } else if !hidden.contains(group.total) {
                    hidden.insert(group.total)
                } else {
                    continue
                }
                changed = true
            }
        }
        return hidden
    }
}

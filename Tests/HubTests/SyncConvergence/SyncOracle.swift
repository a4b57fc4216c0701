import SyncCore
import TestSupport

/// What every replica must hold, worked out from the list of honest changes alone, by the merge
/// rules of DESIGN.md, without a store or the merge code (the idea of the engine-level test's
/// oracle, `Tests/SyncCoreTests/Convergence/Simulation+Check.swift`).
enum SyncOracle {
    /// Per record: the version and the maximal writes of each field (`Oracle`, in TestSupport).
    static func states(_ changes: [Change]) -> [RecordKey: RecordState] { Oracle.states(changes) }

    /// The value every replica shows: the highest `(stamp, origin)`.
    static func shown(_ entries: [FieldEntry]) -> FieldEntry? {
        entries.max { ($0.stamp, $0.dot.origin, $0.dot.counter) < ($1.stamp, $1.dot.origin, $1.dot.counter) }
    }

    /// The owning unit every replica shows, which decides whose scope the record is in.
    static func unit(_ state: RecordState) -> String? {
        shown(state.fields[ReservedField.unit] ?? [])?.value.stringValue
    }

    /// The conflicts a person must see, from the values directly: differing values of a field;
    /// for a deleted record, a value no `true` tombstone's context covers (or tombstones that
    /// disagree), and nothing else while it stays deleted.
    static func conflicts(_ state: RecordState) -> Set<String> {
        let tombstones = state.fields[ReservedField.deleted] ?? []
        if let winner = shown(tombstones), winner.value == .bool(true) {
            var seen = VersionVector()
            for entry in tombstones where entry.value == .bool(true) { seen = seen.merged(with: entry.context!) }
            let edited = state.fields.contains { name, entries in
                name != ReservedField.deleted && entries.contains { !seen.covers($0.dot) }
            }
            return edited || Set(tombstones.map(\.value)).count > 1 ? [ReservedField.deleted] : []
        }
        return Set(state.fields.filter { Set($0.value.map(\.value)).count > 1 }.map(\.name))
    }
}

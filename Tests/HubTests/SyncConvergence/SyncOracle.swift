import SyncCore

/// What every replica must hold, worked out from the list of honest changes alone, by the merge
/// rules of DESIGN.md, without a store or the merge code (the idea of the engine-level test's
/// oracle, `Tests/SyncCoreTests/Convergence/Simulation+Check.swift`).
enum SyncOracle {
    /// Per record: the version (each origin's highest counter) and, per field, exactly the
    /// writes that no other write to that field had in its context (the maximal writes).
    static func states(_ changes: [Change]) -> [RecordKey: RecordState] {
        var byKey: [RecordKey: [Change]] = [:]
        for change in changes { byKey[change.key, default: []].append(change) }
        var result: [RecordKey: RecordState] = [:]
        for (key, changes) in byKey {
            var version = VersionVector()
            var writes: [String: [Change]] = [:]
            for change in changes {
                version[change.dot.origin] = max(version[change.dot.origin], change.dot.counter)
                for name in change.set.keys { writes[name, default: []].append(change) }
            }
            var fields: [String: [FieldEntry]] = [:]
            for (name, writers) in writes {
                let maximal = writers.filter { write in
                    !writers.contains { other in other.dot != write.dot && other.context.covers(write.dot) }
                }
                fields[name] = maximal.sorted { $0.dot < $1.dot }.map { write in
                    FieldEntry(
                        value: write.set[name]!, dot: write.dot, stamp: write.stamp,
                        context: name == ReservedField.deleted ? write.context : nil)
                }
            }
            result[key] = RecordState(version: version, fields: FieldMap(fields))
        }
        return result
    }

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

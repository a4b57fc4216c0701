public import SyncCore

/// What every replica must hold, worked out from a list of changes alone by the merge rules of
/// DESIGN.md, without a store or the merge code: per record, the version (each origin's highest
/// counter) and, per field, exactly the writes that no other write to that field had in its
/// context (the "maximal" writes). Both convergence tests check replicas against it.
public enum Oracle {
    public static func states(_ changes: [Change]) -> [RecordKey: RecordState] {
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
}

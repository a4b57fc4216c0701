import TestSupport

@testable import SyncCore

extension Simulation {
    /// What kinds of conflict a run ended with, to show the schedules exercise them.
    struct Coverage {
        var fieldConflicts = 0
        var threeWayConflicts = 0
        var deleteConflicts = 0
        var unitConflicts = 0
    }

    /// The state every replica must hold (`Oracle`, in TestSupport).
    static func oracle(_ changes: [Change]) -> [RecordKey: RecordState] { Oracle.states(changes) }

    /// The conflicts a person must see, worked out from the oracle's values directly.
    static func expectedConflicts(_ state: RecordState) -> Set<String> {
        func shown(_ entries: [FieldEntry]) -> FieldEntry {
            entries.max { ($0.stamp, $0.dot.origin) < ($1.stamp, $1.dot.origin) }!
        }
        let tombstones = state.fields[ReservedField.deleted] ?? []
        if !tombstones.isEmpty, shown(tombstones).value == .bool(true) {
            var seen = VersionVector()
            for entry in tombstones where entry.value == .bool(true) { seen = seen.merged(with: entry.context!) }
            let edited = state.fields.contains { name, entries in
                name != ReservedField.deleted && entries.contains { !seen.covers($0.dot) }
            }
            return edited || Set(tombstones.map(\.value)).count > 1 ? [ReservedField.deleted] : []
        }
        return Set(state.fields.filter { Set($0.value.map(\.value)).count > 1 }.map(\.name))
    }

    func check(replicas: [Replica], changes: [Change]) throws -> Failure? {
        let hashes = try replicas.map { try $0.stateHash() }
        if Set(hashes).count > 1 {
            let groups = Dictionary(grouping: hashes.indices, by: { hashes[$0] }).values.map { $0.sorted() }
            return Failure(
                reason: "replicas diverged: state hashes differ between groups \(groups.sorted { $0[0] < $1[0] })",
                diverged: true)
        }
        let oracle = Self.oracle(changes)
        for (index, replica) in replicas.enumerated() {
            let counts = try replica.counts()
            if counts.parked != 0 {
                return Failure(
                    reason: "replica \(index) still has \(counts.parked) parked changes after a full exchange",
                    diverged: false)
            }
            if counts.lastSequence != UInt64(changes.count) {
                return Failure(
                    reason: "replica \(index) logged \(counts.lastSequence) changes, \(changes.count) were made",
                    diverged: false)
            }
            for (key, expected) in oracle {
                let actual = try replica.record(key.collection, id: key.id)
                guard let actual else { return Failure(reason: "replica \(index) lacks \(key)", diverged: false) }
                if actual.version != expected.version {
                    return Failure(
                        reason: "replica \(index) \(key): version \(actual.version), oracle \(expected.version)",
                        diverged: false)
                }
                for name in Set(expected.fields.keys).union(actual.fields.keys) {
                    let held = actual.fields[name] ?? []
                    let wanted = expected.fields[name] ?? []
                    if held != wanted {
                        let lost = Set(wanted.map(\.dot)).subtracting(held.map(\.dot))
                        return Failure(
                            reason:
                                "replica \(index) \(key) field \(name): holds \(held.map(\.dot)), oracle \(wanted.map(\.dot))"
                                + (lost.isEmpty ? "" : "; lost writes \(lost.sorted())"),
                            diverged: false)
                    }
                }
            }
            let listed = try replica.conflicts()
            for (key, expected) in oracle {
                let wanted = Self.expectedConflicts(expected)
                let shown = Set(listed.first { $0.key == key }?.conflicts.map(\.field) ?? [])
                if wanted != shown {
                    return Failure(
                        reason:
                            "replica \(index) \(key): conflicts listed \(shown.sorted()), expected \(wanted.sorted())",
                        diverged: false)
                }
            }
        }
        return nil
    }

    func coverage(of changes: [Change]) -> Coverage {
        var coverage = Coverage()
        for state in Self.oracle(changes).values {
            let fields = Self.expectedConflicts(state)
            if fields.contains(ReservedField.deleted) { coverage.deleteConflicts += 1 }
            if fields.contains(ReservedField.unit) { coverage.unitConflicts += 1 }
            coverage.fieldConflicts += fields.count
            if state.fields.values.contains(where: { Set($0.map(\.value)).count > 2 }) {
                coverage.threeWayConflicts += 1
            }
        }
        return coverage
    }
}

import SyncCore

extension SyncSimulation {
    /// A replica to compare and the units whose records it must hold in full.
    struct Holder {
        let name: String
        let replica: Replica
        let scope: Set<String>
    }

    var holders: [Holder] {
        nodes.map { Holder(name: "node \($0.commune)", replica: $0.replica, scope: [$0.commune]) }
            + hubs.map { Holder(name: "hub \($0.unit)", replica: $0.replica, scope: $0.subtree) }
    }

    /// After the final sync: (a) each node's records equal its hub's and the province's, each
    /// hub's subtree equals the province's (state hashes); (b) every replica in whose scope a
    /// record is holds exactly what the oracle computes from the honest changes (no edit lost,
    /// none invented); (c) it lists exactly the conflicts the oracle predicts; (d) every forged
    /// change is set aside at the hub it reached and none of it is held or logged anywhere, and
    /// no honest change is set aside.
    func check() throws -> Failure? {
        let top = hubs[0]
        // (a) State hashes, commune by commune and subtree by subtree.
        for node in nodes {
            let commune = node.commune
            let hashes = try [node.replica, node.hub.replica, top.replica].map {
                try $0.stateHash(unit: { $0 == commune })
            }
            if Set(hashes).count > 1 {
                return Failure(
                    reason:
                        "commune \(commune): state hashes differ (node \(hashes[0].prefix(8)), hub \(node.hub.unit) "
                        + "\(hashes[1].prefix(8)), hub \(top.unit) \(hashes[2].prefix(8)))")
            }
        }
        for hub in hubs.dropFirst() {
            let subtree = hub.subtree
            let mine = try hub.replica.stateHash(unit: { $0.map(subtree.contains) == true })
            let above = try top.replica.stateHash(unit: { $0.map(subtree.contains) == true })
            if mine != above {
                return Failure(reason: "subtree of hub \(hub.unit): state hash differs from hub \(top.unit)'s")
            }
        }
        // (b) and (c) against the oracle.
        let oracle = SyncOracle.states(honest.map(\.change))
        for holder in holders {
            let counts = try holder.replica.counts()
            if counts.parked != 0 {
                return Failure(reason: "\(holder.name) still has \(counts.parked) parked changes after syncing")
            }
            var listed: [RecordKey: Set<String>] = [:]
            for record in try holder.replica.conflicts() { listed[record.key] = Set(record.conflicts.map(\.field)) }
            for (key, expected) in oracle.sorted(by: { $0.key < $1.key }) {
                guard let unit = SyncOracle.unit(expected), holder.scope.contains(unit) else { continue }
                guard let actual = try holder.replica.record(key.collection, id: key.id) else {
                    return Failure(reason: "\(holder.name) lacks \(key), which is in its scope (unit \(unit))")
                }
                if actual.version != expected.version {
                    return Failure(
                        reason: "\(holder.name) \(key): version \(actual.version), the oracle's \(expected.version)")
                }
                for name in Set(expected.fields.keys).union(actual.fields.keys).sorted() {
                    let held = actual.fields[name] ?? []
                    let wanted = expected.fields[name] ?? []
                    if held != wanted {
                        let lost = Set(wanted.map(\.dot)).subtracting(held.map(\.dot))
                        return Failure(
                            reason:
                                "\(holder.name) \(key) field \(name): holds \(held.map(\.dot)), the oracle "
                                + "\(wanted.map(\.dot))" + (lost.isEmpty ? "" : "; lost writes \(lost.sorted())"))
                    }
                }
                let conflicts = SyncOracle.conflicts(expected)
                if conflicts != listed[key] ?? [] {
                    return Failure(
                        reason:
                            "\(holder.name) \(key): lists conflicts \((listed[key] ?? []).sorted()), the oracle "
                            + "\(conflicts.sorted())")
                }
            }
            // Nothing in its scope that nobody honest made.
            for (id, state) in try holder.replica.records(in: Self.collection) {
                let key = RecordKey(collection: Self.collection, id: id)
                if oracle[key] == nil, let unit = state.unit, holder.scope.contains(unit) {
                    return Failure(reason: "\(holder.name) holds \(key) in unit \(unit), which no honest change made")
                }
            }
        }
        // (d) Forged changes.
        let forged = Set(forgeries.map(\.change.dot))
        for (index, hub) in hubs.enumerated() {
            let setAside = Set(try hub.replica.setAsideEntries(limit: .max).map(\.change.dot))
            for forgery in forgeries where forgery.hub == index && !setAside.contains(forgery.change.dot) {
                return Failure(
                    reason:
                        "hub \(hub.unit) did not set aside forged change \(forgery.change.dot) to \(forgery.change.key)"
                )
            }
            if let honest = setAside.subtracting(forged).first {
                return Failure(reason: "hub \(hub.unit) set aside honest change \(honest)")
            }
        }
        for holder in holders {
            if let logged = try holder.replica.log(after: 0, limit: .max).first(where: {
                forged.contains($0.change.dot)
            }) {
                return Failure(reason: "\(holder.name) logged forged change \(logged.change.dot)")
            }
            for (id, state) in try holder.replica.records(in: Self.collection) {
                for (name, entries) in state.fields
                where entries.contains(where: { $0.value.stringValue?.hasPrefix("forged-") == true }) {
                    return Failure(reason: "\(holder.name) holds a forged value in \(id) field \(name)")
                }
            }
        }
        for node in nodes {
            if let entry = try node.replica.setAsideEntries().first {
                return Failure(reason: "node \(node.commune) was told its change \(entry.change.dot) was set aside")
            }
        }
        // What the schedules planted, for the report.
        for state in oracle.values {
            let conflicts = SyncOracle.conflicts(state)
            if conflicts.contains(ReservedField.deleted) { stats.deleteConflicts += 1 }
            if conflicts.contains(ReservedField.unit) { stats.unitConflicts += 1 }
            stats.fieldConflicts += conflicts.subtracting([ReservedField.deleted, ReservedField.unit]).count
        }
        stats.forgedSetAside = forgeries.count
        return nil
    }
}

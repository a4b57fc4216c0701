import Domain
import Foundation
import SyncClient
import SyncCore
import TestSupport

@testable import Hub

/// Runs one schedule on real hubs (`HubService` + `HubStore` on SQLite files) and nodes, every
/// sync through `Syncer` and the in-process transport, then syncs everything until quiet and
/// checks the result against the oracle.
final class SyncSimulation {
    struct Failure: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    /// A change pushed by a tampered node, and the hub it reached.
    struct Forgery {
        let change: Change
        let hub: Int
    }

    let schedule: SyncSchedule
    let faults: PlantedFaults
    let directory: ScratchDirectory
    var hubs: [SimulatedHub] = []
    var nodes: [SimulatedNode] = []
    /// Every honest change made, in the order made, and the step that made it.
    var honest: [(change: Change, step: Int)] = []
    var created: Set<Int> = []
    /// Per hub, the changes pushes brought it (answered or not).
    var delivered: [Set<Dot>]
    var forgeries: [Forgery] = []
    var stats = Exercised()
    var step = 0

    static let collection = "children"

    init(schedule: SyncSchedule, faults: PlantedFaults) throws {
        self.schedule = schedule
        self.faults = faults
        directory = try ScratchDirectory()
        delivered = Array(repeating: [], count: SyncTopology.hubCount)
        // Clocks disagree by up to two minutes, in both directions.
        var skew = SeededGenerator(seed: schedule.seed ^ 0x5eed)
        func clock() -> ManualClock { ManualClock(1_763_856_000_000 + UInt64.random(in: 0...120_000, using: &skew)) }
        for (index, unit) in SyncTopology.hubUnits.enumerated() {
            let hub = try SimulatedHub(index: index, unit: unit, directory: directory, clock: clock(), faults: faults)
            if let above = SyncTopology.hubIndex(above: unit) {
                hub.upstream = hubs[above]
                try hubs[above].enrol(hub.origin, unit: unit, kind: "hub").save(to: hub.replica)
            }
            hubs.append(hub)
        }
        for (index, commune) in SyncTopology.communes.enumerated() {
            let hub = hubs[SyncTopology.hubIndex(above: commune)!]
            nodes.append(
                try SimulatedNode(
                    index: index, commune: commune, hub: hub, onFile: schedule.nodesOnFile[index],
                    directory: directory, clock: clock()))
        }
    }

    /// Runs everything; the failure is nil when every check holds.
    static func run(_ schedule: SyncSchedule, faults: PlantedFaults = .none) async throws -> (Failure?, Exercised) {
        let simulation = try SyncSimulation(schedule: schedule, faults: faults)
        let failure = try await simulation.run()
        return (failure, simulation.stats)
    }

    func run() async throws -> Failure? {
        stats.schedules = 1
        for (index, step) in schedule.steps.enumerated() {
            self.step = index
            for clock in clocks { clock.advance(by: 1_000) }
            if let failure = try await perform(step) { return failure }
        }
        stats.steps = schedule.steps.count
        self.step = schedule.steps.count
        if let failure = try await syncUntilQuiet() { return failure }
        return try check()
    }

    var clocks: [ManualClock] { hubs.map(\.clock) + nodes.map(\.clock) }

    // MARK: Actors

    func replica(_ actor: Int) -> Replica {
        actor < nodes.count ? nodes[actor].replica : hubs[actor - nodes.count].replica
    }

    /// The units whose records an actor may write: a node's commune, a hub's subtree.
    func scope(_ actor: Int) -> Set<String> {
        actor < nodes.count ? [nodes[actor].commune] : hubs[actor - nodes.count].subtree
    }

    func communes(_ actor: Int) -> [String] { SyncTopology.communes.filter(scope(actor).contains) }

    static func owners(_ state: RecordState) -> Set<String> {
        Set((state.fields[ReservedField.unit] ?? []).compactMap(\.value.stringValue))
    }

    /// An honest actor writes only records it sees in its scope: one of the owning units it
    /// holds is its own (the hub judges by the owners at the change's context, which are these).
    func mayWrite(_ actor: Int, _ state: RecordState) -> Bool {
        !Self.owners(state).isDisjoint(with: scope(actor))
    }

    static func slot(_ index: Int) -> RecordID { testRecord(UInt64(index + 1)) }

    /// Who writes `slot`: `actor` if it holds the record and may write it, else the `actor`-th
    /// of those who do (so that most steps do something), with the state it holds.
    func writer(_ actor: Int, slot: Int) throws -> (actor: Int, state: RecordState)? {
        var writers: [(Int, RecordState)] = []
        for candidate in 0..<SyncTopology.actorCount {
            if let state = try replica(candidate).record(Self.collection, id: Self.slot(slot)),
                mayWrite(candidate, state)
            {
                if candidate == actor { return (candidate, state) }
                writers.append((candidate, state))
            }
        }
        return writers.isEmpty ? nil : writers[actor % writers.count]
    }

    func made(_ change: Change?) {
        if let change { honest.append((change, step)) }
    }

    // MARK: Steps

    func perform(_ step: SyncStep) async throws -> Failure? {
        do {
            switch step {
            case .put(let actor, let slot, let fields, let unit):
                let values = Dictionary(
                    uniqueKeysWithValues: fields.map { ($0.key, SyncSchedule.value($0.key, $0.value)) })
                if !created.contains(slot) {
                    let communes = communes(actor)
                    created.insert(slot)
                    made(
                        try replica(actor).put(
                            Self.collection, id: Self.slot(slot), unit: communes[unit % communes.count], set: values))
                    stats.creations += 1
                } else if let (writer, state) = try writer(actor, slot: slot), !state.isDeleted {
                    let change = try replica(writer).put(Self.collection, id: Self.slot(slot), set: values)
                    if change != nil { stats.edits += 1 }
                    made(change)
                }
            case .delete(let actor, let slot):
                guard let (writer, _) = try writer(actor, slot: slot) else { return nil }
                let change = try replica(writer).delete(Self.collection, id: Self.slot(slot))
                if change != nil { stats.deletes += 1 }
                made(change)
            case .restore(let actor, let slot):
                guard let (writer, _) = try writer(actor, slot: slot) else { return nil }
                let change = try replica(writer).restore(Self.collection, id: Self.slot(slot))
                if change != nil { stats.restoredRecords += 1 }
                made(change)
            case .move(let actor, let slot, let unit):
                guard let (writer, state) = try writer(actor, slot: slot), !state.isDeleted else { return nil }
                let target = SyncTopology.communes[unit % SyncTopology.communes.count]
                guard let change = try replica(writer).put(Self.collection, id: Self.slot(slot), unit: target, set: [:])
                else { return nil }
                made(change)
                countMove(by: writer, from: state.unit, to: target)
            case .resolve(let actor, let pick, let value):
                // The actor's open conflicts, or else those of the `actor`-th actor that has some.
                var candidates: [(Int, [(RecordKey, FieldConflict)])] = []
                for candidate in 0..<SyncTopology.actorCount {
                    let open = try openConflicts(candidate)
                    if open.isEmpty { continue }
                    if candidate == actor {
                        candidates = [(candidate, open)]
                        break
                    }
                    candidates.append((candidate, open))
                }
                guard !candidates.isEmpty else { return nil }
                let (resolver, open) = candidates[actor % candidates.count]
                let replica = replica(resolver)
                let (key, conflict) = open[pick % open.count]
                let written: FieldValue =
                    switch conflict.field {
                    case ReservedField.deleted: .bool(value % 2 == 0)
                    case ReservedField.unit: .string(SyncTopology.communes[value % SyncTopology.communes.count])
                    default: SyncSchedule.value(conflict.field, value)
                    }
                made(try replica.resolve(key.collection, id: key.id, field: conflict.field, value: written))
                stats.resolutions += 1
            case .sync(let node, let seed):
                return try await sync(node: node, plan: Self.plan(seed)).failure
            case .syncUp(let hub, let seed):
                return try await syncUp(hub: hub, plan: Self.plan(seed)).failure
            case .restartHub(let hub):
                try hubs[hub].restart()
                stats.hubRestarts += 1
            case .backup(let node):
                guard nodes[node].onFile else { return nil }
                try nodes[node].takeBackup(step: self.step)
                stats.backups += 1
            case .restoreNode(let index):
                // This node, or else the `index`-th of those with a backup.
                let backedUp = nodes.filter { $0.backup != nil }
                guard !backedUp.isEmpty else { return nil }
                let node = nodes[index].backup != nil ? nodes[index] : backedUp[index % backedUp.count]
                guard let backup = node.backup else { return nil }
                // What the lost machine made after the backup and never got to its hub is gone
                // with it; everything else must survive.
                let reached = delivered[node.hub.index]
                let lost = Set(
                    honest.filter {
                        $0.change.dot.origin == node.origin && $0.step >= backup.step
                            && !reached.contains($0.change.dot)
                    }.map(\.change.dot))
                honest.removeAll { lost.contains($0.change.dot) }
                stats.editsLostWithMachine += lost.count
                try node.restoreFromBackup()
                stats.nodeRestores += 1
            case .forge(let node, let kind, let seed):
                try await forge(node: node, kind: kind, seed: seed)
            case .tick(let actor, let millis):
                (actor < nodes.count ? nodes[actor].clock : hubs[actor - nodes.count].clock).advance(by: millis)
            }
        } catch let refused as EditError {
            // What the actor's replica makes meaningless now (a conflict already resolved): a
            // person would be refused too; the schedule goes on.
            _ = refused
        }
        return nil
    }

    /// The open conflicts an actor sees on records it may write.
    func openConflicts(_ actor: Int) throws -> [(RecordKey, FieldConflict)] {
        var open: [(RecordKey, FieldConflict)] = []
        for record in try replica(actor).conflicts() {
            guard let state = try replica(actor).record(record.key.collection, id: record.key.id),
                mayWrite(actor, state)
            else { continue }
            open += record.conflicts.map { (record.key, $0) }
        }
        return open
    }

    func countMove(by actor: Int, from: String?, to: String) {
        if actor < nodes.count { stats.movesByNodes += 1 } else { stats.movesByStaff += 1 }
        let (old, new) = (from.flatMap(SyncTopology.parent(of:)), SyncTopology.parent(of: to))
        if SyncTopology.hubIndex(above: from ?? "") == 0 || SyncTopology.hubIndex(above: to) == 0 {
            stats.movesToOrFromDirectCommune += 1
        } else if old == new {
            stats.movesWithinDistrict += 1
        } else {
            stats.movesAcrossDistricts += 1
        }
    }

    // MARK: Sync

    /// The link of one sync step: often clean, otherwise faulty, sometimes cut; small sets and
    /// pages so that syncs take several requests.
    static func plan(_ seed: UInt64) -> (link: LinkPlan, maxPushChanges: Int, maxPullBytes: Int) {
        var random = SeededGenerator(seed: seed)
        var link = LinkPlan(seed: random.next())
        if Int.random(in: 0..<100, using: &random) >= 45 { link.faultPercent = Int.random(in: 10...40, using: &random) }
        if Int.random(in: 0..<100, using: &random) < 15 {
            link.requestsBeforeCut = Int.random(in: 0...4, using: &random)
        }
        let push = Int.random(in: 0..<3, using: &random) == 0 ? 2_000 : Int.random(in: 1...4, using: &random)
        let pull = Int.random(in: 0..<3, using: &random) == 0 ? 1 << 20 : Int.random(in: 1024...2048, using: &random)
        return (link, push, pull)
    }

    /// The final syncs: a clean link, on which any failure is the test's.
    static let quiet = (link: LinkPlan.clean, maxPushChanges: 2_000, maxPullBytes: 1 << 20)

    struct SyncOutcome {
        var moved = 0
        var failure: Failure?
    }

    func sync(node index: Int, plan: (link: LinkPlan, maxPushChanges: Int, maxPullBytes: Int)) async throws
        -> SyncOutcome
    {
        let node = nodes[index]
        return try await run(
            replica: node.replica, hub: node.hub, crash: node.crash, pushFilter: LogFilter(onlyOrigin: node.origin),
            plan: plan, who: "node \(index) (\(node.commune))", reopen: node.reopen)
    }

    func syncUp(hub index: Int, plan: (link: LinkPlan, maxPushChanges: Int, maxPullBytes: Int)) async throws
        -> SyncOutcome
    {
        let hub = hubs[index]
        guard let above = hub.upstream else { return SyncOutcome() }
        return try await run(
            replica: hub.replica, hub: above, crash: hub.crash, pushFilter: LogFilter(excludingVia: above.origin),
            plan: plan, who: "hub \(hub.unit)", reopen: hub.restart)
    }

    /// One `Syncer.run`, as `tre-node sync` and `tre-hub sync-upstream` run it, over the
    /// in-process transport. A sync that a planted fault cut short is ordinary (not on a clean
    /// link); any other error is a failure.
    private func run(
        replica: Replica, hub: SimulatedHub, crash: CrashSwitch, pushFilter: LogFilter,
        plan: (link: LinkPlan, maxPushChanges: Int, maxPullBytes: Int), who: String, reopen: () throws -> Void
    ) async throws -> SyncOutcome {
        guard let upstream = try Upstream.load(from: replica) else {
            return SyncOutcome(failure: Failure(reason: "\(who) has no upstream"))
        }
        let transport = InProcessTransport(
            hub: hub, client: replica.origin, key: upstream.key, clientCrash: crash, plan: plan.link)
        var syncer = try Syncer(
            replica: replica, upstream: upstream, pushFilter: pushFilter, dictionary: WireVocabulary.dictionary,
            definition: DomainDefinition.current.version, transport: transport)
        syncer.maxPushChanges = plan.maxPushChanges
        syncer.maxPullBytes = plan.maxPullBytes
        var outcome = SyncOutcome()
        stats.syncs += 1
        do {
            let report = try await syncer.run()
            stats.pushSets += report.pushSets
            stats.pullPages += report.pullPages
            outcome.moved = report.pushed + report.pulled
        } catch SyncFailure.unreachable where plan.link.isFaulty {
            stats.syncsCutShort += 1
        } catch is CrashSwitch.Crash {
            stats.syncsCutShort += 1
        } catch {
            outcome.failure = Failure(reason: "step \(step): the sync of \(who) failed: \(error)")
        }
        stats.add(transport.stats)
        delivered[hub.index].formUnion(transport.delivered)
        // A crash armed for a page that brought nothing new has not fired: disarm it either way.
        if transport.clientCrashed {
            try reopen()
        }
        _ = crash.disarm()
        return outcome
    }

    /// Syncs every node and hub, bottom up, until a whole round moves nothing.
    func syncUntilQuiet() async throws -> Failure? {
        let upward = hubs.indices.filter { hubs[$0].upstream != nil }.reversed()
        for _ in 0..<12 {
            var moved = 0
            for index in nodes.indices {
                let outcome = try await sync(node: index, plan: Self.quiet)
                if let failure = outcome.failure { return failure }
                moved += outcome.moved
            }
            for index in upward {
                let outcome = try await syncUp(hub: index, plan: Self.quiet)
                if let failure = outcome.failure { return failure }
                moved += outcome.moved
            }
            if moved == 0 { return nil }
        }
        return Failure(reason: "still moving changes after 12 rounds of syncing everything")
    }

    // MARK: Dishonesty

    /// A tampered node pushes, alongside its own log (a set covering no positions of it), one
    /// change it may not make: another commune's record claimed with an empty context, or
    /// edited, moved to itself or deleted with the hub's own version as a forged context; or a
    /// new record under another node's origin. One time in three it names a log epoch of its
    /// own, which moves the hub's position for it back to 0: the node's next push meets a gap.
    func forge(node index: Int, kind: Int, seed: UInt64) async throws {
        let node = nodes[index]
        guard let upstream = try Upstream.load(from: node.replica),
            var epoch = try node.replica.setting("sync.log_epoch")
        else { return }
        var cursor = UInt64(try node.replica.setting("sync.push_cursor") ?? "0") ?? 0
        var random = SeededGenerator(seed: seed)
        if Int.random(in: 0..<3, using: &random) == 0 {
            epoch = "tampered\(forgeries.count)"
            cursor = 0
        }
        let number = UInt64(forgeries.count)
        let marker = FieldValue.string("forged-\(number)")
        let stamp = Stamp(wallMillis: node.clock.nowMillis(), logical: 0)
        let counter = (UInt64(1) << 40) + number
        let change: Change
        if kind % 5 == 4 {
            let others = nodes.filter { $0.index != index }
            let victim = others[Int.random(in: 0..<others.count, using: &random)]
            change = Change(
                dot: Dot(origin: victim.origin, counter: counter), stamp: stamp, collection: Self.collection,
                record: testRecord(1_000_000 + number), unit: node.commune, context: VersionVector(),
                set: [ReservedField.unit: .string(node.commune), "notes": marker])
        } else {
            let targets = try node.hub.replica.records(in: Self.collection).filter {
                !Self.owners($0.1).contains(node.commune)
            }
            guard !targets.isEmpty else { return }
            let (id, state) = targets[Int.random(in: 0..<targets.count, using: &random)]
            let shown = state.unit ?? node.commune
            let (context, unit, set): (VersionVector, String, FieldMap<FieldValue>) =
                switch kind % 5 {
                case 0: (VersionVector(), node.commune, [ReservedField.unit: .string(node.commune), "notes": marker])
                case 1: (state.version, shown, ["notes": marker])
                case 2: (state.version, node.commune, [ReservedField.unit: .string(node.commune), "notes": marker])
                default: (state.version, shown, [ReservedField.deleted: true, "notes": marker])
                }
            change = Change(
                dot: Dot(origin: node.origin, counter: counter), stamp: stamp, collection: Self.collection, record: id,
                unit: unit, context: context, set: set)
        }
        let body = ChangeSet(kind: .push, sender: node.origin, from: cursor, to: cursor, changes: [change]).encode(
            key: upstream.key, dictionary: WireVocabulary.dictionary)
        let transport = InProcessTransport(
            hub: node.hub, client: node.origin, key: upstream.key, clientCrash: nil, plan: .clean)
        let client = HubClient(
            baseURL: upstream.url, origin: node.origin, key: upstream.key, time: node.clock, transport: transport)
        do {
            let response = try await client.send(
                "POST", "/v1/push", query: "epoch=\(epoch)", body: body, contentType: "application/x-tre-changeset")
            if response.status == 200 {
                forgeries.append(Forgery(change: change, hub: node.hub.index))
                stats.forged += 1
            }
        } catch {
            // Refused as a whole (not judged change by change): nothing to follow.
        }
    }
}

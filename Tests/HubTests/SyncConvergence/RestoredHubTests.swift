import SyncCore
import TestSupport
import Testing

/// Found while writing the sync convergence test, and not fixed here (it needs a decision on
/// trust): a hub restored from a backup cannot get back the edits its own staff made after the
/// backup that reached only the nodes below it. Nodes push only their own changes, and a hub
/// refuses its own origin from any peer, so nothing brings them back; the node's next edit of
/// such a record depends on one of them and stays parked at the hub for good, so it never
/// reaches the province either. (A province restored from a backup is in the same position
/// with its districts.) Hub restores are left out of the random schedules until this is decided.
@Suite struct RestoredHubTests {
    @Test func aRestoredDistrictGetsBackItsOwnEditsThatOnlyItsNodesHold() async throws {
        let simulation = try SyncSimulation(schedule: SyncSchedule(seed: 1), faults: .none)
        let district = simulation.hubs[1]
        let node = simulation.nodes[0]
        let backup = district.path + ".backup"
        try SQLiteStorage(path: district.path).backup(to: backup, nowMillis: district.clock.nowMillis())
        let id = SyncSimulation.slot(0)
        // District staff register a child of the commune after the backup; the node pulls it.
        try district.replica.put(SyncSimulation.collection, id: id, unit: node.commune, set: ["full_name": "Vừ Thị Mỷ"])
        #expect(try await simulation.sync(node: 0, plan: SyncSimulation.quiet).failure == nil)
        try district.restore(fromBackup: backup, as: "hub-restored.sqlite")
        // The commune edits the child, then everyone syncs.
        try node.replica.put(SyncSimulation.collection, id: id, set: ["school_status": "primary"])
        #expect(try await simulation.syncUntilQuiet() == nil)
        let value = try district.replica.record(SyncSimulation.collection, id: id)?.value("school_status")
        let parked = try district.replica.counts().parked
        withKnownIssue("the district lacks its own edit, and the node's edit based on it is parked there") {
            #expect(value == "primary")
            #expect(parked == 0)
        }
    }
}

import Domain
import Foundation
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// A case is a legal record of a child at risk: a commune's node does not delete or restore a
/// case, a plan or a case event (its commands refuse to, `CaseDeletionCommandTests`). A node that
/// does anyway — an older release, a tampered laptop — has that change set aside at the hub,
/// through `Syncer` and `HubServer.handle`, while its other changes apply; the district's own
/// deletion of a case entered by mistake still goes through.
@Suite struct CaseDeletionGateTests {
    static let received = Instant.parse("2026-11-30T02:00:00Z")!

    @Test func aNodesCaseDeletionIsSetAsideAndTheDistrictsGoesThrough() async throws {
        let world = try RecordReferenceTests.World()
        let (replica, peer) = try world.service.enrolReplica(unit: "17605", clock: world.clock)
        let link = RecordReferenceTests.Recorder(world.service)
        let store = DomainStore(replica: replica, now: { Self.received })
        let child = try store.create(
            "children",
            fields: [
                "full_name": .string("Vừ Thị Mỷ"), "sex": .string("F"), "date_of_birth": .string("2015-03-02"),
                "village": .string("Bản Pha"), "lifecycle": .string("active"),
            ])
        let intake = try store.create(
            "intakes",
            fields: [
                "received_at": .string(Instant.format(Self.received)), "received_by": .string("Cán bộ"),
                "source": .string("school"), "abuse_types": .string("neglect"), "child_id": .string(child.description),
            ])
        let opened = try store.openCase(intake: intake, child: nil, by: "Cán bộ", at: Self.received)
        try await world.sync(replica, peer, link)
        #expect(try world.service.replica.record("cases", id: opened)?.isDeleted == false)
        #expect(try world.service.replica.setAsideEntries(limit: 10).isEmpty)

        // What the generic engine lets a tampered node write: the case deleted, beside an
        // ordinary edit of the child in the same push.
        try replica.delete("cases", id: opened)
        try replica.put("children", id: child, set: ["village": "Bản Mòn"])
        try await world.sync(replica, peer, link)
        let aside = try world.service.replica.setAsideEntries(limit: 10)
        #expect(aside.map(\.code) == ["not_permitted"])
        #expect(aside.first?.change.key == RecordKey(collection: "cases", id: opened))
        #expect(aside.first?.detail.contains("does not delete or restore a case record") == true)
        #expect(try world.service.replica.record("cases", id: opened)?.isDeleted == false)
        #expect(try world.service.replica.record("children", id: child)?.value("village") == "Bản Mòn")
        // The node is told, and keeps the change it made for `tre-node rejected`.
        #expect(try replica.setAsideEntries(limit: 10).map(\.code) == ["not_permitted"])

        // The district removes a case entered by mistake: its own write, at the hub.
        try world.service.replica.delete("cases", id: opened)
        #expect(try world.service.replica.record("cases", id: opened)?.isDeleted == true)
    }
}

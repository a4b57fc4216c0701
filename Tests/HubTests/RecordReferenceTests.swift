import Domain
import Foundation
import GRDB
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// A node's pushes name the records its hub holds by the dot of the node's own last change to
/// each (wire format 4, `RecordReferences`), through `Syncer` and `HubServer.handle`: what the
/// hub merges is what the node wrote, a hub that lost its index is answered by id once, and a
/// set that names a record it could not have named honestly is refused with nothing applied.
@Suite struct RecordReferenceTests {
    /// The link, keeping each push's body and the status answered to it.
    final class Recorder: HubTransport, @unchecked Sendable {
        let inner: SignedAnswerTests.Link
        private let lock = NSLock()
        private var kept: [(body: [UInt8], status: Int, code: String)] = []

        init(_ service: HubService) { inner = SignedAnswerTests.Link(service: service) { $0 } }

        func exchange(_ request: HubRequest) async throws(SyncFailure) -> HubResponse {
            let response = try await inner.exchange(request)
            if request.pathAndQuery.hasPrefix("/v1/push") {
                let code =
                    (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"]
                    as? String ?? ""
                lock.withLock { kept.append((request.body, response.status, code)) }
            }
            return response
        }

        /// Each push so far: its format (the header's version byte), the status and error code.
        var pushes: [(format: UInt8, status: Int, code: String)] {
            lock.withLock { kept.map { ($0.body[4], $0.status, $0.code) } }
        }
        func forget() { lock.withLock { kept = [] } }
    }

    struct World {
        let directory: TemporaryDirectory
        let clock = ManualClock()
        let service: HubService

        init() throws {
            directory = try TemporaryDirectory()
            service = try HubService.district(at: directory.path("district.sqlite"), clock: clock)
        }

        func sync(_ node: Replica, _ peer: HubStore.Peer, _ link: any HubTransport) async throws {
            let syncer = try Syncer(
                replica: node,
                upstream: Upstream(
                    url: URL(string: "http://hub.invalid")!, hubOrigin: service.replica.origin, hubUnit: "415",
                    key: peer.key),
                pushFilter: LogFilter(onlyOrigin: node.origin), dictionary: service.dictionary,
                definition: DomainDefinition.current.version, transport: link)
            try await syncer.run()
        }

        /// The hub's part for `unit` hashes as the node's replica does.
        func equal(_ node: Replica, unit: String) throws -> Bool {
            try service.replica.stateHash(unit: { $0 == unit }) == node.stateHash(unit: { $0 == unit })
        }

        /// Rows of the hub's index of pushed dots.
        func indexedDots() throws -> Int {
            try DatabaseQueue(path: directory.path("district.sqlite")).read {
                try Int.fetchOne($0, sql: "SELECT count(*) FROM log_dots") ?? -1
            }
        }
    }

    /// Ids whose bits look random, as real ones do (a UUIDv7 has 74 random bits): the bytes a
    /// reference saves are those no compression could.
    func record(_ number: UInt64) -> RecordID {
        RecordID(UUID128(high: number &* 0x9E37_79B9_7F4A_7C15, low: (number &+ 7) &* 0xBF58_476D_1CE4_E5B9))
    }

    static func child(_ name: String) -> [String: FieldValue] {
        [
            "full_name": .string(name), "sex": "F", "date_of_birth": "2019-09-05", "village": "Bản Mòn",
            "lifecycle": "active",
        ]
    }

    @Test func anHonestNightNamesTheHubsRecordsByReferenceAndMergesWhatTheNodeWrote() async throws {
        let world = try World()
        let (node, peer) = try world.service.enrolReplica(unit: "17605", clock: world.clock)
        let link = Recorder(world.service)
        for index in 1...12 {
            try node.put("children", id: record(UInt64(index)), unit: "17605", set: Self.child("Lò Thị \(index)"))
        }
        try await world.sync(node, peer, link)
        // The first push goes by id: the hub had not yet said it reads format 4.
        #expect(link.pushes.map(\.format) == [3])
        #expect(try world.indexedDots() == 12)

        // The night: eight children edited, one new child edited twice in the same set.
        link.forget()
        for index in 1...8 {
            try node.put("children", id: record(UInt64(index)), set: ["village": "Bản Pha"])
        }
        try node.put("children", id: record(13), unit: "17605", set: Self.child("Giàng Thị Dua"))
        try node.put("children", id: record(13), set: ["village": "Bản Pha"])
        try node.put("children", id: record(13), set: ["sex": "M"])
        try await world.sync(node, peer, link)
        #expect(link.pushes.map(\.format) == [4])
        #expect(link.pushes.map(\.status) == [200])
        #expect(try world.equal(node, unit: "17605"))
        for index in 1...8 {
            #expect(
                try world.service.replica.record("children", id: record(UInt64(index)))?.value("village")
                    == "Bản Pha")
        }
        #expect(try world.service.replica.record("children", id: record(13))?.value("sex") == "M")
        #expect(try world.service.replica.record("children", id: record(9))?.value("village") == "Bản Mòn")

        // The same set by id is larger by about a record id (16 random bytes) for each of the
        // eight children named (the new child's id, repeated in the set, compresses by itself).
        let page = try node.outgoingPage(
            after: 12, filter: LogFilter(onlyOrigin: node.origin), maxEntries: 100, maxBytes: 1 << 20)
        let set = ChangeSet(
            kind: .push, sender: node.origin, from: 12, to: page.through, changes: page.entries.map(\.change))
        let byId = set.encode(key: peer.key, dictionary: world.service.dictionary).count
        let byReference = set.encode(
            key: peer.key, dictionary: world.service.dictionary, referencing: RecordReferences()
        ).count
        #expect(byId - byReference >= 8 * 15, "by id \(byId), by reference \(byReference)")
    }

    @Test func aHubThatLostItsIndexIsAnsweredByIdOnceThenByReferenceAgain() async throws {
        let world = try World()
        let (node, peer) = try world.service.enrolReplica(unit: "17605", clock: world.clock)
        let link = Recorder(world.service)
        for index in 1...6 {
            try node.put("children", id: record(UInt64(index)), unit: "17605", set: Self.child("Lò Thị \(index)"))
        }
        try await world.sync(node, peer, link)
        // As a hub upgraded from 0.5 (no index yet) or restored from a backup holds them: none.
        try await DatabaseQueue(path: world.directory.path("district.sqlite")).write {
            try $0.execute(sql: "DELETE FROM log_dots")
        }

        link.forget()
        for index in 1...6 {
            try node.put("children", id: record(UInt64(index)), set: ["village": "Bản Pha"])
        }
        try await world.sync(node, peer, link)
        // Refused whole (nothing applied), then sent again naming every record by id.
        #expect(link.pushes.map(\.status) == [422, 200])
        #expect(link.pushes.first?.code == "unknown_reference")
        #expect(try world.equal(node, unit: "17605"))
        // The floor stands below the resent edits (counters 7–12): the hub holds those now.
        #expect(try node.setting("sync.reference_floor") == "6")

        // Dots from before the floor are never named again; the next edits are, at once.
        link.forget()
        for index in 1...6 {
            try node.put("children", id: record(UInt64(index)), set: ["sex": "M"])
        }
        try await world.sync(node, peer, link)
        #expect(link.pushes.map(\.status) == [200])
        #expect(link.pushes.map(\.format) == [4])
        // The resent edits were indexed: this set named the six children by their dots.
        #expect(try world.indexedDots() == 12)
        #expect(try world.equal(node, unit: "17605"))
    }

    @Test func aNodeOfAHubThatDoesNotSayItReadsFormat4PushesById() async throws {
        let world = try World()
        let (node, peer) = try world.service.enrolReplica(unit: "17605", clock: world.clock)
        // A hub of 0.5: no `Tre-Wire` in its answers.
        let link = Recorder(world.service)
        let old = OldHub(link)
        for index in 1...4 {
            try node.put("children", id: record(UInt64(index)), unit: "17605", set: Self.child("Lò Thị \(index)"))
        }
        try await world.sync(node, peer, old)
        for index in 1...4 {
            try node.put("children", id: record(UInt64(index)), set: ["village": "Bản Pha"])
        }
        try await world.sync(node, peer, old)
        #expect(link.pushes.map(\.format) == [3, 3])
        #expect(try world.equal(node, unit: "17605"))
    }

    /// A hub of the previous release as the node sees it: the same answers without `Tre-Wire`.
    final class OldHub: HubTransport, @unchecked Sendable {
        let inner: Recorder
        init(_ inner: Recorder) { self.inner = inner }
        func exchange(_ request: HubRequest) async throws(SyncFailure) -> HubResponse {
            let response = try await inner.exchange(request)
            return HubResponse(
                status: response.status, headers: response.headers.filter { $0.key != ChangeSet.wireHeader },
                body: response.body)
        }
    }
}

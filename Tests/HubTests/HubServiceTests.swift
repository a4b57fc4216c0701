import Foundation
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// The hub's protocol in-process: enrolment, authentication, push rules and pull scopes.
@Suite struct HubServiceTests {
    /// A district hub with units, and an enrolled node for commune 17605.
    struct Fixture {
        let directory: TemporaryDirectory
        let service: HubService
        let node: Replica
        let peer: HubStore.Peer
        let clock: ManualClock

        init() throws {
            directory = try TemporaryDirectory()
            clock = ManualClock()
            let storage = try SQLiteStorage(path: directory.path("district.sqlite"))
            let replica = try Replica.initialize(
                storage: storage, origin: testOrigin(100), unit: "415", name: "Kỳ Sơn", time: clock)
            let store = try HubStore.create(replica: replica, storage: storage)
            _ = try store.importUnits([
                .init(code: "415", name: "Kỳ Sơn", level: "district", parentCode: "40"),
                .init(code: "17605", name: "Mường Lống", level: "commune", parentCode: "415"),
                .init(code: "17608", name: "Huồi Tụ", level: "commune", parentCode: "415"),
            ])
            service = HubService(store: store, dictionary: nil) { _ in }
            let code = try store.createEnrolment(unit: "17605", days: 1, now: clock.nowMillis())
            node = try makeReplica(.memory, origin: 1, unit: "17605", clock: clock)
            let answer =
                try JSONSerialization.jsonObject(
                    with: Data(
                        try service.enrol(
                            body: jsonBytes(["code": code, "origin": node.origin.description, "kind": "node"]))))
                as! [String: String]
            #expect(answer["unit"] == "17605")
            peer = try #require(try store.peer(node.origin))
            #expect(peer.key.hex == answer["key"])
        }

        func pushBody(from: UInt64, to: UInt64, _ changes: [Change], key: PeerKey? = nil) -> [UInt8] {
            ChangeSet(kind: .push, sender: node.origin, from: from, to: to, changes: changes).encode(
                key: key ?? peer.key)
        }

        func answer(_ bytes: [UInt8]) throws -> [String: Int] {
            try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Int]
        }
    }

    func refusal(_ body: () throws -> Any) -> HubRefusal? {
        do {
            _ = try body()
            return nil
        } catch let refusal as HubRefusal {
            return refusal
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func enrolmentCodesWorkOnce() throws {
        let fixture = try Fixture()
        let store = fixture.service.store
        let code = try store.createEnrolment(unit: "17608", days: 1, now: fixture.clock.nowMillis())
        let body = jsonBytes(["code": code, "origin": testOrigin(2).description])
        _ = try fixture.service.enrol(body: body)
        #expect(
            refusal {
                try fixture.service.enrol(body: jsonBytes(["code": code, "origin": testOrigin(3).description]))
            }?.code == "used_code")
        #expect(
            refusal {
                try fixture.service.enrol(body: jsonBytes(["code": "AAAA-BBBB", "origin": testOrigin(4).description]))
            }?.code == "unknown_code")
        #expect(refusal { try fixture.service.enrol(body: Array("{".utf8)) }?.statusCode == 400)
        let late = try store.createEnrolment(unit: "17608", days: 1, now: fixture.clock.nowMillis())
        fixture.clock.advance(by: 2 * 86_400_000)
        #expect(
            refusal {
                try fixture.service.enrol(body: jsonBytes(["code": late, "origin": testOrigin(5).description]))
            }?.code == "expired_code")
    }

    @Test func pushIsAcknowledgedAndAResentSetChangesNothing() throws {
        let fixture = try Fixture()
        try fixture.node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        try fixture.node.put("children", id: testRecord(1), set: ["village": "Bản Mòn"])
        let body = fixture.pushBody(from: 0, to: 2, try fixture.node.allChanges())
        let first = try fixture.answer(try fixture.service.push(peer: fixture.peer, body: body))
        #expect(first == ["acknowledged": 2, "applied": 2, "duplicates": 0, "parked": 0])
        let hash = try fixture.service.replica.stateHash()
        let again = try fixture.answer(try fixture.service.push(peer: fixture.peer, body: body))
        #expect(again == ["acknowledged": 2, "applied": 0, "duplicates": 2, "parked": 0])
        #expect(try fixture.service.replica.stateHash() == hash)
        #expect(try fixture.service.replica.counts().lastSequence == 2)
    }

    @Test func aGapIsRefusedWithTheExpectedPosition() throws {
        let fixture = try Fixture()
        try fixture.node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        let refused = refusal {
            try fixture.service.push(
                peer: fixture.peer, body: fixture.pushBody(from: 5, to: 6, try fixture.node.allChanges()))
        }
        #expect(refused?.statusCode == 409)
        #expect(refused?.extra["expected"] == "0")
        #expect(try fixture.service.replica.counts().records == 0)
    }

    @Test func writingAnotherCommunesRecordIsRefusedWhole() throws {
        let fixture = try Fixture()
        try fixture.node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        try fixture.node.put("children", id: testRecord(2), unit: "17608", set: ["sex": "M"])
        let before = try fixture.service.replica.stateHash()
        let refused = refusal {
            try fixture.service.push(
                peer: fixture.peer, body: fixture.pushBody(from: 0, to: 2, try fixture.node.allChanges()))
        }
        #expect(refused?.statusCode == 403)
        #expect(refused?.code == "out_of_scope")
        #expect(try fixture.service.replica.stateHash() == before)
        #expect(try fixture.service.replica.setting(HubService.positionSetting(fixture.node.origin)) == nil)
    }

    @Test func aNodeMayNotRelayOthersChanges() throws {
        let fixture = try Fixture()
        let other = try makeReplica(.memory, origin: 9, unit: "17605")
        try other.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        let refused = refusal {
            try fixture.service.push(peer: fixture.peer, body: fixture.pushBody(from: 0, to: 1, try other.allChanges()))
        }
        #expect(refused?.code == "forged_origin")
    }

    @Test func aSetSignedWithAnotherKeyIsRefused() throws {
        let fixture = try Fixture()
        try fixture.node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        let refused = refusal {
            try fixture.service.push(
                peer: fixture.peer,
                body: fixture.pushBody(from: 0, to: 1, try fixture.node.allChanges(), key: .random()))
        }
        #expect(refused?.statusCode == 401)
        #expect(refused?.code == "bad_signature")
    }

    @Test func pullServesOnlyTheCallersCommuneAndNotItsOwnChanges() throws {
        let fixture = try Fixture()
        let hub = fixture.service.replica
        try fixture.node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        _ = try fixture.service.push(
            peer: fixture.peer, body: fixture.pushBody(from: 0, to: 1, try fixture.node.allChanges()))
        try hub.put("children", id: testRecord(2), unit: "17608", set: ["sex": "M"])
        try hub.put("children", id: testRecord(1), set: ["notes": "huyện đã xem"])
        let bytes = try fixture.service.pull(peer: fixture.peer, after: 0, maxBytes: 1 << 20)
        let set = try ChangeSet.decode(bytes, expecting: .pull, from: hub.origin) {
            $0 == hub.origin ? fixture.peer.key : nil
        }
        #expect(set.changes.map(\.dot) == [Dot(origin: hub.origin, counter: 2)])
        #expect(set.to == 3)
        #expect(!set.hasMore)
        try fixture.node.apply(set.changes, via: hub.origin)
        #expect(try fixture.node.stateHash() == hub.stateHash(unit: { $0 == "17605" }))
    }

    @Test func requestsAreAuthenticatedOnceAndWithinTheClockWindow() throws {
        let fixture = try Fixture()
        func headers(time: UInt64) -> [String: String] {
            RequestSignature.headers(
                origin: fixture.node.origin, key: fixture.peer.key, method: "GET", pathAndQuery: "/v1/status",
                timeMillis: time, body: [])
        }
        let good = headers(time: fixture.clock.nowMillis())
        let peer = try fixture.service.authenticate(
            method: "GET", pathAndQuery: "/v1/status", header: { good[$0] }, body: [])
        #expect(peer.origin == fixture.node.origin)
        #expect(
            refusal {
                try fixture.service.authenticate(
                    method: "GET", pathAndQuery: "/v1/status", header: { good[$0] }, body: [])
            }?.code == "replayed")
        #expect(
            refusal {
                try fixture.service.authenticate(
                    method: "GET", pathAndQuery: "/v1/pull", header: { good[$0] }, body: [])
            }?.code == "bad_signature")
        let skewed = headers(time: fixture.clock.nowMillis() + 3 * 86_400_000)
        #expect(
            refusal {
                try fixture.service.authenticate(
                    method: "GET", pathAndQuery: "/v1/status", header: { skewed[$0] }, body: [])
            }?.code == "clock_skew")
        #expect(
            refusal {
                try fixture.service.authenticate(
                    method: "GET", pathAndQuery: "/v1/status", header: { _ in nil }, body: [])
            }?.code == "unauthenticated")
    }
}

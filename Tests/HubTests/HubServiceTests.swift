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
            service = try HubService.district(at: directory.path("district.sqlite"), clock: clock)
            let code = try service.store.createEnrolment(unit: "17605", kind: .node, hours: 24, now: clock.nowMillis())
                .code
            let answer = try Self.enrol(service, ["code": code, "kind": "node"])
            #expect(answer["unit"] == "17605")
            let origin = try #require(answer["origin"].flatMap(OriginID.init(string:)))
            node = try Replica.initialize(storage: MemoryStorage(), origin: origin, unit: "17605", time: clock)
            peer = try #require(try service.store.peer(node.origin))
            #expect(peer.key.hex == answer["key"])
        }

        /// Enrols through the service as a client would, returning the answer.
        static func enrol(_ service: HubService, _ body: [String: String]) throws -> [String: String] {
            try JSONSerialization.jsonObject(with: Data(try service.enrol(body: jsonBytes(body)))) as! [String: String]
        }

        func enrol(_ body: [String: String]) throws -> [String: String] { try Self.enrol(service, body) }

        func code(_ unit: String = "17608", kind: HubStore.Kind = .node, hours: Int = 24) throws -> String {
            try service.store.createEnrolment(unit: unit, kind: kind, hours: hours, now: clock.nowMillis()).code
        }

        func pushBody(from: UInt64, to: UInt64, _ changes: [Change], key: PeerKey? = nil) -> [UInt8] {
            ChangeSet(kind: .push, sender: node.origin, from: from, to: to, changes: changes).encode(
                key: key ?? peer.key)
        }

        /// A push answer's counts (`set_aside` as its length).
        func answer(_ bytes: [UInt8]) throws -> [String: Int] {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            return object.compactMapValues { ($0 as? Int) ?? ($0 as? [Any])?.count }
        }

        /// The codes of a push answer's set-aside changes, by record id.
        func setAside(_ bytes: [UInt8]) throws -> [String: String] {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            let list = try #require(object["set_aside"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: list.map { ($0["record"] as! String, $0["code"] as! String) })
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
        let code = try fixture.code()
        _ = try fixture.enrol(["code": code, "kind": "node"])
        #expect(refusal { try fixture.enrol(["code": code, "kind": "node"]) }?.code == "used_code")
        #expect(refusal { try fixture.enrol(["code": "AAAA-BBBB", "kind": "node"]) }?.code == "unknown_code")
        #expect(refusal { try fixture.service.enrol(body: Array("{".utf8)) }?.statusCode == 400)
        #expect(refusal { try fixture.enrol(["code": try fixture.code()]) }?.code == "bad_kind")
    }

    @Test func theHubAssignsTheOriginAndTheCodeFixesTheUnit() throws {
        let fixture = try Fixture()
        let first = try fixture.enrol(["code": try fixture.code("17608"), "kind": "node", "name": "Laptop 2"])
        let second = try fixture.enrol(["code": try fixture.code("17608"), "kind": "node"])
        let origins = [first, second].compactMap { $0["origin"].flatMap(OriginID.init(string:)) }
        #expect(origins.count == 2)
        #expect(Set(origins + [fixture.node.origin, fixture.service.replica.origin]).count == 4)
        for origin in origins {
            // A UUIDv7 made by the hub at its own time.
            #expect(origin.uuid.high >> 16 == fixture.clock.nowMillis())
            #expect((origin.uuid.high >> 12) & 0xf == 7)
            let peer = try #require(try fixture.service.store.peer(origin))
            #expect(peer.unit == "17608")
            #expect(peer.kind == "node")
        }
        #expect(try fixture.service.store.peer(origins[0])?.name == "Laptop 2")
        #expect(first["key"] != second["key"])
    }

    @Test func aRequestThatChoosesItsOriginIsRefusedAndTheCodeStaysUnused() throws {
        let fixture = try Fixture()
        let code = try fixture.code()
        let chosen = refusal { try fixture.enrol(["code": code, "kind": "node", "origin": testOrigin(7).description]) }
        #expect(chosen?.statusCode == 400)
        #expect(chosen?.code == "origin_not_accepted")
        #expect(chosen?.hint.contains("Upgrade") == true)
        #expect(try fixture.service.store.peer(testOrigin(7)) == nil)
        #expect(refusal { try fixture.enrol(["code": code, "kind": "node", "colour": "blue"]) }?.code == "bad_request")
        #expect(
            refusal { try fixture.enrol(["code": code, "kind": "node", "name": "a\u{1b}[2Jb"]) }?.code == "bad_name")
        #expect(
            refusal { try fixture.enrol(["code": code, "kind": "node", "name": String(repeating: "x", count: 101)]) }?
                .code == "bad_name")
        // None of those used the code.
        #expect(try fixture.enrol(["code": code, "kind": "node"])["unit"] == "17608")
    }

    @Test func aCodeOfOneKindCannotEnrolTheOther() throws {
        let fixture = try Fixture()
        let hubCode = try fixture.code("17608", kind: .hub)
        let asNode = refusal { try fixture.enrol(["code": hubCode, "kind": "node"]) }
        #expect(asNode?.statusCode == 403)
        #expect(asNode?.code == "wrong_kind")
        #expect(asNode?.message == "this enrolment code is for a hub, not a node")
        #expect(asNode?.hint.contains("tre-hub init --upstream") == true)
        let nodeCode = try fixture.code("17608", kind: .node)
        let asHub = refusal { try fixture.enrol(["code": nodeCode, "kind": "hub"]) }
        #expect(asHub?.code == "wrong_kind")
        #expect(asHub?.hint.contains("--kind hub") == true)
        #expect(try fixture.service.store.peers().count == 1)
        // Both codes are still unused, each for its own kind.
        let hub = try fixture.enrol(["code": hubCode, "kind": "hub"])
        let node = try fixture.enrol(["code": nodeCode, "kind": "node"])
        #expect(try fixture.service.store.peer(OriginID(string: hub["origin"]!)!)?.kind == "hub")
        #expect(try fixture.service.store.peer(OriginID(string: node["origin"]!)!)?.kind == "node")
    }

    @Test func aCodeForAnotherUnitThanExpectedIsRefusedUnused() throws {
        let fixture = try Fixture()
        let code = try fixture.code("17608")
        let refused = refusal { try fixture.enrol(["code": code, "kind": "node", "unit": "17605"]) }
        #expect(refused?.statusCode == 403)
        #expect(refused?.code == "wrong_unit")
        #expect(refused?.message.contains("17608") == true)
        #expect(try fixture.enrol(["code": code, "kind": "node", "unit": "17608"])["unit"] == "17608")
    }

    @Test func codesExpireAfterTheirHours() throws {
        let fixture = try Fixture()
        let day = try fixture.code()
        let hour = try fixture.code(hours: 1)
        let later = try fixture.code()
        fixture.clock.advance(by: 3_600_000)
        #expect(refusal { try fixture.enrol(["code": hour, "kind": "node"]) }?.code == "expired_code")
        fixture.clock.advance(by: 23 * 3_600_000 - 1)
        _ = try fixture.enrol(["code": day, "kind": "node"])
        fixture.clock.advance(by: 1)
        #expect(refusal { try fixture.enrol(["code": later, "kind": "node"]) }?.code == "expired_code")
        #expect(try fixture.service.store.pendingEnrolments(now: fixture.clock.nowMillis()).isEmpty)
    }

    @Test func pendingCodesAreListedWithoutTheCodeAndCanBeRevoked() throws {
        let fixture = try Fixture()
        let store = fixture.service.store
        let (keep, keepID) = try store.createEnrolment(
            unit: "17608", kind: .node, hours: 24, now: fixture.clock.nowMillis())
        let (drop, dropID) = try store.createEnrolment(
            unit: "17605", kind: .hub, hours: 2, now: fixture.clock.nowMillis())
        let pending = try store.pendingEnrolments(now: fixture.clock.nowMillis())
        #expect(Set(pending.map(\.id)) == [keepID, dropID])
        let dropped = try #require(pending.first { $0.id == dropID })
        #expect(dropped.unit == "17605")
        #expect(dropped.kind == "hub")
        #expect(dropped.expiresAt == dropped.createdAt + 2 * 3_600_000)
        let shown = pending.map { "\($0)" }.joined()
        for code in [keep, drop] {
            #expect(!shown.contains(code))
            #expect(!shown.contains(HubStore.hash(code)))
        }
        #expect(
            try store.revokeEnrolment(id: String(dropID.prefix(6)), now: fixture.clock.nowMillis()) == .revoked(dropped)
        )
        #expect(try store.revokeEnrolment(id: dropID, now: fixture.clock.nowMillis()) == .alreadyRevoked(dropped))
        #expect(try store.revokeEnrolment(id: "zzzz", now: fixture.clock.nowMillis()) == .notFound)
        #expect(try store.pendingEnrolments(now: fixture.clock.nowMillis()).map(\.id) == [keepID])
        #expect(refusal { try fixture.enrol(["code": drop, "kind": "hub"]) }?.code == "revoked_code")
        _ = try fixture.enrol(["code": keep, "kind": "node"])
        guard case .used(_, let by) = try store.revokeEnrolment(id: keepID, now: fixture.clock.nowMillis()) else {
            Issue.record("a used code was revoked")
            return
        }
        #expect(by != nil)
        #expect(
            try store.events().map(\.event) == [
                "code_created", "enrolled", "code_created", "code_created", "code_revoked", "enrolled",
            ])
    }

    /// The signed requests a peer makes, each answered through `authenticate`, as every signed
    /// route does before anything else.
    func signedRoutes(_ fixture: Fixture, key: PeerKey, origin: OriginID) -> [() throws -> HubStore.Peer] {
        [
            ("POST", "/v1/push", [UInt8]([1, 2, 3])), ("GET", "/v1/pull?after=0&max_bytes=1024", []),
            ("GET", "/v1/status", []),
        ]
        .map { method, path, body in
            {
                let headers = RequestSignature.headers(
                    origin: origin, key: key, method: method, pathAndQuery: path,
                    timeMillis: fixture.clock.nowMillis(), body: body)
                return try fixture.service.authenticate(
                    method: method, pathAndQuery: path, header: { headers[$0] }, body: body)
            }
        }
    }

    @Test func aRevokedPeerIsRefusedOnEverySignedRouteAndKept() throws {
        let fixture = try Fixture()
        let other = try fixture.enrol(["code": try fixture.code("17608"), "kind": "node"])
        let otherOrigin = try #require(other["origin"].flatMap(OriginID.init(string:)))
        let otherKey = try #require(other["key"].flatMap(PeerKey.init(hex:)))
        for route in signedRoutes(fixture, key: fixture.peer.key, origin: fixture.node.origin) {
            #expect(try route().origin == fixture.node.origin)
        }
        fixture.clock.advance(by: 1000)
        guard
            case .revoked(let record) = try fixture.service.store.revokePeer(
                String(fixture.node.origin.description.prefix(28)), now: fixture.clock.nowMillis())
        else {
            Issue.record("not revoked")
            return
        }
        #expect(record.peer.origin == fixture.node.origin)
        for route in signedRoutes(fixture, key: fixture.peer.key, origin: fixture.node.origin) {
            let refused = refusal(route)
            #expect(refused?.statusCode == 401)
            #expect(refused?.code == "revoked")
            #expect(refused?.message.contains("was revoked") == true)
            #expect(refused?.hint.contains("Enrol again with a new code") == true)
            #expect(refused?.hint.contains("tre-node init") == true)
        }
        // Only that peer: the other keeps working.
        for route in signedRoutes(fixture, key: otherKey, origin: otherOrigin) {
            #expect(try route().origin == otherOrigin)
        }
        // Kept, marked, and recorded; revoking again changes nothing.
        let kept = try #require(try fixture.service.store.peer(fixture.node.origin))
        #expect(kept.revokedAt == fixture.clock.nowMillis())
        #expect(try fixture.service.store.peers().count == 2)
        fixture.clock.advance(by: 1000)
        guard
            case .alreadyRevoked = try fixture.service.store.revokePeer(
                fixture.node.origin.description, now: fixture.clock.nowMillis())
        else {
            Issue.record("revoked twice")
            return
        }
        #expect(try fixture.service.store.peer(fixture.node.origin)?.revokedAt == kept.revokedAt)
        #expect(
            try fixture.service.store.events().filter { $0.event == "peer_revoked" }.map(\.origin) == [
                fixture.node.origin
            ])
        // A forged request in the revoked peer's name learns nothing about the revocation.
        let forged = refusal { try self.signedRoutes(fixture, key: .random(), origin: fixture.node.origin)[2]() }
        #expect(forged?.code == "bad_signature")
    }

    @Test func peersAreRevokedByAUniquePrefixOnly() throws {
        let fixture = try Fixture()
        let store = fixture.service.store
        _ = try fixture.enrol(["code": try fixture.code("17608"), "kind": "node"])
        let origins = try store.peers().map(\.peer.origin.description)
        // Both were made in the same millisecond: their first 12 digits are the same time.
        let shared = String(origins[0].prefix(8))
        guard case .ambiguous(let matches) = try store.revokePeer(shared, now: fixture.clock.nowMillis()) else {
            Issue.record("an ambiguous prefix revoked a peer")
            return
        }
        #expect(matches.count == 2)
        for unknown in ["ffff-ffff", String(origins[0].prefix(3)), "not-hex"] {
            guard case .notFound = try store.revokePeer(unknown, now: fixture.clock.nowMillis()) else {
                Issue.record("\(unknown) revoked a peer")
                return
            }
        }
        #expect(try store.peers().allSatisfy { $0.peer.revokedAt == nil })
        guard case .revoked = try store.revokePeer(origins[1].uppercased(), now: fixture.clock.nowMillis()) else {
            Issue.record("a full origin did not revoke")
            return
        }
        #expect(try store.peer(OriginID(string: origins[0])!)?.revokedAt == nil)
        #expect(try store.peer(OriginID(string: origins[1])!)?.revokedAt != nil)
    }

    @Test func pushIsAcknowledgedAndAResentSetChangesNothing() throws {
        let fixture = try Fixture()
        try fixture.node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        try fixture.node.put("children", id: testRecord(1), set: ["village": "Bản Mòn"])
        let body = fixture.pushBody(from: 0, to: 2, try fixture.node.allChanges())
        let first = try fixture.answer(try fixture.service.push(peer: fixture.peer, body: body))
        #expect(first == ["acknowledged": 2, "applied": 2, "duplicates": 0, "parked": 0, "set_aside": 0])
        let hash = try fixture.service.replica.stateHash()
        let again = try fixture.answer(try fixture.service.push(peer: fixture.peer, body: body))
        #expect(again == ["acknowledged": 2, "applied": 0, "duplicates": 2, "parked": 0, "set_aside": 0])
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
        #expect(refused?.numbers["expected"] == 0)
        #expect(try fixture.service.replica.counts().records == 0)
    }

    @Test func anotherCommunesNewRecordIsSetAsideAndTheRestApplies() throws {
        let fixture = try Fixture()
        try fixture.node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        try fixture.node.put("children", id: testRecord(2), unit: "17608", set: ["sex": "M"])
        let answer = try fixture.service.push(
            peer: fixture.peer, body: fixture.pushBody(from: 0, to: 2, try fixture.node.allChanges()))
        #expect(
            try fixture.answer(answer) == [
                "acknowledged": 2, "applied": 1, "duplicates": 0, "parked": 0, "set_aside": 1,
            ])
        #expect(try fixture.setAside(answer) == [testRecord(2).description: "out_of_scope"])
        let hub = fixture.service.replica
        #expect(try hub.record("children", id: testRecord(1)) != nil)
        #expect(try hub.record("children", id: testRecord(2)) == nil)
        #expect(try hub.setAsideEntries().map(\.change.record) == [testRecord(2)])
    }

    @Test func aNodeMayNotRelayOthersChanges() throws {
        let fixture = try Fixture()
        let other = try makeReplica(.memory, origin: 9, unit: "17605")
        try other.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        let answer = try fixture.service.push(
            peer: fixture.peer, body: fixture.pushBody(from: 0, to: 1, try other.allChanges()))
        #expect(try fixture.setAside(answer) == [testRecord(1).description: "forged_origin"])
        #expect(try fixture.service.replica.record("children", id: testRecord(1)) == nil)
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
        let bytes = try fixture.service.pull(peer: fixture.peer, after: 0, maxBytes: 1 << 20).bytes
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
        // The hub restarts: the request is still a replay.
        let store = try HubStore.open(path: fixture.service.store.path, time: fixture.clock)
        let restarted = HubService(store: store, dictionary: nil) { _ in }
        #expect(
            refusal {
                try restarted.authenticate(method: "GET", pathAndQuery: "/v1/status", header: { good[$0] }, body: [])
            }?.code == "replayed")
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

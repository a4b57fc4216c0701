import Foundation
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// The trust boundary, attacked through the hub's push: what a peer may write is decided from
/// the hub's own history, a refused change is set aside without blocking the rest, and no
/// number a peer sends can trap. Communes 17605 (node A) and 17608 (node B) under district 415.
@Suite struct TrustBoundaryTests {
    final class District {
        let directory: TemporaryDirectory
        let path: String
        let clock = ManualClock()
        var service: HubService
        let a: Replica
        let b: Replica
        let peerA: HubStore.Peer
        let peerB: HubStore.Peer
        /// Where each node's next push starts: its own log position.
        var pushed: [OriginID: UInt64] = [:]
        var pulled: [OriginID: UInt64] = [:]

        init() throws {
            directory = try TemporaryDirectory()
            path = directory.path("district.sqlite")
            service = try HubService.district(at: path, clock: clock)
            (a, peerA) = try service.enrolReplica(unit: "17605", clock: clock)
            (b, peerB) = try service.enrolReplica(unit: "17608", clock: clock)
        }

        var hub: Replica { service.replica }

        func peer(_ node: Replica) -> HubStore.Peer { node.origin == a.origin ? peerA : peerB }

        /// Pushes `changes` as the next set of `node`'s log and returns the answer.
        @discardableResult
        func push(_ node: Replica, _ changes: [Change]) throws -> [String: Any] {
            let from = pushed[node.origin] ?? 0
            let to = from + UInt64(changes.count)
            let body = ChangeSet(kind: .push, sender: node.origin, from: from, to: to, changes: changes).encode(
                key: peer(node).key)
            let answer = try service.push(peer: peer(node), body: body)
            pushed[node.origin] = to
            return try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])
        }

        /// Pushes everything `node` made since its last push.
        @discardableResult
        func sync(_ node: Replica) throws -> [String: Any] {
            let mine = try node.allChanges().filter { $0.dot.origin == node.origin }
            let sent = Int(pushed[node.origin] ?? 0)
            let answer = try push(node, Array(mine.dropFirst(sent)))
            pushed[node.origin] = UInt64(mine.count)
            let bytes = try service.pull(peer: peer(node), after: pulled[node.origin] ?? 0, maxBytes: 1 << 20).bytes
            let set = try ChangeSet.decode(bytes, expecting: .pull, from: hub.origin) { _ in peer(node).key }
            try node.apply(set.changes, via: hub.origin)
            pulled[node.origin] = set.to
            return answer
        }

        /// A change written by hand, as a dishonest node would.
        func forged(
            by node: Replica, counter: UInt64, record: RecordID, unit: String, context: VersionVector,
            set: FieldMap<FieldValue>, wall: UInt64? = nil
        ) -> Change {
            Change(
                dot: Dot(origin: node.origin, counter: counter),
                stamp: Stamp(wallMillis: wall ?? clock.nowMillis(), logical: 0), collection: "children",
                record: record, unit: unit, context: context, set: set)
        }
    }

    static func setAside(_ answer: [String: Any]) -> [String] {
        ((answer["set_aside"] as? [[String: Any]]) ?? []).map { $0["code"] as! String }
    }

    /// B registers a child; the hub holds it. Returns its id and B's creation.
    static func bsChild(_ district: District) throws -> (RecordID, Change) {
        let id = testRecord(7)
        let created = try #require(
            try district.b.put("children", id: id, unit: "17608", set: ["full_name": "Vừ Thị Mỷ", "sex": "F"]))
        try district.sync(district.b)
        return (id, created)
    }

    // MARK: Another commune's record, with an empty, forged or stale context

    @Test func anEmptyContextCannotEditOrClaimAnotherCommunesChild() throws {
        let district = try District()
        let (id, _) = try Self.bsChild(district)
        let before = try district.hub.stateHash()
        let edit = district.forged(
            by: district.a, counter: 1, record: id, unit: "17605", context: VersionVector(),
            set: ["full_name": "kẻ mạo danh"])
        let claim = district.forged(
            by: district.a, counter: 2, record: id, unit: "17605", context: VersionVector(),
            set: [ReservedField.unit: "17605", "sex": "M"])
        let answer = try district.push(district.a, [edit, claim])
        // (A's second change leaves its first, set aside, out of its context: no origin makes
        // changes concurrent with its own, so that alone refuses it.)
        #expect(Self.setAside(answer) == ["claims_existing_record", "inconsistent_context"])
        #expect(answer["acknowledged"] as? Int == 2)
        #expect(try district.hub.stateHash() == before)
        #expect(try district.hub.setAsideEntries().count == 2)
    }

    @Test func aForgedContextCannotEditDeleteMoveOrResurrectAnotherCommunesChild() throws {
        // Each attempt on its own district: A's first change to the child, based on B's creation.
        let attempts: [FieldMap<FieldValue>] = [
            ["full_name": "kẻ mạo danh"],
            [ReservedField.deleted: true],
            [ReservedField.unit: "17605"],
        ]
        for set in attempts {
            let district = try District()
            let (id, created) = try Self.bsChild(district)
            let before = try district.hub.stateHash()
            let change = district.forged(
                by: district.a, counter: 1, record: id, unit: set[ReservedField.unit]?.stringValue ?? "17608",
                context: VersionVector([(created.dot.origin, created.dot.counter)]), set: set)
            #expect(Self.setAside(try district.push(district.a, [change])) == ["out_of_scope"], "\(set.keys)")
            #expect(try district.hub.stateHash() == before)
        }

        // B deletes its child; A may not bring it back either.
        let district = try District()
        let (id, _) = try Self.bsChild(district)
        try district.b.delete("children", id: id)
        try district.sync(district.b)
        let deleted = try #require(try district.hub.record("children", id: id))
        let resurrect = district.forged(
            by: district.a, counter: 1, record: id, unit: "17608", context: deleted.version,
            set: [ReservedField.deleted: false])
        #expect(Self.setAside(try district.push(district.a, [resurrect])) == ["out_of_scope"])
        #expect(try district.hub.record("children", id: id)?.isDeleted == true)
    }

    @Test func aContextTheHubLacksParksAndIsJudgedWhenReleased() throws {
        let district = try District()
        let (id, created) = try Self.bsChild(district)
        // A names a change of B the hub has not seen yet: the change parks...
        let ahead = VersionVector([(created.dot.origin, created.dot.counter + 1)])
        let edit = district.forged(
            by: district.a, counter: 1, record: id, unit: "17608", context: ahead, set: ["full_name": "kẻ mạo danh"])
        let answer = try district.push(district.a, [edit])
        #expect(answer["parked"] as? Int == 1)
        // ...and when B's change arrives and releases it, it is judged for A, not applied.
        try district.b.put("children", id: id, set: ["village": "Bản Mòn"])
        let released = try district.sync(district.b)
        #expect(Self.setAside(released) == ["out_of_scope"])
        #expect(try district.hub.record("children", id: id)?.value("full_name") == "Vừ Thị Mỷ")
        #expect(try district.hub.counts().parked == 0)
        #expect(try district.hub.setAsideEntries().map(\.via) == [district.a.origin])
    }

    // MARK: Honest work that crosses a move is kept

    @Test func anOfflineEditMadeBeforeAMoveIsKeptAndALaterOneIsSetAsideWithoutBlocking() throws {
        let district = try District()
        let id = testRecord(9)
        try district.a.put(
            "children", id: id, unit: "17605", set: ["full_name": "Lò Văn Páo", "school_status": "primary"])
        try district.sync(district.a)
        // District staff move the child to B's commune while A works offline on the same child.
        try district.hub.put("children", id: id, unit: "17608", set: [:])
        try district.a.put("children", id: id, set: ["school_status": "out_of_school"])
        let first = try district.sync(district.a)
        #expect(Self.setAside(first).isEmpty)
        let held = try #require(try district.hub.record("children", id: id))
        #expect(held.value("school_status") == "out_of_school")
        #expect(held.unit == "17608")

        // A has now seen the move; an edit made after it is not A's to make. It is set aside,
        // so is A's next edit of that child (based on it), and A's other work still lands.
        #expect(try district.a.record("children", id: id)?.unit == "17608")
        try district.a.put("children", id: id, set: ["notes": "đã chuyển đi"])
        try district.a.put("children", id: id, set: ["notes": "đã chuyển đi, gọi xã mới"])
        try district.a.put("children", id: testRecord(10), unit: "17605", set: ["full_name": "Giàng A Tủa"])
        let second = try district.sync(district.a)
        #expect(Self.setAside(second) == ["out_of_scope", "depends_on_set_aside"])
        #expect(second["applied"] as? Int == 1)
        #expect(try district.hub.record("children", id: testRecord(10)) != nil)
        #expect(try district.hub.record("children", id: id)?.value("notes") == nil)

        // A retry judges them again by the same rule: still not A's at that version.
        let store = district.service.store
        let gate = try store.gate(for: nil, now: district.clock.nowMillis(), maximumFutureMillis: 86_400_000)
        let retried = try district.hub.retrySetAside(nil, gate: gate)
        #expect(retried.applied == 0)
        #expect(retried.refused.map(\.kind) == [.outOfScope, .dependsOnSetAside])
        // The district's staff decide A was right: accepting applies both, in order.
        let accepted = try district.hub.retrySetAside(nil, gate: OperatorGate(gate))
        #expect(accepted.applied == 2)
        #expect(accepted.refused.isEmpty)
        #expect(try district.hub.record("children", id: id)?.value("notes") == "đã chuyển đi, gọi xã mới")
        #expect(try district.hub.setAsideEntries().isEmpty)
    }

    @Test func aPeerCannotFillTheHubWithChangesItKnowsWillBeRefused() throws {
        let district = try District()
        let service = HubService(store: district.service.store, dictionary: nil, maximumSetAsidePerPeer: 50) { _ in }
        district.service = service
        // 60 creations in another commune, each set aside: the cap is reached within this set.
        let refused = (1...60).map { index in
            district.forged(
                by: district.a, counter: UInt64(index), record: testRecord(UInt64(100 + index)), unit: "17608",
                context: VersionVector(), set: [ReservedField.unit: "17608"])
        }
        #expect(Self.setAside(try district.push(district.a, refused)).count == 60)
        // The next push is refused whole until an operator reviews them; B's is not.
        try district.a.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        let honest = try #require(try district.a.allChanges().last)
        let body = ChangeSet(kind: .push, sender: district.a.origin, from: 60, to: 61, changes: [honest]).encode(
            key: district.peerA.key)
        let refusal = #expect(throws: HubRefusal.self) { try service.push(peer: district.peerA, body: body) }
        #expect(refusal?.code == "too_many_set_aside" && refusal?.statusCode == 429)
        #expect(try district.hub.setAsideEntries(limit: .max).count == 60)
        try district.b.put("children", id: testRecord(2), unit: "17608", set: ["sex": "M"])
        #expect(try district.sync(district.b)["applied"] as? Int == 1)
        // Reviewed and discarded: A pushes again.
        _ = try district.hub.discardSetAside(Set(try district.hub.setAsideEntries(limit: .max).map(\.change.dot)))
        let answer = try JSONSerialization.jsonObject(with: Data(try service.push(peer: district.peerA, body: body)))
        #expect((answer as? [String: Any])?["applied"] as? Int == 1)
    }

    // MARK: Times and numbers a peer sends

    @Test func aChangeFromTheFutureIsSetAsideAndMovesNoClock() throws {
        let district = try District()
        let hubClockBefore = try district.hub.meta().clock
        let tomorrowAndMore = district.clock.nowMillis() + 25 * 3_600_000
        let year2999: UInt64 = 32_503_680_000_000
        let changes = [tomorrowAndMore, year2999].enumerated().map { index, wall in
            district.forged(
                by: district.a, counter: UInt64(index + 1), record: testRecord(UInt64(20 + index)), unit: "17605",
                context: VersionVector(), set: ["full_name": "Hờ A Dê"], wall: wall)
        }
        let answer = try district.push(district.a, changes)
        #expect(Self.setAside(answer) == ["future_time", "future_time"])
        #expect(try district.hub.meta().clock == hubClockBefore)
        // A clock a few hours fast is fine (laptops drift); the hub's clock moves past it.
        let fast = district.forged(
            by: district.a, counter: 3, record: testRecord(22), unit: "17605", context: VersionVector(),
            set: ["full_name": "Hờ A Dê"], wall: district.clock.nowMillis() + 3 * 3_600_000)
        #expect(Self.setAside(try district.push(district.a, [fast])).isEmpty)
    }

    @Test func hostileNumbersAreRefusedWithoutATrapAndLeaveNothingStored() throws {
        let district = try District()
        let node = district.a
        try node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        let change = try node.allChanges()[0]
        func push(from: UInt64, to: UInt64, _ changes: [Change]) -> HubRefusal? {
            let body = ChangeSet(kind: .push, sender: node.origin, from: from, to: to, changes: changes).encode(
                key: district.peerA.key)
            do {
                _ = try district.service.push(peer: district.peerA, body: body)
                return nil
            } catch {
                return error as? HubRefusal
            }
        }
        let before = try district.hub.stateHash()
        #expect(push(from: 0, to: .max, [change])?.code == "bad_positions")
        #expect(push(from: 5, to: 1, [change])?.code == "bad_positions")
        var huge = change
        huge.dot = Dot(origin: node.origin, counter: .max)
        #expect(push(from: 0, to: 1, [huge])?.code == "invalid_change")
        var hugeContext = change
        hugeContext.context = VersionVector([(testOrigin(100), .max)])
        #expect(push(from: 0, to: 1, [hugeContext])?.code == "invalid_change")
        #expect(try district.hub.stateHash() == before)
        #expect(try district.hub.setting(HubService.positionSetting(node.origin)) == nil)
        // A pull from past the end of any log answers an empty page.
        let page = try district.service.pull(peer: district.peerA, after: .max, maxBytes: .max).bytes
        let set = try ChangeSet.decode(page, expecting: .pull, from: district.hub.origin) { _ in district.peerA.key }
        #expect(set.changes.isEmpty)
    }

    @Test func aHostilePositionAlreadyStoredDoesNotCrashTheHubAfterARestart() throws {
        let district = try District()
        // What an earlier version stored from a crafted set: a position no log reaches.
        try district.hub.setSetting(HubService.positionSetting(district.a.origin), String(UInt64.max))
        try district.hub.setSetting(HubService.positionSetting(district.b.origin), "not a number")
        // Restart: a new service on the same file.
        let store = try HubStore.open(path: district.path, time: district.clock)
        district.service = HubService(store: store, dictionary: nil) { _ in }
        try district.a.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        let answer = try district.sync(district.a)
        #expect(answer["applied"] as? Int == 1)
        #expect(answer["acknowledged"] as? Int == 1)
        try district.b.put("children", id: testRecord(2), unit: "17608", set: ["sex": "M"])
        #expect(try district.sync(district.b)["applied"] as? Int == 1)
        _ = try district.service.status(peer: district.peerA)
    }

    // MARK: Relays

    @Test func aLowerHubRelaysItsSubtreeButNeverADirectPeerOrTheProvinceItself() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let storage = try SQLiteStorage(path: directory.path("province.sqlite"))
        let province = try Replica.initialize(storage: storage, origin: testOrigin(40), unit: "40", time: clock)
        let store = try HubStore.create(replica: province, storage: storage)
        _ = try store.importUnits([
            .init(code: "40", name: "Nghệ An", level: "province", parentCode: nil),
            .init(code: "415", name: "Kỳ Sơn", level: "district", parentCode: "40"),
            .init(code: "17605", name: "Mường Lống", level: "commune", parentCode: "415"),
            .init(code: "17700", name: "Xã trực thuộc", level: "commune", parentCode: "40"),
        ])
        let service = HubService(store: store, dictionary: nil) { _ in }
        let (districtHub, peer) = try service.enrolReplica(unit: "415", kind: .hub, clock: clock)
        let (direct, _) = try service.enrolReplica(unit: "17700", clock: clock)
        let commune = try makeReplica(.memory, origin: 5, unit: "17605", clock: clock)
        func change(by author: OriginID, counter: UInt64, record: UInt64, unit: String) -> Change {
            Change(
                dot: Dot(origin: author, counter: counter), stamp: Stamp(wallMillis: clock.nowMillis(), logical: 0),
                collection: "children", record: testRecord(record), unit: unit, context: VersionVector(),
                set: [ReservedField.unit: .string(unit)])
        }
        let changes = [
            change(by: commune.origin, counter: 1, record: 1, unit: "17605"),  // its subtree: relayed
            change(by: direct.origin, counter: 1, record: 2, unit: "17605"),  // a direct peer's identity
            change(by: province.origin, counter: 1, record: 3, unit: "17605"),  // the province's own
            change(by: commune.origin, counter: 2, record: 4, unit: "17700"),  // outside its subtree
        ]
        let body = ChangeSet(kind: .push, sender: districtHub.origin, from: 0, to: 4, changes: changes).encode(
            key: peer.key)
        let answer = try #require(
            try JSONSerialization.jsonObject(with: Data(service.push(peer: peer, body: body))) as? [String: Any])
        #expect(Self.setAside(answer) == ["forged_origin", "forged_origin", "out_of_scope"])
        #expect(answer["applied"] as? Int == 1)
        #expect(try province.record("children", id: testRecord(1)) != nil)
        #expect(try province.meta().counter == 0)
    }

    // MARK: Re-parenting

    @Test func aCommuneReParentedToAnotherDistrictReachesItWithItsHistory() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let storage = try SQLiteStorage(path: directory.path("province.sqlite"))
        let province = try Replica.initialize(storage: storage, origin: testOrigin(40), unit: "40", time: clock)
        let store = try HubStore.create(replica: province, storage: storage)
        var units: [HubStore.Unit] = [
            .init(code: "40", name: "Nghệ An", level: "province", parentCode: nil),
            .init(code: "415", name: "Kỳ Sơn", level: "district", parentCode: "40"),
            .init(code: "416", name: "Tương Dương", level: "district", parentCode: "40"),
            .init(code: "17605", name: "Mường Lống", level: "commune", parentCode: "415"),
        ]
        _ = try store.importUnits(units)
        let service = HubService(store: store, dictionary: nil) { _ in }
        let (first, firstPeer) = try service.enrolReplica(unit: "415", kind: .hub, clock: clock)
        let (second, secondPeer) = try service.enrolReplica(unit: "416", kind: .hub, clock: clock)
        let peers = [firstPeer, secondPeer]
        // The first district relays a child of 17605 with two edits.
        try first.put("children", id: testRecord(1), unit: "17605", set: ["full_name": "Vừ Thị Mỷ"])
        try first.put("children", id: testRecord(1), set: ["village": "Bản Mòn"])
        let body = ChangeSet(kind: .push, sender: first.origin, from: 0, to: 2, changes: try first.allChanges())
            .encode(key: peers[0].key)
        _ = try service.push(peer: peers[0], body: body)

        // The second district pulls as a client does, keeping the cursor and the epoch.
        var cursor: UInt64 = 0
        var epoch: String?
        func pull() throws -> ChangeSet {
            let page = try service.pull(peer: peers[1], after: cursor, maxBytes: 1 << 20, epoch: epoch)
            let set = try ChangeSet.decode(page.bytes, expecting: .pull, from: province.origin) { _ in peers[1].key }
            try second.apply(set.changes, via: province.origin)
            cursor = set.to
            epoch = page.epoch
            return set
        }
        #expect(try pull().changes.isEmpty)
        #expect(cursor == 2)
        // The reform: commune 17605 now belongs to the second district. Its old changes lie
        // before the second district's cursor; the new epoch makes the province start over.
        units[3] = .init(code: "17605", name: "Mường Lống", level: "commune", parentCode: "416")
        _ = try store.importUnits(units)
        let after = try pull()
        #expect(after.from == 0)
        #expect(after.changes.count == 2)
        #expect(try second.record("children", id: testRecord(1))?.value("village") == "Bản Mòn")
        #expect(try second.stateHash(unit: { $0 == "17605" }) == province.stateHash(unit: { $0 == "17605" }))
        // Nothing more until something changes.
        #expect(try pull().changes.isEmpty)
    }
}

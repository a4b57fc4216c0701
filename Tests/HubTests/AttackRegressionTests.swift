import Foundation
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// The attacks an outsider's review of the trust boundary mounted (each reproduced first,
/// then closed): the test asserts the defence. Same district as `TrustBoundaryTests`: node A
/// (commune 17605, the attacker), node B (17608).
@Suite struct AttackRegressionTests {
    typealias District = TrustBoundaryTests.District

    static func setAside(_ answer: [String: Any]) -> [String] { TrustBoundaryTests.setAside(answer) }

    /// The province above the district (its origin; the district pulls its changes).
    static let province = testOrigin(40)

    /// Finding 1: a change parked at a district is judged when a pull from the province makes
    /// it ready (the district's pulls carry its gate, trusting only the province); a batch
    /// without a gate never releases what a gate parked.
    @Test func aParkedChangeReleasedByAnUpstreamPullIsJudged() throws {
        let district = try District()
        let (id, created) = try TrustBoundaryTests.bsChild(district)
        let held = try #require(try district.hub.record("children", id: id))
        let context = held.version.merged(with: VersionVector([(Self.province, 1)]))
        let claim = district.forged(
            by: district.a, counter: 1, record: id, unit: "17605", context: context,
            set: [ReservedField.unit: "17605", "full_name": "kẻ mạo danh"])
        let answer = try district.push(district.a, [claim])
        #expect(answer["parked"] as? Int == 1)

        let provinceEdit = Change(
            dot: Dot(origin: Self.province, counter: 1),
            stamp: Stamp(wallMillis: district.clock.nowMillis(), logical: 0),
            collection: "children", record: id, unit: "17608", context: held.version, set: ["village": "Bản Mòn"])
        let upstream = Upstream(
            url: URL(string: "http://127.0.0.1:9")!, hubOrigin: Self.province, hubUnit: "40", key: .random())
        let page = ChangeSet(kind: .pull, sender: Self.province, from: 0, to: 1, changes: [provinceEdit])
        // Without a gate (as before): applied, but the parked claim stays parked.
        let snapshot = try TemporaryDirectory()
        let copy = snapshot.path("copy.sqlite")
        try (district.hub.storage as! SQLiteStorage).backup(to: copy, nowMillis: 0)
        let restored = try Replica.finishRestore(storage: try SQLiteStorage(path: copy), time: district.clock)
        let ungated = try upstream.applyPulled([page], to: restored)
        #expect(ungated.applied.applied == 1 && ungated.applied.released == 0)
        #expect(try restored.record("children", id: id)?.unit == "17608")
        #expect(try restored.counts().parked == 1)
        // With the district's gate (what `hub.syncer` and `changes import` pass): judged for A.
        let gate = try district.service.store.gate(
            for: nil, now: district.clock.nowMillis(), maximumFutureMillis: 86_400_000, trusting: Self.province)
        let pulled = try upstream.applyPulled([page], to: district.hub, gate: gate)
        #expect(pulled.applied.applied == 1)
        #expect(pulled.applied.refused.map(\.kind) == [.outOfScope])
        let after = try #require(try district.hub.record("children", id: id))
        #expect(after.unit == "17608")
        #expect(after.value("full_name") == "Vừ Thị Mỷ")
        #expect(after.value("village") == "Bản Mòn")
        let page2 = try district.service.pull(peer: district.peerA, after: 0, maxBytes: 1 << 20, own: true).bytes
        let set = try ChangeSet.decode(page2, expecting: .pull, from: district.hub.origin) { _ in district.peerA.key }
        #expect(!set.changes.contains { $0.dot == created.dot })
    }

    /// Finding 2: a former owner naming a context that is no version any replica held (the new
    /// owner's edits without the move they were made after) is refused; the new owner's value
    /// stays, and the child cannot be moved back.
    @Test func aFormerOwnerCannotOverwriteTheNewOwnersEditsWithAnInconsistentContext() throws {
        let district = try District()
        let id = testRecord(9)
        try district.a.put("children", id: id, unit: "17605", set: ["full_name": "Lò Văn Páo", "village": "Bản Cũ"])
        try district.sync(district.a)
        // District staff move the child to B; B records where the child lives now.
        try district.hub.put("children", id: id, unit: "17608", set: [:])
        try district.sync(district.b)
        try district.b.put("children", id: id, set: ["village": "Bản Mới (nơi ở mới)"])
        try district.sync(district.b)
        let held = try #require(try district.hub.record("children", id: id))
        #expect(held.unit == "17608")

        // A leaves out only the hub's move dot from the context.
        var context = held.version
        context[district.hub.origin] = 0
        let overwrite = district.forged(
            by: district.a, counter: 2, record: id, unit: "17608", context: context,
            set: ["village": "kẻ mạo danh ghi đè"])
        let answer = try district.push(district.a, [overwrite])
        #expect(Self.setAside(answer) == ["inconsistent_context"])
        let after = try #require(try district.hub.record("children", id: id))
        #expect(after.value("village") == "Bản Mới (nơi ở mới)")
        #expect(!after.hasConflicts)

        // And moves the child back to its commune, winning on a stamp an hour ahead.
        context[district.a.origin] = 2
        let back = district.forged(
            by: district.a, counter: 3, record: id, unit: "17605", context: context,
            set: [ReservedField.unit: "17605"], wall: district.clock.nowMillis() + 3_600_000)
        #expect(!Self.setAside(try district.push(district.a, [back])).isEmpty)
        #expect(try district.hub.record("children", id: id)?.unit == "17608")
    }

    /// Finding 3: a change that does not write `@unit` is routed by the record's owner after
    /// it, not by its label: a former owner's accepted stale edit labelled with its own unit
    /// brings it nothing of what the new commune wrote, `own=1` or not.
    @Test func aChangeLabelledWithTheSendersUnitLeaksNothing() throws {
        let district = try District()
        let id = testRecord(9)
        let creation = try #require(
            try district.a.put("children", id: id, unit: "17605", set: ["full_name": "Lò Văn Páo"]))
        try district.sync(district.a)
        try district.hub.put("children", id: id, unit: "17608", set: [:])
        try district.sync(district.b)
        try district.b.put(
            "children", id: id, set: ["village": "Bản Mới (nơi ở mới)", "at_risk_reason": "bí mật của xã mới"])
        #expect(Self.setAside(try district.sync(district.b)).isEmpty)

        // A's pull so far: nothing of B's edit.
        func pullA(after: UInt64, own: Bool = false) throws -> ChangeSet {
            let page = try district.service.pull(peer: district.peerA, after: after, maxBytes: 1 << 20, own: own)
                .bytes
            return try ChangeSet.decode(page, expecting: .pull, from: district.hub.origin) { _ in district.peerA.key }
        }
        let before = try pullA(after: 0)
        #expect(!before.changes.contains { $0.set["at_risk_reason"] != nil })

        // An edit based on A's own creation (accepted by design), labelled unit 17605.
        let labelled = district.forged(
            by: district.a, counter: 2, record: id, unit: "17605",
            context: VersionVector([(creation.dot.origin, creation.dot.counter)]), set: ["notes": "x"])
        #expect(Self.setAside(try district.push(district.a, [labelled])).isEmpty)
        #expect(try district.hub.record("children", id: id)?.unit == "17608")  // still B's child

        // Without own=1 the labelled entry (A's own) is left out, and its history with it.
        let ordinary = try pullA(after: before.to)
        #expect(!ordinary.changes.contains { $0.set["at_risk_reason"] != nil })
        let withOwn = try pullA(after: 0, own: true)
        #expect(!withOwn.changes.contains { $0.set["at_risk_reason"] != nil })
        #expect(!withOwn.changes.contains { $0.set["village"] != nil })
        // B, whose child it is, receives A's edit.
        try district.sync(district.b)
        #expect(try district.b.record("children", id: id)?.value("notes") == "x")
    }

    /// Finding 4: set-aside poisoning. A former owner sends a refused change, then one with a
    /// higher counter that leaves the first out of its context (no origin makes changes
    /// concurrent with its own): refused too. And a change that covers a set-aside dot only
    /// because a later change of that origin was applied does not wait with it: the new
    /// owner's edits land.
    @Test func aRefusedChangeCannotBlockTheNewOwnersEdits() throws {
        let district = try District()
        let id = testRecord(9)
        let creation = try #require(
            try district.a.put("children", id: id, unit: "17605", set: ["full_name": "Lò Văn Páo"]))
        try district.sync(district.a)
        try district.hub.put("children", id: id, unit: "17608", set: [:])
        try district.sync(district.b)

        let current = try #require(try district.hub.record("children", id: id)).version
        let refused = district.forged(
            by: district.a, counter: 2, record: id, unit: "17608", context: current, set: ["notes": "a"])
        let accepted = district.forged(
            by: district.a, counter: 3, record: id, unit: "17608",
            context: VersionVector([(creation.dot.origin, creation.dot.counter)]), set: ["notes": "b"])
        let answer = try district.push(district.a, [refused, accepted])
        #expect(Self.setAside(answer) == ["out_of_scope", "inconsistent_context"])
        #expect(answer["applied"] as? Int == 0)

        // B, the child's commune now, works on its child as usual.
        try district.sync(district.b)
        try district.b.put("children", id: id, set: ["village": "Bản Mới"])
        let first = try district.sync(district.b)
        try district.b.put("children", id: id, set: ["school_status": "primary"])
        let second = try district.sync(district.b)
        #expect(Self.setAside(first).isEmpty)
        #expect(Self.setAside(second).isEmpty)
        #expect(try district.hub.record("children", id: id)?.value("village") == "Bản Mới")

        // Set aside: A's two changes, nothing of B's.
        #expect(try district.hub.setAsideEntries().map(\.change.dot.origin) == [district.a.origin, district.a.origin])
    }

    /// Finding 5: a chain of parked changes, each based on the one before, all waiting for the
    /// victim's next edit of its own child. The victim's push sets the whole chain aside in
    /// one pass (a worklist, not a recursion as deep as the chain), and no record keeps more
    /// than `maximumParkedPerRecord` parked changes: the next is set aside at once.
    @Test func aParkedChainIsSetAsideInOnePassAndCapped() throws {
        let district = try District()
        let (id, created) = try TrustBoundaryTests.bsChild(district)
        let n = UInt64(ProcessInfo.processInfo.environment["TRE_ATTACK_CHAIN"].flatMap(Int.init) ?? 1_001)
        let next = Dot(origin: created.dot.origin, counter: created.dot.counter + 1)  // B's next change
        let chain = (1...n).map { i in
            district.forged(
                by: district.a, counter: i, record: id, unit: "17608",
                context: VersionVector([(next.origin, next.counter), (district.a.origin, i - 1)]),
                set: ["notes": .string("x")])
        }
        let parked = try district.push(district.a, chain)
        let cap = Replica.maximumParkedPerRecord
        #expect(parked["parked"] as? Int == min(Int(n), cap))
        #expect(Self.setAside(parked) == Array(repeating: "too_many_parked", count: max(0, Int(n) - cap)))

        try district.b.put("children", id: id, set: ["village": "Bản Mòn"])
        let answer = try district.sync(district.b)  // B's honest push
        #expect(answer["applied"] as? Int == 1)
        #expect(try district.hub.setAsideEntries(limit: .max).count == Int(n))
        #expect(try district.hub.counts().parked == 0)
        #expect(try district.hub.record("children", id: id)?.value("notes") == nil)
    }
}

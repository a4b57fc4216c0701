import Domain
import Foundation
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// Pushes a dishonest or broken node crafts by hand in wire format 4, signed and sealed with its
/// own key, sent through `HubServer.handle` as any push: a reference that names a record the
/// sender could not name honestly is refused before anything is judged or applied, and an
/// unknown one is answered `unknown_reference` with nothing applied; the hub goes on serving.
@Suite struct RecordReferenceAttackTests {
    /// One change of a crafted payload. `context` and `author` index the set's origins (0: the
    /// sender); `reference` is 0 (the id follows) or k + 1 (context entry k names the record).
    struct Crafted {
        var author = 0
        var counter: UInt64
        var collection = "children"
        var unit = "17605"
        var reference = 0
        var context: [(origin: Int, counter: UInt64)] = []
        var fields: [(String, FieldValue)]
        var id: RecordID?
    }

    /// A format 4 payload as `ChangeSet+Payload.swift` lays it out, written by hand so that it
    /// can say what the encoder never does.
    static func payload(_ changes: [Crafted], others: [OriginID], wall: UInt64) -> [UInt8] {
        var names: [String] = []
        func name(_ text: String) -> Int {
            if let index = names.firstIndex(of: text) { return index }
            names.append(text)
            return names.count - 1
        }
        var structure = ByteWriter()
        var counters = ByteWriter()
        var columns: [Int: ByteWriter] = [:]
        var ids = ByteWriter()
        var last: [Int: UInt64] = [:]
        for change in changes {
            structure.varint(change.author)
            structure.zigzag(Int64(change.counter) - Int64(last[change.author] ?? 0))
            last[change.author] = change.counter
            structure.zigzag(change.counter == changes[0].counter ? Int64(wall) : 1)
            structure.varint(0)
            structure.varint(name(change.collection))
            structure.varint(name(change.unit))
            structure.varint(change.reference)
            structure.varint(change.context.count)
            for entry in change.context {
                structure.varint(entry.origin)
                counters.varint(entry.counter)
            }
            structure.varint(change.fields.count)
            for (field, value) in change.fields.sorted(by: { $0.0 < $1.0 }) {
                let index = name(field)
                structure.varint(index)
                value.encode(into: &columns[index, default: ByteWriter()])
            }
            if let id = change.id { ids.uuid(id.uuid) }
        }
        var writer = ByteWriter()
        writer.varint(changes.count)
        writer.varint(others.count)
        for origin in others { writer.uuid(origin.uuid) }
        writer.varint(names.count)
        for text in names { writer.string(text) }
        writer.raw(structure.bytes)
        writer.raw(counters.bytes)
        for index in columns.keys.sorted() { writer.raw(columns[index]!.bytes) }
        writer.raw(ids.bytes)
        return writer.bytes
    }

    /// The payload sealed as `sender`'s format 4 push covering (0, `to`].
    static func sealed(_ payload: [UInt8], sender: OriginID, to: UInt64, key: PeerKey) -> [UInt8] {
        let body = Zlib.compress(payload)
        let header = ChangeSet.headerBytes(
            version: ChangeSet.referencingVersion, kind: ChangeSet.Kind.push.rawValue, flags: 0, sender: sender,
            from: 0, to: to, payloadLength: payload.count, sealedLength: body.count)
        return ChangeSet.seal(header: header, body: body, key: key)
    }

    struct Refusal {
        let status: Int
        let code: String
    }

    /// Sends `body` as `node`'s push; the refusal, or nil when it was taken.
    static func push(
        _ service: HubService, _ node: Replica, _ peer: HubStore.Peer, _ body: [UInt8]
    ) async -> Refusal? {
        let client = SignedAnswerTests.client(service, node, peer, SignedAnswerTests.Link(service: service) { $0 })
        do {
            _ = try await client.send(
                "POST", "/v1/push", query: "epoch=crafted&definition=\(DomainDefinition.current.version)", body: body,
                contentType: "application/x-tre-changeset")
            return nil
        } catch {
            if case .refused(let status, let code, _, _) = error { return Refusal(status: status, code: code) }
            return Refusal(status: 0, code: "\(error)")
        }
    }

    static let child: [String: FieldValue] = [
        "full_name": "Lò Thị Mai", "sex": "F", "date_of_birth": "2019-09-05", "village": "Bản Mòn",
        "lifecycle": "active",
    ]

    @Test func referencesThatNameWhatTheSenderCouldNotAreRefusedAndNothingIsApplied() async throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let service = try HubService.district(at: directory.path("district.sqlite"), clock: clock)
        let (a, peerA) = try service.enrolReplica(unit: "17605", clock: clock)
        let (b, peerB) = try service.enrolReplica(unit: "17608", clock: clock)
        let ownChild = RecordID(UUID128(high: 0x0190_aaaa_0000_7000, low: 0x8000_1234_5678_9abc))
        let otherChild = RecordID(UUID128(high: 0x0190_bbbb_0000_7000, low: 0x8000_cafe_f00d_0001))
        // Each commune's child, pushed honestly by id: A's is A's change 1, B's is B's change 1.
        try a.put("children", id: ownChild, unit: "17605", set: Self.child)
        try b.put("children", id: otherChild, unit: "17608", set: Self.child)
        for (node, peer) in [(a, peerA), (b, peerB)] {
            let body = ChangeSet(kind: .push, sender: node.origin, from: 0, to: 1, changes: try node.allChanges())
                .encode(key: peer.key)
            #expect(await Self.push(service, node, peer, body) == nil)
        }
        // A's push of `changes` (its change 2), made by hand and sealed with A's key.
        func craftedByA(_ changes: [Crafted], others: [OriginID] = []) async -> Refusal? {
            let payload = Self.payload(changes, others: others, wall: clock.nowMillis())
            return await Self.push(service, a, peerA, Self.sealed(payload, sender: a.origin, to: 2, key: peerA.key))
        }
        let hashBefore = try service.replica.stateHash()
        let logBefore = try service.replica.lastSequence()

        // B's change 1, named from A's set: another origin's dot outside the set.
        let foreign = Crafted(
            counter: 2, unit: "17608", reference: 1, context: [(1, 1)], fields: [("village", "Bản Pha")])
        let viaForeign = await craftedByA([foreign], others: [b.origin])
        #expect(viaForeign?.status == 400 && viaForeign?.code == "malformed", "\(String(describing: viaForeign))")

        // A's own change 1 (a child), named by a change that claims to write a case.
        let otherCollection = Crafted(
            counter: 2, collection: "cases", reference: 1, context: [(0, 1)], fields: [("status", "closed")])
        let viaCollection = await craftedByA([otherCollection])
        #expect(viaCollection?.status == 400 && viaCollection?.code == "malformed")

        // A dot the hub never logged: answered so that an honest node would resend by id.
        let unknown = Crafted(counter: 2, reference: 1, context: [(0, 999)], fields: [("village", "Bản Pha")])
        let viaUnknown = await craftedByA([unknown])
        #expect(viaUnknown?.status == 422 && viaUnknown?.code == "unknown_reference")

        // A reference past the change's context entries.
        let pastContext = Crafted(counter: 2, reference: 3, context: [(0, 1)], fields: [("village", "Bản Pha")])
        let viaPast = await craftedByA([pastContext])
        #expect(viaPast?.status == 400 && viaPast?.code == "malformed")

        // Nothing of any of them was applied, logged, or acknowledged.
        #expect(try service.replica.stateHash() == hashBefore)
        #expect(try service.replica.lastSequence() == logBefore)
        #expect(try service.replica.record("children", id: otherChild)?.value("village") == "Bản Mòn")
        #expect(try service.replica.record("children", id: ownChild)?.value("village") == "Bản Mòn")

        // The same hand-made layout naming A's own child honestly is taken: the refusals above
        // came from what the sets named, not from the crafting.
        let honest = Crafted(counter: 2, reference: 1, context: [(0, 1)], fields: [("village", "Bản Pha")])
        #expect(
            await craftedByA([honest]) == nil)
        #expect(try service.replica.record("children", id: ownChild)?.value("village") == "Bản Pha")
        #expect(try service.replica.record("children", id: otherChild)?.value("village") == "Bản Mòn")

        // And B is served as before: its own edit, named by reference, merges.
        try b.put("children", id: otherChild, set: ["village": "Huồi Tụ"])
        let edit = ChangeSet(
            kind: .push, sender: b.origin, from: 1, to: 2, changes: Array(try b.allChanges().suffix(1))
        ).encode(key: peerB.key, referencing: RecordReferences())
        #expect(edit[4] == ChangeSet.referencingVersion)
        let client = SignedAnswerTests.client(service, b, peerB, SignedAnswerTests.Link(service: service) { $0 })
        let answer = try await client.send(
            "POST", "/v1/push", query: "epoch=crafted&definition=\(DomainDefinition.current.version)", body: edit,
            contentType: "application/x-tre-changeset")
        #expect(answer.status == 200)
        #expect(try service.replica.record("children", id: otherChild)?.value("village") == "Huồi Tụ")
    }
}

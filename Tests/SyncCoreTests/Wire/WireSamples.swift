import TestSupport

@testable import SyncCore

/// Fixed keys, senders and change sets for the wire tests and fixtures.
enum WireSamples {
    static let key = PeerKey(bytes: Array(0..<32))!
    static let otherKey = PeerKey(bytes: Array(100..<132))!
    static let sender = testOrigin(7)
    static let stranger = testOrigin(8)
    static let limits = WireLimits(maximumWireBytes: 4096, maximumPayloadBytes: 65536, maximumChanges: 1000)

    /// A preset dictionary of the samples' own words, as the domain would give one.
    static let dictionary = WireDictionary(
        Array("children full_name school_status out_of_school notes Đã thăm hộ Vừ Thị Mỷ sex at_risk @unit".utf8))

    static func keys(_ origin: OriginID) -> PeerKey? { origin == sender || origin == stranger ? key : nil }

    /// A night's worth of typical changes from one commune: a creation, edits, a delete.
    static func changes(unit: String = "17605", count: Int = 3) -> [Change] {
        var changes: [Change] = []
        for index in 0..<count {
            let counter = UInt64(index + 1)
            let set: FieldMap<FieldValue> =
                index == 0
                ? ["@unit": .string(unit), "full_name": "Vừ Thị Mỷ", "sex": "F", "at_risk": false]
                : index % 5 == 4
                    ? ["@deleted": true] : ["school_status": "out_of_school", "notes": "Đã thăm hộ \(index)"]
            changes.append(
                Change(
                    dot: Dot(origin: sender, counter: counter),
                    stamp: Stamp(wallMillis: 1_763_856_000_000 + counter * 1000, logical: 0), collection: "children",
                    record: testRecord(UInt64(index / 2 + 1)), unit: unit,
                    context: index == 0
                        ? VersionVector() : VersionVector([(sender, counter - 1), (testOrigin(1), 40)]),
                    set: set))
        }
        return changes
    }

    static func set(_ changes: [Change], sender: OriginID = sender, kind: ChangeSet.Kind = .push) -> ChangeSet {
        ChangeSet(kind: kind, sender: sender, from: 10, to: 10 + UInt64(changes.count), changes: changes)
    }

    /// The nonce of the committed fixtures, so that they are made anew byte for byte. Never one
    /// fixed nonce outside tests: `ChangeSet.encode` draws a random one for every set.
    static let fixtureNonce = [UInt8](repeating: 0x4E, count: 12)

    /// A set sealed around `body` (meant as a zlib stream, but anything) with the header's fields
    /// chosen by hand: what an enrolled but malicious sender, holding `key`, could send.
    static func sealed(
        payloadLength: Int, body: [UInt8], sender: OriginID = sender, key: PeerKey = key,
        kind: ChangeSet.Kind = .push
    ) -> [UInt8] {
        let header = ChangeSet.headerBytes(
            kind: kind.rawValue, flags: 0, sender: sender, from: 0, to: 1, payloadLength: payloadLength,
            sealedLength: body.count)
        return ChangeSet.seal(header: header, body: body, key: key, nonce: fixtureNonce)
    }

    /// A set as format 2 wrote it (in clear, signed with HMAC-SHA256 truncated to 16 bytes): what
    /// a node of the previous version sends.
    static func format2(_ set: ChangeSet, key: PeerKey = key, dictionary: WireDictionary? = nil) -> [UInt8] {
        let payload = set.encodePayload()
        let body = Zlib.compress(payload, dictionary: dictionary?.bytes ?? [])
        var writer = ByteWriter()
        writer.raw(ChangeSet.magic)
        writer.byte(2)
        writer.byte(set.kind.rawValue)
        writer.byte(set.hasMore ? 1 : 0)
        writer.uuid(set.sender.uuid)
        writer.varint(set.from)
        writer.varint(set.to)
        writer.varint(payload.count)
        writer.varint(body.count)
        writer.raw(body)
        return writer.bytes + key.authenticate(writer.bytes).prefix(16)
    }
}

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

    /// Replaces the signature so that a tampered set still verifies: what a malicious but
    /// enrolled sender could send.
    static func resign(_ bytes: [UInt8], with key: PeerKey = key) -> [UInt8] {
        let body = Array(bytes.dropLast(ChangeSet.signatureBytes))
        return body + ChangeSet.signature(of: body[...], key: key)
    }
}

import TestSupport
import Testing

@testable import SyncCore

/// What someone who reads the link (plain HTTP over a commune's mobile link) sees of a set, and
/// what the seal prevents.
@Suite struct SealTests {
    /// A child whose name and id the tests look for in the bytes.
    static let name = "Hờ Thị Dính"
    static let guardian = "Giàng A Páo"
    /// A random id (not a UUIDv7): every byte of it is secret, none is a timestamp shared with
    /// other things the same node made that minute.
    static let record = RecordID(UUID128(high: 0x5f3a_91c4_2be7_4d08, low: 0x9a61_e2d3_0c7f_b415))
    static let fields = ["full_name", "guardian_name", "school_status", "notes", "date_of_birth"]

    static func changes() -> [Change] {
        let sender = WireSamples.sender
        return [
            Change(
                dot: Dot(origin: sender, counter: 1), stamp: Stamp(wallMillis: 1_763_856_000_000, logical: 0),
                collection: "children", record: record, unit: "17605", context: VersionVector(),
                set: [
                    "@unit": "17605", "full_name": .string(name), "guardian_name": .string(guardian),
                    "date_of_birth": "2014-03-09", "school_status": "out_of_school",
                ]),
            Change(
                dot: Dot(origin: sender, counter: 2), stamp: Stamp(wallMillis: 1_763_856_060_000, logical: 0),
                collection: "children", record: record, unit: "17605", context: VersionVector([(sender, 1)]),
                set: ["notes": .string("Đã thăm hộ gia đình \(name)")]),
        ]
    }

    /// The secrets of `changes()`, as names for a failure message.
    static let secrets =
        Eavesdropper.secrets([name, guardian, "children"] + fields) + Eavesdropper.secrets(of: record)

    static func leaks(in bytes: [UInt8], dictionary: WireDictionary?) -> [String] {
        Eavesdropper.leaks(in: bytes, of: secrets, dictionary: dictionary?.bytes)
    }

    @Test func aSealedSetShowsNoNameIdOrFieldName() throws {
        let set = ChangeSet(kind: .push, sender: WireSamples.sender, from: 0, to: 2, changes: Self.changes())
        for dictionary in [nil, WireSamples.dictionary] {
            let bytes = set.encode(key: WireSamples.key, dictionary: dictionary)
            #expect(Self.leaks(in: bytes, dictionary: dictionary) == [])
            let decoded = try ChangeSet.decode(
                bytes, expecting: .push, dictionaries: [WireSamples.dictionary], key: WireSamples.keys)
            #expect(decoded == set)
        }
        // The same set in format 2 gives all of it away to anyone who inflates it: the check
        // above can see a leak.
        let clear = Self.leaks(in: WireSamples.format2(set), dictionary: nil)
        let binary = Self.secrets.map(\.name).filter { !$0.hasSuffix("as text") }
        #expect(clear == binary, "format 2 showed all but the id as text (never in a set)")
    }

    @Test func theSameSetSealsDifferentlyEachTime() throws {
        let set = ChangeSet(kind: .push, sender: WireSamples.sender, from: 0, to: 2, changes: Self.changes())
        let first = set.encode(key: WireSamples.key)
        let second = set.encode(key: WireSamples.key)
        #expect(first.count == second.count)
        #expect(first != second, "a fresh random nonce for every set")
        let header = try ChangeSet.header(of: first)
        #expect(first[0..<header.length] == second[0..<header.length], "the clear header is the same")
        #expect(try ChangeSet.decode(second, expecting: .push, key: WireSamples.keys) == set)
    }

    @Test func theHeaderSaysOnlyWhoSendsWhichPositionsAndHowBig() throws {
        let set = ChangeSet(
            kind: .pull, sender: WireSamples.sender, from: 40, to: 42, hasMore: true, changes: Self.changes())
        let bytes = set.encode(key: WireSamples.key)
        let header = try ChangeSet.header(of: bytes)
        #expect(header.kind == ChangeSet.Kind.pull.rawValue)
        #expect(header.sender == WireSamples.sender)
        #expect((header.from, header.to, header.hasMore) == (40, 42, true))
        #expect(header.payloadLength == set.encodePayload().count)
        #expect(bytes.count == header.length + ChangeSet.nonceBytes + header.sealedLength + ChangeSet.tagBytes)
    }

    /// Both directions share the link's key; the kind and the sender are authenticated, so a
    /// captured push cannot be handed back to its sender as the hub's answer.
    @Test func aPushCannotBePlayedBackAsAPull() {
        let set = ChangeSet(kind: .push, sender: WireSamples.sender, from: 0, to: 2, changes: Self.changes())
        var reflected = set.encode(key: WireSamples.key)
        reflected[5] = ChangeSet.Kind.pull.rawValue
        #expect(throws: WireError.badSignature) {
            try ChangeSet.decode(reflected, expecting: .pull, key: { _ in WireSamples.key })
        }
    }

    /// Sets are sealed with a key derived from the enrolment key, never with the enrolment key
    /// itself (which signs requests).
    @Test func theSealingKeyIsDerivedNotTheEnrolmentKey() {
        let derived = WireSamples.key.sealingKeyBytes
        #expect(derived.count == 32)
        #expect(derived != WireSamples.key.bytes)
        #expect(derived != WireSamples.otherKey.sealingKeyBytes)
    }

    /// About 12 bytes a set: a 12-byte nonce and a 16-byte tag where format 2 had a 16-byte HMAC.
    @Test func sealingCostsTwelveBytesASet() {
        for count in [0, 3, 40] {
            let set = WireSamples.set(WireSamples.changes(count: count))
            let sealed = set.encode(key: WireSamples.key, dictionary: WireSamples.dictionary)
            let signed = WireSamples.format2(set, dictionary: WireSamples.dictionary)
            #expect(sealed.count == signed.count + 12, "\(count) changes")
        }
    }
}

import Foundation
import TestSupport
import Testing

@testable import SyncCore

/// One corrupt change set per failure mode, committed under Fixtures/changesets with the error
/// each must produce (expected.txt). `TRE_WRITE_FIXTURES=1 swift test --filter WireFixture`
/// writes them anew after a deliberate format change (the files are made with a fixed nonce, so
/// writing them again without a change gives the same bytes).
@Suite struct WireFixtureTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/changesets")

    static func fixtures() -> [(name: String, bytes: [UInt8], expected: String)] {
        func sealed(_ set: ChangeSet, key: PeerKey = WireSamples.key, dictionary: WireDictionary? = nil) -> [UInt8] {
            set.encode(key: key, dictionary: dictionary, nonce: WireSamples.fixtureNonce)
        }
        let valid = sealed(WireSamples.set(WireSamples.changes()), dictionary: WireSamples.dictionary)
        var flipped = valid
        flipped[valid.count / 2] ^= 0x04
        // Byte 23 is `from` (10), the first byte after the sender: in clear, but authenticated.
        var header = valid
        header[23] = 9
        var tag = valid
        tag[valid.count - 1] ^= 0x80
        var magic = valid
        magic[0] = UInt8(ascii: "X")
        var version = valid
        version[4] = 9
        var generator = SeededGenerator(seed: 99)
        let noisy = (0..<60).map { index in
            Change(
                dot: Dot(origin: WireSamples.sender, counter: UInt64(index + 1)),
                stamp: Stamp(wallMillis: 1, logical: 0),
                collection: "children", record: testRecord(UInt64(index)), unit: "17605", context: VersionVector(),
                set: [
                    "@unit": "17605",
                    "notes": .string(
                        String((0..<80).map { _ in Character(Unicode.Scalar(UInt8(33 + generator.next() % 90))) })),
                ])
        }
        let oversize = sealed(WireSamples.set(noisy))
        let zeros = [UInt8](repeating: 0, count: 100_000)
        let bomb = WireSamples.sealed(payloadLength: 1000, body: Zlib.compress(zeros))
        let declaredBomb = WireSamples.sealed(payloadLength: 1 << 30, body: Zlib.compress(zeros))
        let garbagePayload: [UInt8] = [5, 1, 0xff, 0xff]
        let malformed = WireSamples.sealed(payloadLength: garbagePayload.count, body: Zlib.compress(garbagePayload))
        let notZlib = WireSamples.sealed(payloadLength: 10, body: Array("not zlib at all".utf8))
        // A zlib stream ends with the Adler-32 of what it inflates to: damaged, then sealed.
        let payload = WireSamples.set(WireSamples.changes()).encodePayload()
        var stream = Zlib.compress(payload)
        stream[stream.count - 1] ^= 0x5A
        let checksum = WireSamples.sealed(payloadLength: payload.count, body: stream)
        let otherDictionary = sealed(
            WireSamples.set(WireSamples.changes()),
            dictionary: WireDictionary(Array("a dictionary this reader does not hold".utf8)))
        return [
            ("valid.bin", valid, "ok"),
            ("truncated.bin", Array(valid.prefix(valid.count - 40)), "truncated"),
            ("truncated-header.bin", Array(valid.prefix(12)), "truncated"),
            ("trailing-bytes.bin", valid + [0], "malformed"),
            ("bit-flipped.bin", flipped, "bad_signature"),
            ("header-tampered.bin", header, "bad_signature"),
            ("tag-flipped.bin", tag, "bad_signature"),
            ("wrong-magic.bin", magic, "bad_magic"),
            ("unknown-version.bin", version, "unsupported_version"),
            (
                "format-2.bin", WireSamples.format2(WireSamples.set(WireSamples.changes())),
                "unsupported_version"
            ),
            ("oversize.bin", oversize, "too_large"),
            ("bomb.bin", bomb, "decompression_bomb"),
            ("bomb-declared.bin", declaredBomb, "decompression_bomb"),
            ("corrupt-compression.bin", notZlib, "corrupt_compression"),
            ("bad-checksum.bin", checksum, "bad_checksum"),
            ("malformed-payload.bin", malformed, "malformed"),
            ("unknown-dictionary.bin", otherDictionary, "unknown_dictionary"),
            (
                "bad-signature.bin", sealed(WireSamples.set(WireSamples.changes()), key: WireSamples.otherKey),
                "bad_signature"
            ),
            (
                "wrong-sender.bin", sealed(WireSamples.set(WireSamples.changes(), sender: WireSamples.stranger)),
                "wrong_sender"
            ),
            (
                "unknown-sender.bin", sealed(WireSamples.set(WireSamples.changes(), sender: testOrigin(9))),
                "unknown_sender"
            ),
            ("out-of-scope.bin", sealed(WireSamples.set(WireSamples.changes(unit: "17999"))), "out_of_scope"),
        ]
    }

    /// Decodes (and for a valid set, authorises for commune 17605) as a hub would.
    static func verdict(_ bytes: [UInt8]) -> String {
        do {
            let set = try ChangeSet.decode(
                bytes, expecting: .push, from: WireSamples.sender, limits: WireSamples.limits,
                dictionaries: [WireSamples.dictionary], key: WireSamples.keys)
            let scope = PeerScope(origin: WireSamples.sender, units: ["17605"], relays: false)
            for change in set.changes {
                if let refusal = Authorization.check(change, by: scope, owners: [], exists: false) {
                    return refusal.kind.rawValue
                }
            }
            return "ok"
        } catch {
            return error.code
        }
    }

    @Test func everyFixtureFailsAsExpected() throws {
        if ProcessInfo.processInfo.environment["TRE_WRITE_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
            var expected = "# fixture → the error a hub answers (WireError.code or AuthorizationError.kind)\n"
            for fixture in Self.fixtures() {
                try Data(fixture.bytes).write(to: Self.folder.appendingPathComponent(fixture.name))
                expected += "\(fixture.name) \(fixture.expected)\n"
            }
            try expected.write(
                to: Self.folder.appendingPathComponent("expected.txt"), atomically: true, encoding: .utf8)
        }
        let listing = try String(contentsOf: Self.folder.appendingPathComponent("expected.txt"), encoding: .utf8)
        var checked = 0
        for line in listing.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(String(parts[0]))))
            #expect(Self.verdict(bytes) == String(parts[1]), "\(parts[0])")
            checked += 1
        }
        #expect(checked == Self.fixtures().count)
    }

    @Test func fixturesStillDescribeTheirFailureWhenMadeAnew() {
        for fixture in Self.fixtures() {
            #expect(Self.verdict(fixture.bytes) == fixture.expected, "\(fixture.name)")
        }
    }

    /// The committed files are the generator's output byte for byte (the nonce is fixed for
    /// them): a fixture cannot drift from the code that documents how it was made.
    @Test func committedFixturesAreTheGeneratorsBytes() throws {
        for fixture in Self.fixtures() {
            let committed = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(fixture.name)))
            #expect(committed == fixture.bytes, "\(fixture.name) differs from what fixtures() makes")
        }
    }

    /// A set from the previous version is refused before any key is looked up, with a message
    /// that says which side to upgrade.
    @Test func aFormatTwoSetAsksForTheSenderToUpgrade() {
        let old = WireSamples.format2(WireSamples.set(WireSamples.changes()))
        do {
            _ = try ChangeSet.decode(old, expecting: .push, key: { _ in nil })
            Issue.record("a format 2 set was accepted")
        } catch {
            #expect(error == .unsupportedVersion(2))
            #expect(error.description.contains("older version of Tre: upgrade it"))
        }
        var newer = WireSamples.set(WireSamples.changes()).encode(key: WireSamples.key)
        newer[4] = ChangeSet.referencingVersion + 1
        #expect(throws: WireError.unsupportedVersion(ChangeSet.referencingVersion + 1)) {
            try ChangeSet.decode(newer, expecting: .push, key: WireSamples.keys)
        }
    }
}

import Foundation
import TestSupport
import Testing

@testable import SyncCore

/// One corrupt change set per failure mode, committed under Fixtures/changesets with the error
/// each must produce (expected.txt). `TRE_WRITE_FIXTURES=1 swift test --filter WireFixture`
/// writes them anew after a deliberate format change.
@Suite struct WireFixtureTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/changesets")

    /// A change set with every header field chosen by hand, correctly signed.
    static func handmade(payloadLength: Int, body: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.raw(ChangeSet.magic)
        writer.byte(ChangeSet.formatVersion)
        writer.byte(ChangeSet.Kind.push.rawValue)
        writer.byte(0)
        writer.uuid(WireSamples.sender.uuid)
        writer.varint(UInt64(0))
        writer.varint(UInt64(1))
        writer.varint(payloadLength)
        writer.varint(body.count)
        writer.raw(body)
        return writer.bytes + ChangeSet.signature(of: writer.bytes[...], key: WireSamples.key)
    }

    static func fixtures() -> [(name: String, bytes: [UInt8], expected: String)] {
        let valid = WireSamples.set(WireSamples.changes()).encode(
            key: WireSamples.key, dictionary: WireSamples.dictionary)
        var flipped = valid
        flipped[valid.count / 2] ^= 0x04
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
        let oversize = WireSamples.set(noisy).encode(key: WireSamples.key)
        let zeros = [UInt8](repeating: 0, count: 100_000)
        let bomb = handmade(payloadLength: 1000, body: Zlib.compress(zeros))
        let declaredBomb = handmade(payloadLength: 1 << 30, body: Zlib.compress(zeros))
        let garbagePayload: [UInt8] = [5, 1, 0xff, 0xff]
        let malformed = handmade(payloadLength: garbagePayload.count, body: Zlib.compress(garbagePayload))
        let notZlib = handmade(payloadLength: 10, body: Array("not zlib at all".utf8))
        // The body's last four bytes are zlib's Adler-32 of the payload.
        var checksum = valid
        checksum[valid.count - ChangeSet.signatureBytes - 1] ^= 0x5A
        checksum = WireSamples.resign(checksum)
        let otherDictionary = WireSamples.set(WireSamples.changes()).encode(
            key: WireSamples.key, dictionary: WireDictionary(Array("a dictionary this reader does not hold".utf8)))
        return [
            ("valid.bin", valid, "ok"),
            ("truncated.bin", Array(valid.prefix(valid.count - 40)), "truncated"),
            ("truncated-header.bin", Array(valid.prefix(12)), "truncated"),
            ("bit-flipped.bin", flipped, "bad_signature"),
            ("wrong-magic.bin", magic, "bad_magic"),
            ("unknown-version.bin", version, "unsupported_version"),
            ("oversize.bin", oversize, "too_large"),
            ("bomb.bin", bomb, "decompression_bomb"),
            ("bomb-declared.bin", declaredBomb, "decompression_bomb"),
            ("corrupt-compression.bin", notZlib, "corrupt_compression"),
            ("bad-checksum.bin", checksum, "bad_checksum"),
            ("malformed-payload.bin", malformed, "malformed"),
            ("unknown-dictionary.bin", otherDictionary, "unknown_dictionary"),
            (
                "bad-signature.bin", WireSamples.set(WireSamples.changes()).encode(key: WireSamples.otherKey),
                "bad_signature"
            ),
            (
                "wrong-sender.bin",
                WireSamples.set(WireSamples.changes(), sender: WireSamples.stranger).encode(key: WireSamples.key),
                "wrong_sender"
            ),
            (
                "unknown-sender.bin",
                WireSamples.set(WireSamples.changes(), sender: testOrigin(9)).encode(key: WireSamples.key),
                "unknown_sender"
            ),
            (
                "out-of-scope.bin", WireSamples.set(WireSamples.changes(unit: "17999")).encode(key: WireSamples.key),
                "out_of_scope"
            ),
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
}

import TestSupport
import Testing

@testable import SyncCore

/// The change file's framing: sealed sets in a row, checked whole before anything applies.
@Suite struct ChangeFileFormatTests {
    static func sets(_ ranges: [(UInt64, UInt64)], sender: OriginID = WireSamples.sender) -> [[UInt8]] {
        ranges.map { from, to in
            ChangeSet(
                kind: .push, sender: sender, from: from, to: to, changes: WireSamples.changes(count: Int(to - from))
            ).encode(key: WireSamples.key)
        }
    }

    @Test func setsThatFollowEachOtherOpen() throws {
        let file = ChangeFile(sets: Self.sets([(0, 3), (3, 5)]))
        let read = try ChangeFile(bytes: file.encoded())
        #expect(read == file)
        #expect(try read.header().sender == WireSamples.sender)
        let opened = try read.open(expecting: .push, from: WireSamples.sender, key: WireSamples.key)
        #expect(opened.map(\.to) == [3, 5])
    }

    @Test func aSetLeftOutMovedOrFromSomeoneElseRefusesTheFile() {
        let gap = ChangeFile(sets: Self.sets([(0, 3), (4, 5)]))
        #expect {
            try gap.open(expecting: .push, from: WireSamples.sender, key: WireSamples.key)
        } throws: { error in
            (error as? WireError)?.code == "malformed" && "\(error)".contains("missing or out of order")
        }
        let mixed = ChangeFile(
            sets: Self.sets([(0, 3)]) + Self.sets([(3, 5)], sender: WireSamples.stranger))
        #expect(throws: WireError.wrongSender(expected: WireSamples.sender, got: WireSamples.stranger)) {
            try mixed.open(expecting: .push, from: WireSamples.sender, key: WireSamples.key)
        }
        #expect(throws: WireError.badSignature) {
            try ChangeFile(sets: Self.sets([(0, 3)])).open(
                expecting: .push, from: WireSamples.sender, key: WireSamples.otherKey)
        }
    }

    @Test func theFramingIsCheckedBeforeAnySetIsRead() {
        let valid = ChangeFile(sets: Self.sets([(0, 3)])).encoded()
        func reason(_ bytes: [UInt8], limits: WireLimits = .standard) -> String? {
            do {
                _ = try ChangeFile(bytes: bytes, limits: limits)
                return nil
            } catch {
                return error.reason
            }
        }
        #expect(reason(valid) == nil)
        #expect(reason(Array("TRECHG".utf8) + [2, 0])?.contains("at least one") == true)
        #expect(reason(valid + [0])?.contains("after the last") == true)
        #expect(reason(Array(valid.dropLast()))?.contains("exceeds") == true)
        #expect(reason(Array("TRECHG".utf8) + [1, 0])?.contains("no longer accepted") == true)
        #expect(reason(Array("TRECHG".utf8) + [3, 0])?.contains("newer") == true)
        #expect(reason(Array("TRESET".utf8) + [2, 0])?.contains("wrong magic") == true)
        let tight = WireLimits(maximumWireBytes: 64, maximumPayloadBytes: 1 << 20, maximumChanges: 100)
        #expect(reason(valid, limits: tight)?.contains("over the limit") == true)
    }
}

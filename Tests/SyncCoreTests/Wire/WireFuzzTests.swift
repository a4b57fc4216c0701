import Foundation
import TestSupport
import Testing

@testable import SyncCore

/// Seeded fuzzing of the change-set decoder: mutated sets must be refused with a WireError or
/// decode to something valid — never crash, hang or allocate past the limits.
/// `TRE_FUZZ_ITERATIONS` sets the count (default 20,000 per mode).
@Suite struct WireFuzzTests {
    static var iterations: Int {
        ProcessInfo.processInfo.environment["TRE_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 20_000
    }

    static func mutate(_ bytes: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { break }
            let index = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: bytes[index] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            case 1: bytes[index] = UInt8.random(in: 0...255, using: &random)
            case 2: bytes.removeSubrange(index..<min(bytes.count, index + Int.random(in: 1...16, using: &random)))
            case 3: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
            default: bytes = Array(bytes.prefix(index))
            }
        }
        return bytes
    }

    /// Mutations from an outsider: the signature stops nearly all of them before decompression.
    @Test func mutatedSetsAreRefusedCleanly() {
        var random = SeededGenerator(seed: 0x5eed_f022)
        let base = WireSamples.set(WireSamples.changes(count: 12)).encode(key: WireSamples.key)
        var refused = 0
        for _ in 0..<Self.iterations {
            let bytes = Self.mutate(base, using: &random)
            do {
                _ = try ChangeSet.decode(bytes, expecting: .push, limits: WireSamples.limits, key: WireSamples.keys)
            } catch {
                refused += 1
            }
        }
        #expect(refused >= Self.iterations * 99 / 100)
    }

    /// Mutations of the payload by an enrolled sender, re-compressed, check-summed and signed:
    /// they reach the payload decoder, which must refuse or decode without crashing.
    @Test func payloadMutationsFromAnEnrolledSenderReachTheDecoder() {
        var random = SeededGenerator(seed: 0x0ddb_a11)
        let payload = WireSamples.set(WireSamples.changes(count: 12)).encodePayload()
        var malformed = 0
        var decoded = 0
        for _ in 0..<Self.iterations {
            let mutated = Self.mutate(payload, using: &random)
            let bytes = WireFixtureTests.handmade(payloadLength: mutated.count, body: Zlib.compress(mutated))
            do {
                let set = try ChangeSet.decode(
                    bytes, expecting: .push, limits: WireSamples.limits, key: WireSamples.keys)
                for change in set.changes { _ = try? change.validate() }
                decoded += 1
            } catch {
                if case .malformed = error { malformed += 1 }
            }
        }
        #expect(malformed + decoded == Self.iterations)
        #expect(malformed > Self.iterations / 2)
        print("wire fuzz: \(Self.iterations) payload mutations, \(malformed) refused as malformed, \(decoded) decoded")
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var random = SeededGenerator(seed: 42)
        for _ in 0..<Self.iterations {
            var bytes = (0..<Int.random(in: 0..<200, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            if bytes.count > 4 && Bool.random(using: &random) {
                bytes.replaceSubrange(0..<4, with: ChangeSet.magic)
                bytes[4] = 1
            }
            #expect(throws: WireError.self) {
                try ChangeSet.decode(bytes, expecting: .push, limits: WireSamples.limits, key: WireSamples.keys)
            }
        }
    }
}

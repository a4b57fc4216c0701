import Foundation
import TestSupport
import Testing

@testable import SyncCore

/// Seeded fuzzing of the change-set decoder: a set mutated by an outsider must be refused; one
/// mutated by an enrolled sender (and sealed again with its key) must be refused with a
/// WireError or decode to something valid — never crash, hang or allocate past the limits.
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

    /// Mutations by an outsider, who holds no key: every byte of a set is authenticated (the
    /// header as associated data, the body by the tag), so every mutated set must be refused,
    /// and none may get as far as decompression.
    @Test func everyMutationByAnOutsiderIsRefusedBeforeDecompression() {
        var random = SeededGenerator(seed: 0x5eed_f022)
        let base = WireSamples.set(WireSamples.changes(count: 12)).encode(
            key: WireSamples.key, dictionary: WireSamples.dictionary)
        var mutated = 0
        var refusals: [String: Int] = [:]
        for _ in 0..<Self.iterations {
            let bytes = Self.mutate(base, using: &random)
            // A mutation may restore what it changed (a byte set to its own value): no attack.
            guard bytes != base else { continue }
            mutated += 1
            do {
                let set = try ChangeSet.decode(
                    bytes, expecting: .push, limits: WireSamples.limits, dictionaries: [WireSamples.dictionary],
                    key: WireSamples.keys)
                Issue.record("a mutated set was accepted: \(set.changes.count) changes")
            } catch {
                refusals[error.code, default: 0] += 1
                switch error {
                case .corruptCompression, .badChecksum, .unknownDictionary:
                    Issue.record("a mutated set got past authentication: \(error)")
                case .malformed(let reason) where reason.what != "change set header":
                    Issue.record("a mutated set reached the payload decoder: \(error)")
                default: break
                }
            }
        }
        #expect(mutated > Self.iterations * 9 / 10)
        #expect(refusals.values.reduce(0, +) == mutated)
        #expect(refusals["bad_signature", default: 0] > mutated / 10)
        print("wire fuzz: \(mutated) outsider mutations, all refused: \(refusals.sorted { $0.key < $1.key })")
    }

    /// One bit flipped anywhere: refused; past the header (nonce, sealed body, tag) always as
    /// not authentic, and in the header either as what the header then says or as not authentic.
    @Test func everySingleBitFlipIsRefused() throws {
        let base = WireSamples.set(WireSamples.changes(count: 12)).encode(
            key: WireSamples.key, dictionary: WireSamples.dictionary)
        let headerLength = try ChangeSet.header(of: base).length
        for index in base.indices {
            for bit in 0..<8 {
                var bytes = base
                bytes[index] ^= UInt8(1 << bit)
                do {
                    _ = try ChangeSet.decode(
                        bytes, expecting: .push, dictionaries: [WireSamples.dictionary], key: WireSamples.keys)
                    Issue.record("byte \(index) bit \(bit) flipped and accepted")
                } catch {
                    if index >= headerLength {
                        #expect(error == .badSignature, "byte \(index) bit \(bit)")
                    }
                    switch error {
                    case .corruptCompression, .badChecksum, .unknownDictionary:
                        Issue.record("byte \(index) bit \(bit) got past authentication: \(error)")
                    default: break
                    }
                }
            }
        }
    }

    /// Mutations of the payload by an enrolled sender, compressed and sealed with its key: they
    /// reach the payload decoder, which must refuse or decode without crashing.
    @Test func payloadMutationsFromAnEnrolledSenderReachTheDecoder() {
        var random = SeededGenerator(seed: 0x0ddb_a11)
        let payload = WireSamples.set(WireSamples.changes(count: 12)).encodePayload()
        var malformed = 0
        var decoded = 0
        for _ in 0..<Self.iterations {
            let mutated = Self.mutate(payload, using: &random)
            let bytes = WireSamples.sealed(payloadLength: mutated.count, body: Zlib.compress(mutated))
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

    /// Mutations of the zlib stream by an enrolled sender, sealed with its key: inflating
    /// authenticated garbage must end in a refusal (or a valid set), never a crash or a
    /// payload past its declared size.
    @Test func streamMutationsFromAnEnrolledSenderAreInflatedSafely() {
        var random = SeededGenerator(seed: 0x2171b)
        let payload = WireSamples.set(WireSamples.changes(count: 12)).encodePayload()
        let stream = Zlib.compress(payload, dictionary: WireSamples.dictionary.bytes)
        var refusals: [String: Int] = [:]
        for _ in 0..<Self.iterations {
            let bytes = WireSamples.sealed(payloadLength: payload.count, body: Self.mutate(stream, using: &random))
            do {
                let set = try ChangeSet.decode(
                    bytes, expecting: .push, limits: WireSamples.limits, dictionaries: [WireSamples.dictionary],
                    key: WireSamples.keys)
                for change in set.changes { _ = try? change.validate() }
                refusals["decoded", default: 0] += 1
            } catch {
                refusals[error.code, default: 0] += 1
            }
        }
        #expect(refusals.values.reduce(0, +) == Self.iterations)
        #expect(refusals["corrupt_compression", default: 0] + refusals["bad_checksum", default: 0] > 0)
        print("wire fuzz: \(Self.iterations) stream mutations: \(refusals.sorted { $0.key < $1.key })")
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var random = SeededGenerator(seed: 42)
        for _ in 0..<Self.iterations {
            var bytes = (0..<Int.random(in: 0..<200, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            if bytes.count > 4 && Bool.random(using: &random) {
                bytes.replaceSubrange(0..<4, with: ChangeSet.magic)
                bytes[4] = ChangeSet.formatVersion
            }
            #expect(throws: WireError.self) {
                try ChangeSet.decode(bytes, expecting: .push, limits: WireSamples.limits, key: WireSamples.keys)
            }
        }
    }
}

import TestSupport
import Testing

@testable import SyncCore

@Suite struct ChangeSetTests {
    @Test func roundTripsEveryKindOfChange() throws {
        let original = WireSamples.set(WireSamples.changes(count: 12))
        let bytes = original.encode(key: WireSamples.key)
        let decoded = try ChangeSet.decode(bytes, expecting: .push, from: WireSamples.sender, key: WireSamples.keys)
        #expect(decoded == original)
        var pull = original
        pull.kind = .pull
        pull.hasMore = true
        #expect(
            try ChangeSet.decode(pull.encode(key: WireSamples.key), expecting: .pull, key: WireSamples.keys) == pull)
    }

    @Test func aPresetDictionaryShrinksASmallSetAndTheReaderMustHoldIt() throws {
        let original = WireSamples.set(WireSamples.changes(count: 12))
        let plain = original.encode(key: WireSamples.key)
        let bytes = original.encode(key: WireSamples.key, dictionary: WireSamples.dictionary)
        #expect(bytes.count < plain.count - 20, "\(bytes.count) with the dictionary, \(plain.count) without")
        let decoded = try ChangeSet.decode(
            bytes, expecting: .push, dictionaries: [WireSamples.dictionary], key: WireSamples.keys)
        #expect(decoded == original)
        // Sets made without a dictionary still read where one is held.
        #expect(
            try ChangeSet.decode(plain, expecting: .push, dictionaries: [WireSamples.dictionary], key: WireSamples.keys)
                == original)
        #expect(throws: WireError.unknownDictionary(WireSamples.dictionary.id)) {
            try ChangeSet.decode(bytes, expecting: .push, key: WireSamples.keys)
        }
        let other = WireDictionary(Array("another dictionary".utf8))
        #expect(throws: WireError.unknownDictionary(WireSamples.dictionary.id)) {
            try ChangeSet.decode(bytes, expecting: .push, dictionaries: [other], key: WireSamples.keys)
        }
    }

    @Test func changesFromSeveralOriginsKeepTheirDotsAndContexts() throws {
        // A hub's pull relays changes of several authors, each with contexts naming others.
        var changes = WireSamples.changes(count: 6)
        changes += WireSamples.changes(count: 4).map { change in
            var relayed = change
            relayed.dot = Dot(origin: testOrigin(3), counter: change.dot.counter + 100)
            relayed.context = VersionVector([(testOrigin(3), 7), (WireSamples.sender, 2), (testOrigin(4), 9)])
            return relayed
        }
        let set = ChangeSet(kind: .pull, sender: testOrigin(5), from: 0, to: 10, changes: changes)
        let decoded = try ChangeSet.decode(
            set.encode(key: WireSamples.key), expecting: .pull, key: { _ in WireSamples.key })
        #expect(decoded == set)
    }

    @Test func anEmptySetIsValid() throws {
        let empty = ChangeSet(kind: .pull, sender: WireSamples.sender, from: 5, to: 5, changes: [])
        #expect(
            try ChangeSet.decode(empty.encode(key: WireSamples.key), expecting: .pull, key: WireSamples.keys) == empty)
    }

    @Test func interningKeepsTypicalChangesSmall() throws {
        let changes = WireSamples.changes(count: 200)
        let bytes = WireSamples.set(changes).encode(key: WireSamples.key)
        let perChange = Double(bytes.count) / Double(changes.count)
        #expect(perChange < 50, "\(perChange) bytes per change")
        let plain = changes.map { $0.encoded().count }.reduce(0, +)
        #expect(bytes.count * 3 < plain)
    }

    @Test func wrongKindIsRefused() throws {
        let bytes = WireSamples.set(WireSamples.changes()).encode(key: WireSamples.key)
        #expect(throws: WireError.wrongKind(expected: .pull, got: 1)) {
            try ChangeSet.decode(bytes, expecting: .pull, key: WireSamples.keys)
        }
    }

    @Test func limitsApplyToBothSizes() throws {
        let bytes = WireSamples.set(WireSamples.changes(count: 40)).encode(key: WireSamples.key)
        let tight = WireLimits(maximumWireBytes: bytes.count - 1, maximumPayloadBytes: 1 << 20, maximumChanges: 100)
        #expect(throws: WireError.tooLarge(what: "body", size: bytes.count, limit: bytes.count - 1)) {
            try ChangeSet.decode(bytes, expecting: .push, limits: tight, key: WireSamples.keys)
        }
        let small = WireLimits(maximumWireBytes: 1 << 20, maximumPayloadBytes: 100, maximumChanges: 100)
        #expect(throws: WireError.decompressionBomb(limit: 100)) {
            try ChangeSet.decode(bytes, expecting: .push, limits: small, key: WireSamples.keys)
        }
    }
}

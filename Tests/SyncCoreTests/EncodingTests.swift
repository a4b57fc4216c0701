import SyncCore
import TestSupport
import Testing

@Suite struct EncodingTests {
    @Test func uuidRoundTripsAndOrdersLikeBytes() throws {
        let text = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
        let uuid = try #require(UUID128(string: text))
        #expect(uuid.description == text)
        #expect(UUID128(bytes: uuid.bytes) == uuid)
        #expect(UUID128(string: "0190a1b2c3d47e5f8a9b0c1d2e3f4a5b") == nil)
        #expect(UUID128(string: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g") == nil)
        let low = UUID128(high: 1, low: .max)
        let high = UUID128(high: 2, low: 0)
        #expect(low < high)
        #expect(low.bytes.lexicographicallyPrecedes(high.bytes))
    }

    @Test func version7CarriesTheTime() {
        var generator = SeededGenerator(seed: 7)
        let uuid = UUID128.version7(unixMillis: 0x0190_a1b2_c3d4, using: &generator)
        #expect(uuid.description.hasPrefix("0190a1b2-c3d4-7"))
        #expect((uuid.low >> 62) == 0b10)
    }

    @Test(arguments: [
        ("7", FieldValue.int(7)), ("true", .bool(true)), ("\"Lan\"", .string("Lan")), ("Lan", .string("Lan")),
        ("null", .null), ("2.5", .double(2.5)), ("[1,\"a\"]", .array([.int(1), .string("a")])),
        ("{\"b\":1,\"a\":false}", .object(["a": .bool(false), "b": .int(1)])),
        ("Nguyễn Thị Mai", .string("Nguyễn Thị Mai")),
    ])
    func commandLineValues(text: String, expected: FieldValue) throws {
        let value = FieldValue.parsingCommandLine(text)
        #expect(value == expected)
        #expect(try FieldValue(json: value.json) == value)
    }

    @Test func changeRoundTrips() throws {
        let change = Change(
            dot: Dot(origin: testOrigin(3), counter: 300), stamp: Stamp(wallMillis: 1_763_856_000_123, logical: 4),
            collection: "children", record: testRecord(9), unit: "44001",
            context: VersionVector([(testOrigin(1), 12), (testOrigin(3), 299)]),
            set: ["@unit": "44001", "full_name": "Hà Thị Hoa", "at_risk": true, "age": -3, "w": 2.75, "n": .null])
        #expect(try Change(encoded: change.encoded()) == change)
    }

    /// The store writes a new record's state straight from its change; it must be the bytes of
    /// the state the merge builds, or state hashes would differ between hubs.
    @Test(
        arguments: [
            ["@unit": "44001", "full_name": "Hà Thị Hoa", "at_risk": true, "age": -3, "w": 2.75, "n": .null],
            ["@unit": "44001"], [:], ["notes": .string(String(repeating: "Đã thăm hộ. ", count: 40))],
            ["tags": ["a", 1, ["k": "v"]], "z": false],
        ] as [FieldMap<FieldValue>])
    func aCreationEncodesAsTheStateItMakes(set: FieldMap<FieldValue>) throws {
        let change = Change(
            dot: Dot(origin: testOrigin(3), counter: 300), stamp: Stamp(wallMillis: 1_763_856_000_123, logical: 4),
            collection: "children", record: testRecord(9), unit: "44001", context: VersionVector(), set: set)
        #expect(RecordState.isPlainCreation(change))
        guard case .applied(let state) = Merge.apply(change, to: nil) else {
            Issue.record("a change depending on nothing creates its record")
            return
        }
        #expect(RecordState.encodedCreation(by: change) == state.encoded())
        // The same bytes made from the change's log bytes (a record held by its creation), and
        // none for another record, one depending on others or one born deleted.
        func fromLog(_ change: Change, as key: RecordKey) throws -> [UInt8]? {
            try change.encoded().withUnsafeBytes { try RecordState.encodedCreation(fromChange: $0, of: key) }
        }
        #expect(try fromLog(change, as: change.key) == state.encoded())
        #expect(try fromLog(change, as: RecordKey(collection: "children", id: testRecord(8))) == nil)
        #expect(try fromLog(change, as: RecordKey(collection: "cases", id: testRecord(9))) == nil)
        var deleted = change
        deleted.set[ReservedField.deleted] = true
        #expect(!RecordState.isPlainCreation(deleted))
        var dependent = change
        dependent.context = VersionVector([(testOrigin(1), 1)])
        #expect(!RecordState.isPlainCreation(dependent))
        #expect(try fromLog(deleted, as: change.key) == nil)
        #expect(try fromLog(dependent, as: change.key) == nil)
        // Cut short anywhere: an error, never a state.
        let bytes = change.encoded()
        for length in 0..<bytes.count {
            #expect(throws: FormatError.self) {
                _ = try Array(bytes.prefix(length)).withUnsafeBytes {
                    try RecordState.encodedCreation(fromChange: $0, of: change.key)
                }
            }
        }
    }

    @Test func truncatedBytesAreRefusedWithTheirOffset() throws {
        let change = Change(
            dot: Dot(origin: testOrigin(3), counter: 1), stamp: Stamp(wallMillis: 5, logical: 0),
            collection: "children", record: testRecord(9), unit: "44001", context: VersionVector(),
            set: ["@unit": "44001"])
        let bytes = change.encoded()
        for length in 0..<bytes.count {
            #expect(throws: FormatError.self) { try Change(encoded: Array(bytes.prefix(length))) }
        }
    }

    @Test func seededGarbageNeverCrashesTheStateDecoder() {
        var generator = SeededGenerator(seed: 2026)
        var refused = 0
        for _ in 0..<5_000 {
            let length = Int(generator.next() % 64)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if !bytes.isEmpty { bytes[0] = 1 }
            do { _ = try RecordState(encoded: bytes) } catch { refused += 1 }
        }
        #expect(refused > 4_500)
    }
}

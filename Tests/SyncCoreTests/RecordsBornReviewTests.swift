import Foundation
import GRDB
import TestSupport
import Testing

@testable import SyncCore

/// An outsider's review of records held by their creation (`records.born`) in a protected
/// replica: the row's `born` is in clear, so it must not let someone without the key change
/// which state a record reads as.
@Suite struct RecordsBornReviewTests {
    /// A child created, then edited, and a second child created: log entries 1 and 2 are the
    /// creations, 3 the edit of the first.
    static func changes() throws -> (source: Replica, changes: [Change]) {
        let source = try makeReplica(.memory, origin: 1)
        try source.put(
            "children", id: testRecord(1), unit: "01001", set: ["full_name": "Trẻ 1", "village": "Thôn 1"])
        try source.put(
            "children", id: testRecord(2), unit: "01001", set: ["full_name": "Trẻ 2", "village": "Thôn 2"])
        try source.put("children", id: testRecord(1), set: ["village": "Bản Khoang"])
        return (source, try source.allChanges())
    }

    /// Before: a protected record's sealed state opened only where it was written, so a record
    /// could be turned back to an earlier state only with an earlier copy of that state. With
    /// `born` in clear, one UPDATE pointed an edited child back at its creation's entry and the
    /// replica read the edit as never made, without an error. It must be refused as damaged.
    @Test func aProtectedRecordCannotBePointedBackAtItsCreationWithoutTheKey() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("protected.sqlite")
        let (source, changes) = try Self.changes()
        let node = try Replica.initialize(
            storage: try ProtectedStorageTests.storage(path), origin: testOrigin(2), unit: "01001",
            time: ManualClock())
        try node.apply(Array(changes.prefix(2)))
        try node.apply(Array(changes.suffix(1)))
        // The edited child stores its state; the other is held by its creation (entry 2).
        #expect(try RecordsBornTests.rows(path).map(\.born) == [nil, 2])
        for number: UInt64 in [1, 2] {
            #expect(
                try node.record("children", id: testRecord(number)) == source.record("children", id: testRecord(number))
            )
        }
        #expect(try node.stateHash() == source.stateHash())

        // Someone with the file but not the key points the edited child back at its creation.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "UPDATE records SET born = 1 WHERE id = ?", arguments: [Data(testRecord(1).uuid.bytes)])
        }
        try queue.close()

        let reopened = try Replica(storage: try ProtectedStorageTests.storage(path), time: ManualClock())
        for read in [
            { _ = try reopened.record("children", id: testRecord(1)) },
            { _ = try reopened.stateHash() },
            { try reopened.forEachLiveRecord(in: "children", reading: ["village"]) { _, _ in } },
        ] {
            let error = #expect(throws: StoreError.self) { try read() }
            #expect(error?.kind == .corrupt)
        }
        // The untouched child still reads as it is.
        #expect(try reopened.record("children", id: testRecord(2)) == source.record("children", id: testRecord(2)))
    }

    /// A protected replica's held records (whose rows now carry a sealed mark) read, scan and
    /// hash as a clear replica's and as a memory replica's fed the same changes.
    @Test func aProtectedReplicasHeldRecordsReadAsAClearOnes() throws {
        let directory = try TemporaryDirectory()
        let (source, changes) = try Self.changes()
        let paths = [directory.path("protected.sqlite"), directory.path("clear.sqlite")]
        let replicas = [
            try Replica.initialize(
                storage: try ProtectedStorageTests.storage(paths[0]), origin: testOrigin(2), unit: "01001",
                time: ManualClock()),
            try Replica.initialize(
                storage: try SQLiteStorage(path: paths[1]), origin: testOrigin(3), unit: "01001", time: ManualClock()),
        ]
        for (replica, path) in zip(replicas, paths) {
            try replica.apply(Array(changes.prefix(2)))
            #expect(try RecordsBornTests.rows(path).map(\.born) == [1, 2])
            try replica.apply(Array(changes.suffix(1)))
            #expect(try RecordsBornTests.rows(path).map(\.born) == [nil, 2])
            #expect(try replica.stateHash() == source.stateHash())
            #expect(try replica.stateHashesByUnit() == source.stateHashesByUnit())
            #expect(try replica.record("children", id: testRecord(2)) == source.record("children", id: testRecord(2)))
            var villages: [RecordID: String] = [:]
            try replica.forEachLiveRecord(in: "children", reading: ["village"]) { id, record in
                villages[id] = record.value("village")?.stringValue
            }
            #expect(villages == [testRecord(1): "Bản Khoang", testRecord(2): "Thôn 2"])
        }
    }

    /// A held row that lost its `born` (a file changed by another program) has no state at
    /// all: every read must say the record is damaged. The state hash hashed the empty state
    /// as if it were one, and a hub's hash then disagreed with its nodes' with no error.
    @Test func aHeldRowWithoutItsEntryIsDamagedForTheStateHashToo() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("hub.sqlite")
        let (_, changes) = try Self.changes()
        let hub = try Replica.initialize(
            storage: try SQLiteStorage(path: path), origin: testOrigin(2), unit: "01", time: ManualClock())
        try hub.apply(changes)
        #expect(try RecordsBornTests.rows(path).map(\.born) == [nil, 2])
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: "UPDATE records SET born = NULL WHERE id = ?", arguments: [Data(testRecord(2).uuid.bytes)])
        }
        try queue.close()
        let reopened = try Replica(storage: try SQLiteStorage(path: path), time: ManualClock())
        for read in [
            { _ = try reopened.record("children", id: testRecord(2)) },
            { _ = try reopened.stateHash() },
            { _ = try reopened.stateHashesByUnit() },
            { try reopened.forEachLiveRecord(in: "children", reading: ["village"]) { _, _ in } },
        ] {
            let error = #expect(throws: StoreError.self) { try read() }
            #expect(error?.kind == .corrupt)
        }
    }

    /// Creations with values at the edges of the encoding (nested objects with keys precomposed
    /// and decomposed, text decomposed, -0.0 and a NaN with a payload, the extreme integers, a
    /// field count and counters past one varint byte, a creation setting only `@unit`, one
    /// without `@unit`): a replica holding them by their creations reads, scans and hashes
    /// them as a memory replica fed the same changes builds them.
    @Test func edgeValuesHeldByTheirCreationReadAsTheBuiltStates() throws {
        let directory = try TemporaryDirectory()
        var wide: [String: FieldValue] = [:]
        for number in 0..<200 { wide["f\(1000 + number)"] = .int(Int64(number) - 100) }
        let sets: [FieldMap<FieldValue>] = [
            [
                "@unit": "01001",
                "nested": .object([
                    "Bản Phùng": .array([.null, true, false, .object(["Ả": 1, "A\u{0309}x": 2])]),
                    "Ban": .double(-0.0), "nan": .double(Double(bitPattern: 0x7FF8_0000_DEAD_BEEF)),
                ]),
                "min": .int(.min), "max": .int(.max), "text": "Ho\u{0302}\u{0300} Thi\u{0323} Hoa",
            ],
            FieldMap(wide.merging(["@unit": "01001"]) { first, _ in first }),
            ["@unit": "01001"],
            ["village": "Thôn không đơn vị"],
        ]
        var changes: [Change] = []
        for (index, set) in sets.enumerated() {
            changes.append(
                Change(
                    dot: Dot(origin: testOrigin(UInt64(7 + index)), counter: (1 << 40) + UInt64(index)),
                    stamp: Stamp(wallMillis: 1_763_856_000_123, logical: UInt32.max - 1),
                    collection: "children", record: testRecord(UInt64(30 + index)), unit: "01001",
                    context: VersionVector(), set: set))
        }
        let memory = try makeReplica(.memory, origin: 2, unit: "01")
        try memory.apply(changes)
        let paths = [directory.path("clear.sqlite"), directory.path("protected.sqlite")]
        for path in paths {
            let storage =
                path == paths[0] ? try SQLiteStorage(path: path) : try ProtectedStorageTests.storage(path)
            let replica = try Replica.initialize(
                storage: storage, origin: testOrigin(2), unit: "01", time: ManualClock())
            try replica.apply(changes)
            #expect(try RecordsBornTests.rows(path).map(\.born) == [1, 2, 3, 4])
            #expect(try replica.stateHash() == memory.stateHash())
            #expect(try replica.stateHashesByUnit() == memory.stateHashesByUnit())
            // Compared as bytes: a NaN is not equal to itself.
            for change in changes {
                #expect(
                    try replica.record("children", id: change.record)?.encoded()
                        == memory.record("children", id: change.record)?.encoded())
            }
            let names = ["nested", "min", "f1000", "village"]
            func encoded(_ values: [FieldValue?]) -> [[UInt8]?] {
                values.map { value in
                    value.map {
                        var writer = ByteWriter(capacity: 64)
                        $0.encode(into: &writer)
                        return writer.bytes
                    }
                }
            }
            var projected: [RecordID: [[UInt8]?]] = [:]
            try replica.forEachLiveRecord(in: "children", reading: names) { id, record in
                projected[id] = encoded(names.map { record.value($0) } + [record.unit.map { .string($0) }])
            }
            var built: [RecordID: [[UInt8]?]] = [:]
            try memory.forEachLiveRecord(in: "children") { id, state in
                built[id] = encoded(names.map { state.value($0) } + [state.unit.map { .string($0) }])
            }
            #expect(projected == built)
            #expect(projected.count == 4)
        }
    }
}

import Foundation
import GRDB
import TestSupport
import Testing

@testable import SyncCore

/// A record a plain creation made and nothing changed since is held by its creation's log entry
/// (`records.born`), not by a copy of its fields: what it reads as, how an edit writes it out,
/// and what a row pointing at the wrong entry does.
@Suite struct RecordsBornTests {
    /// The rows of `path`'s records table: id, born, the stored state's length.
    static func rows(_ path: String) throws -> [(id: UUID128, born: Int64?, stateBytes: Int)] {
        try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT id, born, length(state) AS size FROM records ORDER BY id").map {
                (UUID128(bytes: $0["id"] as Data), $0["born"], $0["size"])
            }
        }
    }

    /// A commune's changes from elsewhere: six children created (log entries 1–6 of a replica
    /// that applies them in order), then the second edited (7) and the third deleted (8).
    static func commune() throws -> [Change] {
        let source = try makeReplica(.memory, origin: 1)
        for number in 1...6 {
            try source.put(
                "children", id: testRecord(UInt64(number)), unit: "01001",
                set: ["full_name": "Trẻ \(number)", "village": "Thôn \(number)", "born_on": "2015-03-0\(number)"])
        }
        try source.put("children", id: testRecord(2), set: ["village": "Bản Phùng"])
        try source.delete("children", id: testRecord(3))
        return try source.allChanges()
    }

    @Test func creationsAreHeldByTheirEntryAndReadAsTheStateTheyMake() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("hub.sqlite")
        let batch = try Self.commune()
        let hub = try Replica.initialize(
            storage: try SQLiteStorage(path: path), origin: testOrigin(2), unit: "01", time: ManualClock())
        let reference = try makeReplica(.memory, origin: 2, unit: "01")
        try hub.apply(Array(batch.prefix(6)))
        try reference.apply(Array(batch.prefix(6)))
        // Six creations: no state stored, each row names its creation's entry (1...6, in order).
        let created = try Self.rows(path)
        #expect(created.map(\.born) == [1, 2, 3, 4, 5, 6])
        #expect(created.allSatisfy { $0.stateBytes == 0 })
        #expect(try hub.stateHash() == reference.stateHash())
        for number in 1...6 {
            let id = testRecord(UInt64(number))
            #expect(try hub.record("children", id: id) == reference.record("children", id: id))
        }

        // The edit and the deletion write those two records out; the others stay held.
        try hub.apply(Array(batch.suffix(2)))
        try reference.apply(Array(batch.suffix(2)))
        let after = try Self.rows(path)
        #expect(after.map(\.born) == [1, nil, nil, 4, 5, 6])
        #expect(after.map { $0.stateBytes > 0 } == [false, true, true, false, false, false])
        #expect(try hub.stateHash() == reference.stateHash())
        #expect(try hub.record("children", id: testRecord(2))?.value("village") == "Bản Phùng")
        #expect(try hub.record("children", id: testRecord(3))?.isDeleted == true)

        // Reopened, and scanned as the reports and the search index read: the same records.
        let reopened = try Replica(storage: try SQLiteStorage(path: path), time: ManualClock())
        #expect(try reopened.stateHashesByUnit() == reference.stateHashesByUnit())
        var scanned: [RecordID: [UInt8]] = [:]
        try reopened.storage.read { access in
            try access.forEachRecord(collection: "children") { scanned[$0.key.id] = $0.stateBytes }
        }
        let expected = try Dictionary(
            uniqueKeysWithValues: (1...6).map { number in
                let id = testRecord(UInt64(number))
                return (id, try #require(try reference.record("children", id: id)).encoded())
            })
        #expect(scanned == expected)
    }

    /// A report reads held records from their creation's bytes in place: the same values, units
    /// and records as the states, clear and sealed, for every record and for a selection.
    @Test(arguments: [false, true])
    func aReportReadsHeldRecordsAsTheirStates(sealed: Bool) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("hub.sqlite")
        let storage =
            sealed
            ? try SQLiteStorage(path: path, role: nil, secret: .key(.random()), scrypt: .fastForTests)
            : try SQLiteStorage(path: path)
        let hub = try Replica.initialize(storage: storage, origin: testOrigin(2), unit: "01", time: ManualClock())
        let reference = try makeReplica(.memory, origin: 2, unit: "01")
        let batch = try Self.commune()
        try hub.apply(batch)
        try reference.apply(batch)
        #expect(try Self.rows(path).filter { $0.born != nil }.count == 4)
        let fields = ["full_name", "village", "born_on", "absent"]
        func read(_ replica: Replica, _ selection: RecordSelection?) throws -> [String] {
            var lines: [String] = []
            let body = { (id: RecordID, record: ProjectedRecord) in
                lines.append(
                    "\(id) \(record.unit ?? "-") "
                        + fields.map { "\(record.value($0) ?? .null)" }.joined(separator: "|"))
            }
            if let selection {
                try replica.forEachLiveRecord(selection, reading: fields, body)
            } else {
                try replica.forEachLiveRecord(in: "children", reading: fields, body)
            }
            return lines.sorted()
        }
        let all = try read(reference, nil)
        #expect(all.count == 5 && all.contains { $0.contains("Bản Phùng") })
        #expect(try read(hub, nil) == all)
        let selection = RecordSelection(collection: "children", units: ["01001"], ids: [testRecord(4)])
        #expect(try read(hub, selection) == read(reference, selection))
    }

    /// A held record's creation cut short anywhere, or one that deletes its record: an error.
    @Test func aDamagedCreationIsRefusedNotMisread() throws {
        let change = try #require(try Self.commune().first)
        var projector = StateProjector(fields: ["full_name"])
        let good = change.encoded()
        #expect(try good.withUnsafeBytes { try projector.read(creation: $0) }.value("full_name") == "Trẻ 1")
        for length in 0..<good.count {
            #expect(throws: FormatError.self) {
                try Array(good.prefix(length)).withUnsafeBytes { try projector.read(creation: $0) }
            }
        }
        var deleting = change
        deleting.set[ReservedField.deleted] = false
        #expect(throws: FormatError.self) {
            try deleting.encoded().withUnsafeBytes { try projector.read(creation: $0) }
        }
    }

    /// A local edit of a held record (a node editing a child its hub sent) writes it out too.
    @Test func aLocalEditWritesAHeldRecordOut() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("node.sqlite")
        let node = try Replica.initialize(
            storage: try SQLiteStorage(path: path), origin: testOrigin(2), unit: "01001", time: ManualClock())
        try node.apply(Array(try Self.commune().prefix(1)))
        #expect(try Self.rows(path).map(\.born) == [1])
        try node.put("children", id: testRecord(1), set: ["village": "Bản Khoang"])
        #expect(try Self.rows(path).map(\.born) == [nil])
        let record = try #require(try node.record("children", id: testRecord(1)))
        #expect(record.value("village") == "Bản Khoang" && record.value("full_name") == "Trẻ 1")
    }

    /// A row whose `born` names another record's creation, an edit, or nothing: an error naming
    /// the record, never another child's fields under this one's name.
    @Test(arguments: [(2, "not the plain creation of this record"), (7, "not the plain creation"), (99, "missing")])
    func aRowPointingAtTheWrongEntryIsAnError(born: Int, detail: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("hub.sqlite")
        let hub = try Replica.initialize(
            storage: try SQLiteStorage(path: path), origin: testOrigin(2), unit: "01", time: ManualClock())
        try hub.apply(try Self.commune())
        // Entry 7 is the edit of record 2; record 1 is held by entry 1.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: "UPDATE records SET born = ? WHERE id = ?", arguments: [born, Data(testRecord(1).uuid.bytes)])
        }
        try queue.close()
        let reopened = try Replica(storage: try SQLiteStorage(path: path), time: ManualClock())
        for read in [
            { _ = try reopened.record("children", id: testRecord(1)) },
            { _ = try reopened.stateHash() },
        ] {
            let error = #expect(throws: StoreError.self) { try read() }
            #expect(error?.kind == .corrupt)
            #expect(error?.detail.contains(detail) == true)
            #expect(error?.detail.contains("Trẻ") == false)
        }
        #expect(try reopened.record("children", id: testRecord(4))?.value("full_name") == "Trẻ 4")
    }
}

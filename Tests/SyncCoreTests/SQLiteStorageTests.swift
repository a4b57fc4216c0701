import Foundation
import GRDB
import TestSupport
import Testing

@testable import SyncCore

/// Storage that fails on the n-th call of one operation, to break a batch halfway.
final class FailingStorage: ReplicaStorage, @unchecked Sendable {
    struct Injected: Error {}
    enum Point { case appendLog, putRecord }
    let inner: any ReplicaStorage
    let point: Point
    let failAt: Int

    init(_ inner: any ReplicaStorage, failing point: Point, at count: Int) {
        self.inner = inner
        self.point = point
        self.failAt = count
    }

    func read<T>(_ body: (any StorageAccess) throws -> T) throws -> T { try inner.read(body) }

    func searchToken(_ term: String) throws -> [UInt8] { try inner.searchToken(term) }

    func write<T>(_ body: (any StorageAccess) throws -> T) throws -> T {
        try inner.write { access in try body(Access(inner: access, owner: self)) }
    }

    final class Access: StorageAccess {
        let inner: any StorageAccess
        let owner: FailingStorage
        var calls = 0
        init(inner: any StorageAccess, owner: FailingStorage) {
            self.inner = inner
            self.owner = owner
        }
        func tick(_ point: Point) throws {
            guard point == owner.point else { return }
            calls += 1
            if calls == owner.failAt { throw Injected() }
        }
        func meta() throws -> ReplicaMeta? { try inner.meta() }
        func setMeta(_ meta: ReplicaMeta) throws { try inner.setMeta(meta) }
        func record(_ key: RecordKey) throws -> RecordState? { try inner.record(key) }
        func putRecord(_ key: RecordKey, _ state: RecordState) throws {
            try inner.putRecord(key, state)
            try tick(.putRecord)
        }
        func putCreatedRecord(_ key: RecordKey, by change: Change) throws {
            try inner.putCreatedRecord(key, by: change)
            try tick(.putRecord)
        }
        func forEachRecord(collection: String?, _ body: (StoredRecord) throws -> Void) throws {
            try inner.forEachRecord(collection: collection, body)
        }
        func recordCount() throws -> Int { try inner.recordCount() }
        func conflictedKeys() throws -> [RecordKey] { try inner.conflictedKeys() }
        func appendLog(_ change: Change, unit: String, via: OriginID?, previousUnit: String?) throws -> UInt64 {
            let sequence = try inner.appendLog(change, unit: unit, via: via, previousUnit: previousUnit)
            try tick(.appendLog)
            return sequence
        }
        func logPage(after sequence: UInt64, filter: LogFilter, maxEntries: Int, maxBytes: Int) throws -> LogPage {
            try inner.logPage(after: sequence, filter: filter, maxEntries: maxEntries, maxBytes: maxBytes)
        }
        func history(of key: RecordKey, before sequence: UInt64) throws -> [LogEntry] {
            try inner.history(of: key, before: sequence)
        }
        func setting(_ name: String) throws -> String? { try inner.setting(name) }
        func setSetting(_ name: String, _ value: String?) throws { try inner.setSetting(name, value) }
        func lastSequence() throws -> UInt64 { try inner.lastSequence() }
        func recordKeys(for dots: [Dot]) throws -> [Dot: RecordKey] { try inner.recordKeys(for: dots) }
        func park(_ change: Change, via: OriginID?) throws { try inner.park(change, via: via) }
        func parked(for key: RecordKey) throws -> [ParkedChange] { try inner.parked(for: key) }
        func unpark(_ dot: Dot) throws { try inner.unpark(dot) }
        func parkedCount() throws -> Int { try inner.parkedCount() }
        func setAside(_ entry: SetAsideEntry) throws { try inner.setAside(entry) }
        func setAside(for key: RecordKey) throws -> [SetAsideEntry] { try inner.setAside(for: key) }
        func setAsideEntries(limit: Int) throws -> [SetAsideEntry] { try inner.setAsideEntries(limit: limit) }
        func removeSetAside(_ dot: Dot) throws { try inner.removeSetAside(dot) }
        func setAsideCount() throws -> Int { try inner.setAsideCount() }
    }
}

@Suite struct SQLiteStorageTests {
    /// Every row of every table, as text: "exactly as before" means this is unchanged.
    static func dump(_ path: String) throws -> String {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            var out = ""
            for table in ["replica", "records", "log", "parked", "settings"] {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2") {
                    out += "\(table): \(row)\n"
                }
            }
            return out
        }
    }

    /// Makes a file of this release look as a schema 5 file (release 0.6) has it, for the tests
    /// of migrations from older files: each record held by its creation (`records.born`) gets its
    /// state written out, through the store, then the column is dropped.
    static func withoutRecordsBorn(_ path: String) throws {
        let storage = try SQLiteStorage(path: path)
        let held = try storage.write { access in
            let sqlite = try #require(access as? SQLiteStorage.Access)
            let keys = try Row.fetchAll(sqlite.db, sql: "SELECT collection, id FROM records WHERE born IS NOT NULL")
                .map { row in RecordKey(collection: row[0], id: RecordID(UUID128(bytes: row[1] as Data))) }
            for key in keys { try access.putRecord(key, try #require(try access.record(key))) }
            return keys.count
        }
        #expect(held > 0, "the scenario holds records by their creation")
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "ALTER TABLE records DROP COLUMN born") }
        try queue.close()
    }

    /// Two replicas with history, and a batch for the second that parks, releases, conflicts.
    static func scenario(path: String) throws -> (Replica, [Change]) {
        let clock = ManualClock()
        let source = try makeReplica(.memory, origin: 1, clock: clock)
        let target = try Replica.initialize(
            storage: try SQLiteStorage(path: path), origin: testOrigin(2), unit: "01001", time: clock)
        for number in 1...5 {
            try source.put(
                "children", id: testRecord(UInt64(number)), unit: "01001", set: ["village": "Thôn \(number)"])
        }
        try target.apply(try source.allChanges())
        try target.put("children", id: testRecord(1), set: ["village": "Bản Khoang"])
        try target.apply([try source.put("children", id: testRecord(9), unit: "01001", set: ["a": 1])!])
        clock.advance(by: 5)
        try source.put("children", id: testRecord(1), set: ["village": "Bản Phùng"])
        try source.put("children", id: testRecord(2), set: ["notes": "x"])
        try source.delete("children", id: testRecord(3))
        try source.put("children", id: testRecord(6), unit: "01001", set: ["village": "Thôn 6"])
        try source.put("children", id: testRecord(6), set: ["village": "Thôn 7"])
        let batch = try Array(source.allChanges().suffix(5).reversed())
        return (target, batch)
    }

    @Test(arguments: [(FailingStorage.Point.appendLog, 3), (.putRecord, 2), (.putRecord, 4)])
    func batchFailingHalfwayLeavesTheFileAsBefore(point: FailingStorage.Point, at count: Int) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        let (target, batch) = try Self.scenario(path: path)
        let before = try Self.dump(path)
        let hash = try target.stateHash()
        let failing = try Replica(storage: FailingStorage(target.storage, failing: point, at: count), time: target.time)
        #expect(throws: FailingStorage.Injected.self) { try failing.apply(batch) }
        #expect(try Self.dump(path) == before)
        #expect(try target.stateHash() == hash)
        // The same batch then applies whole.
        let report = try target.apply(batch)
        #expect(report.applied == 5)
        #expect(report.released == 1)
        #expect(try Self.dump(path) != before)
    }

    @Test(arguments: [(FailingStorage.Point.appendLog, 2), (.putRecord, 2)])
    func memoryStoreRollsBackAFailedBatchToo(point: FailingStorage.Point, at count: Int) throws {
        let target = try makeReplica(.memory, origin: 2)
        let source = try makeReplica(.memory, origin: 1)
        for number in 1...4 {
            try source.put("children", id: testRecord(UInt64(number)), unit: "01001", set: ["n": .int(Int64(number))])
        }
        try target.apply(Array(try source.allChanges().prefix(2)))
        try target.setSetting("cursor", "2")
        let hash = try target.stateHash()
        let counts = try target.counts()
        let failing = try Replica(storage: FailingStorage(target.storage, failing: point, at: count), time: target.time)
        #expect(throws: FailingStorage.Injected.self) {
            try failing.apply(try source.allChanges(), alongside: { access in try access.setSetting("cursor", "4") })
        }
        #expect(try target.stateHash() == hash)
        #expect(try target.counts() == counts)
        #expect(try target.setting("cursor") == "2")
        #expect(try target.apply(try source.allChanges()).applied == 2)
    }

    @Test func replicaSurvivesReopening() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        let (target, batch) = try Self.scenario(path: path)
        try target.apply(batch)
        let hash = try target.stateHash()
        let conflicts = try target.conflicts()
        #expect(!conflicts.isEmpty)
        let reopened = try Replica(storage: try SQLiteStorage(path: path), time: ManualClock())
        #expect(try reopened.stateHash() == hash)
        #expect(try reopened.conflicts() == conflicts)
        #expect(reopened.origin == testOrigin(2))
        let next = try #require(try reopened.put("children", id: testRecord(4), set: ["notes": "sau"]))
        #expect(next.dot.counter == 2)
    }

    /// A backup written where an earlier one is replaces it (the command's help promises it);
    /// it once removed the earlier backup and then failed, leaving none.
    @Test func aBackupReplacesAnEarlierOne() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        let (target, batch) = try Self.scenario(path: path)
        let storage = try #require(target.storage as? SQLiteStorage)
        let backup = directory.path("backup.sqlite")
        try storage.backup(to: backup, nowMillis: 1)
        try target.apply(batch)
        try storage.backup(to: backup, nowMillis: 2)
        #expect(!FileManager.default.fileExists(atPath: backup + ".partial"))
        let copy = directory.path("restored.sqlite")
        try FileManager.default.copyItem(atPath: backup, toPath: copy)
        let restored = try Replica.finishRestore(storage: try SQLiteStorage(path: copy), time: ManualClock())
        #expect(try restored.stateHash() == target.stateHash())
    }

    /// Schema 1 (an index of the log by record) opens as schema 6 (each record lists its log
    /// entries; parked changes keep their sender; set-aside changes; the protection table,
    /// empty: an older replica is unprotected; the index of pushed dots, empty; every record
    /// stores its state) with the same histories, and goes on from there.
    @Test func aSchema1ReplicaIsMigratedWithItsHistories() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        let (target, batch) = try Self.scenario(path: path)
        try target.apply(batch)
        let keys = (1...9).map { RecordKey(collection: "children", id: testRecord(UInt64($0))) }
        func histories(_ replica: Replica) throws -> [[UInt64]] {
            try replica.storage.read { access in
                try keys.map { try access.history(of: $0, before: .max).map(\.sequence) }
            }
        }
        let before = try histories(target)
        #expect(before.map(\.count) == [3, 2, 2, 1, 1, 2, 0, 0, 1])
        let hash = try target.stateHash()
        try Self.withoutRecordsBorn(path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    ALTER TABLE records DROP COLUMN history;
                    ALTER TABLE parked DROP COLUMN via;
                    DROP TABLE set_aside;
                    DROP TABLE protection;
                    DROP TABLE log_dots;
                    DROP TABLE grdb_migrations;
                    CREATE INDEX log_record ON log (collection, record);
                    PRAGMA user_version = 1
                    """)
        }
        try queue.close()
        let migrated = try Replica(storage: try SQLiteStorage(path: path), time: ManualClock())
        #expect(try histories(migrated) == before)
        #expect(try migrated.stateHash() == hash)
        let next = try #require(try migrated.put("children", id: testRecord(4), set: ["notes": "sau"]))
        let after = try migrated.storage.read { try $0.history(of: keys[3], before: .max).map(\.sequence) }
        #expect(after == before[3] + [try migrated.counts().lastSequence])
        #expect(next.dot.counter == 2)
        let (version, applied) = try DatabaseQueue(path: path).read {
            (
                try Int.fetchOne($0, sql: "PRAGMA user_version"),
                try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations")
            )
        }
        #expect(version == 6)
        #expect(applied == SchemaMigrations.replica)
        #expect((migrated.storage as? SQLiteStorage)?.protection == nil)
    }

    /// A damaged history is reported when the record is next written, never appended to.
    @Test func aDamagedHistoryIsReportedNotExtended() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        _ = try Self.scenario(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: "UPDATE records SET history = x'00' WHERE id = ?", arguments: [Data(testRecord(1).uuid.bytes)])
        }
        try queue.close()
        let replica = try Replica(storage: try SQLiteStorage(path: path), time: ManualClock())
        let before = try Self.dump(path)
        #expect(throws: StoreError.self) { try replica.put("children", id: testRecord(1), set: ["notes": "sau"]) }
        do {
            _ = try replica.put("children", id: testRecord(1), set: ["notes": "sau"])
        } catch let error as StoreError {
            #expect(error.kind == .corrupt)
            #expect(error.description.contains("history"))
        }
        #expect(try Self.dump(path) == before)
    }

    static func expectRefusal(_ path: String, _ kind: StoreError.Kind) throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            let storage = try SQLiteStorage(path: path)
            _ = try Replica(storage: storage, time: ManualClock()).stateHash()
            Issue.record("\(path) was accepted")
        } catch let error as StoreError {
            #expect(error.kind == kind, "\(error)")
            #expect(error.description.contains(path))
            #expect(!error.hint.isEmpty)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the refused file was changed")
    }

    @Test func fileThatIsNotADatabaseIsRefused() throws {
        let directory = try TemporaryDirectory()
        let text = directory.path("notes.txt")
        try Data("Danh sách trẻ em, thôn 3\n".utf8).write(to: URL(fileURLWithPath: text))
        try Self.expectRefusal(text, .notADatabase)
        var generator = SeededGenerator(seed: 11)
        let noise = directory.path("noise.bin")
        try Data((0..<8192).map { _ in UInt8(truncatingIfNeeded: generator.next()) }).write(
            to: URL(fileURLWithPath: noise))
        try Self.expectRefusal(noise, .notADatabase)
    }

    @Test func databaseOfAnotherProgramIsRefusedUntouched() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("other.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE patients (name TEXT); INSERT INTO patients VALUES ('x')")
        }
        try queue.close()
        try Self.expectRefusal(path, .foreignDatabase)
    }

    @Test func replicaFromANewerTreIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        _ = try Self.scenario(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "PRAGMA user_version = 99") }
        try queue.close()
        try Self.expectRefusal(path, .newerFormat)
    }

    @Test func damagedPagesGiveACorruptionError() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        do {
            let (target, batch) = try Self.scenario(path: path)
            try target.apply(batch)
        }
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.count > 8192)
        for index in 4096..<bytes.count { bytes[index] = 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            let storage = try SQLiteStorage(path: path)
            _ = try Replica(storage: storage, time: ManualClock()).stateHash()
            Issue.record("a damaged file was read without error")
        } catch let error as StoreError {
            #expect([.corrupt, .notADatabase].contains(error.kind), "\(error)")
        }
    }

    @Test func damagedRecordStateIsReportedNotCrashed() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        let (target, _) = try Self.scenario(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "UPDATE records SET state = x'01ff'") }
        try queue.close()
        #expect(throws: StoreError.self) { try target.record("children", id: testRecord(1)) }
        #expect(throws: StoreError.self) { try target.put("children", id: testRecord(1), set: ["a": 2]) }
        do {
            _ = try target.stateHash()
        } catch {
            Issue.record("the state hash reads bytes only and should not fail: \(error)")
        }
    }
}

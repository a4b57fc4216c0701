import Foundation
import GRDB
import TestSupport
import Testing

@testable import SyncCore

/// The replica's schema through GRDB's migrator: what a new file records, how files of the
/// releases before the migrator (user_version 2–4, no `grdb_migrations`) are brought to it, and
/// that a file a later release migrated is refused untouched. (Files made by the previous
/// release's own binaries are opened in NodeTests' UpgradeTests.)
@Suite struct MigrationTests {
    static func applied(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read {
            try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
    }

    /// The tables, indexes and their SQL, and the header's pragmas: what "the same schema" means.
    static func schema(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT type || ' ' || name || ': ' || ifnull(sql, '') FROM sqlite_master
                    WHERE name NOT LIKE 'grdb_%' AND name NOT LIKE 'sqlite_%' ORDER BY name
                    """)
                + [
                    "application_id \(try Int.fetchOne(db, sql: "PRAGMA application_id") ?? 0)",
                    "user_version \(try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0)",
                ]
        }
    }

    @Test func aNewReplicaRecordsItsMigrations() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        _ = try Replica.initialize(
            storage: try SQLiteStorage(path: path), origin: testOrigin(1), unit: "01001", time: ManualClock())
        #expect(try Self.applied(path) == SchemaMigrations.replica)
        #expect(try Self.schema(path).contains("user_version \(SQLiteStorage.schemaVersion)"))
        #expect(try Self.schema(path).contains("application_id \(SQLiteStorage.applicationID)"))
    }

    /// A file as 0.4 left it (its schema 4, no migrator's table) gains the migrator's table
    /// with schema 4 recorded, then schema 5's index of pushed dots, empty, and schema 6's
    /// `records.born`, NULL in every row, and nothing else: the same tables besides, the same state.
    @Test func aSchema4FileOfAnEarlierReleaseGainsOnlyTheDotIndexAndBorn() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        let (target, batch) = try SQLiteStorageTests.scenario(path: path)
        try target.apply(batch)
        let hash = try target.stateHash()
        try SQLiteStorageTests.withoutRecordsBorn(path)
        let queue = try DatabaseQueue(path: path)
        try queue.write {
            try $0.execute(sql: "DROP TABLE grdb_migrations; DROP TABLE log_dots; PRAGMA user_version = 4")
        }
        try queue.close()
        let before = try Self.schema(path)
        let reopened = try Replica(storage: try SQLiteStorage(path: path), time: ManualClock())
        #expect(try reopened.stateHash() == hash)
        let after = try Self.schema(path)
        let changed = ["table log_dots", "index sqlite_autoindex_log_dots", "table records"]
        #expect(
            after.filter { line in !changed.contains { line.hasPrefix($0) } }
                == before.filter { !$0.hasPrefix("table records") }.map {
                    $0 == "user_version 4" ? "user_version \(SQLiteStorage.schemaVersion)" : $0
                })
        #expect(after.contains { $0.hasPrefix("table log_dots") })
        #expect(try Self.applied(path) == SchemaMigrations.replica)
        let (dots, born, records) = try DatabaseQueue(path: path).read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM log_dots"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM records WHERE born IS NOT NULL"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM records")
            )
        }
        #expect(dots == 0 && born == 0 && records == 7)
    }

    /// A file as 0.6 left it (schema 5: every record stores its state) gains `records.born` and
    /// nothing else; its records read as before, and a record created after the upgrade is held
    /// by its creation's log entry while the old ones keep their states.
    @Test func aSchema5FileGainsBornAndNewRecordsAreHeldByTheirCreation() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        let (target, batch) = try SQLiteStorageTests.scenario(path: path)
        try target.apply(batch)
        let hash = try target.stateHash()
        let states = try target.storage.read { access in
            try (1...9).map { try access.record(RecordKey(collection: "children", id: testRecord(UInt64($0)))) }
        }
        try SQLiteStorageTests.withoutRecordsBorn(path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: "DELETE FROM grdb_migrations WHERE identifier = ?; PRAGMA user_version = 5",
                arguments: [SchemaMigrations.recordsBorn])
        }
        try queue.close()
        let before = try Self.schema(path)
        let upgraded = try Replica(storage: try SQLiteStorage(path: path), time: ManualClock())
        #expect(try upgraded.stateHash() == hash)
        #expect(
            try upgraded.storage.read { access in
                try (1...9).map { try access.record(RecordKey(collection: "children", id: testRecord(UInt64($0)))) }
            } == states)
        #expect(
            try Self.schema(path).filter { !$0.hasPrefix("table records") }
                == before.filter { !$0.hasPrefix("table records") }.map {
                    $0 == "user_version 5" ? "user_version 6" : $0
                })
        #expect(try Self.applied(path) == SchemaMigrations.replica)
        // A creation from elsewhere, after the upgrade.
        let source = try makeReplica(.memory, origin: 7, clock: ManualClock())
        let created = try #require(
            try source.put("children", id: testRecord(20), unit: "01001", set: ["village": "Thôn 20"]))
        try upgraded.apply([created])
        let rows = try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT id, born, length(state) AS size FROM records ORDER BY id").map {
                (UUID128(bytes: $0["id"] as Data), $0["born"] as Int64?, $0["size"] as Int)
            }
        }
        #expect(rows.filter { $0.1 != nil }.map(\.0) == [testRecord(20).uuid])
        #expect(rows.allSatisfy { ($0.1 == nil) == ($0.2 > 0) })
        #expect(try upgraded.record("children", id: testRecord(20))?.value("village") == "Thôn 20")
    }

    /// Schema 2 and 3 files (made before the protection table) reach the schema a new file has.
    @Test(arguments: [2, 3]) func anOlderSchemaReachesTheNewFilesSchema(version: Int) throws {
        let directory = try TemporaryDirectory()
        let fresh = directory.path("fresh.sqlite")
        _ = try SQLiteStorage(path: fresh)
        let path = directory.path("old.sqlite")
        let (target, batch) = try SQLiteStorageTests.scenario(path: path)
        try target.apply(batch)
        let hash = try target.stateHash()
        try SQLiteStorageTests.withoutRecordsBorn(path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: "DROP TABLE grdb_migrations; DROP TABLE protection; DROP TABLE log_dots; PRAGMA user_version = 3")
            if version == 2 {
                try db.execute(
                    sql: "DELETE FROM set_aside; DROP TABLE set_aside; ALTER TABLE parked DROP COLUMN via; "
                        + "PRAGMA user_version = 2")
            }
        }
        try queue.close()
        let migrated = try Replica(storage: try SQLiteStorage(path: path), time: ManualClock())
        #expect(try migrated.stateHash() == hash)
        // ALTER TABLE ADD COLUMN keeps the column last: the SQL text differs, the columns do not.
        func normalized(_ schema: [String]) -> [String] {
            schema.map { $0.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression) }
        }
        let columns = { (path: String) in
            try DatabaseQueue(path: path).read { db in
                try ["parked", "set_aside", "protection", "records"].map { table in
                    try db.columns(in: table).map(\.name).sorted()
                }
            }
        }
        #expect(try columns(path) == columns(fresh))
        #expect(
            normalized(try Self.schema(path)).filter { !$0.hasPrefix("table parked") }
                == normalized(try Self.schema(fresh)).filter { !$0.hasPrefix("table parked") })
        #expect(try Self.applied(path) == SchemaMigrations.replica)
    }

    /// A later release's migration in the file: refused before anything is written, saying
    /// which release to install; the bytes and the folder are as they were.
    @Test func aMigrationFromALaterReleaseIsRefusedUntouched() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        _ = try SQLiteStorageTests.scenario(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('0.6.0: replica schema 5')")
        }
        try queue.close()
        try SQLiteStorageTests.expectRefusal(path, .newerFormat)
        do {
            _ = try SQLiteStorage(path: path)
        } catch let error as StoreError {
            #expect(error.detail.contains("\"0.6.0: replica schema 5\""))
            #expect(error.detail.contains("install Tre 0.6.0 or later"))
        }
        #expect(throws: StoreError.self) { _ = try SQLiteStorage.protection(ofReplicaAt: path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["replica.sqlite"])
    }

    @Test func theReleaseOfAnIdentifierIsItsPrefix() {
        #expect(SchemaMigrations.release(of: SchemaMigrations.replicaSchema4) == "0.4.0")
        #expect(SchemaMigrations.release(of: "0.10.2: hub tables") == "0.10.2")
        #expect(SchemaMigrations.release(of: "schema 5") == nil)
        #expect(SchemaMigrations.release(of: "x: y") == nil)
        // The newest of several, by number (0.10 after 0.9), named in the refusal.
        let detail = SchemaMigrations.newerDetail(["0.9.0: a", "0.10.0: b"])
        #expect(detail.contains("install Tre 0.10.0 or later"))
        #expect(SchemaMigrations.newerDetail(["later"]).contains("install the Tre release that wrote it"))
    }

    /// GRDB makes its table before the first migration's transaction: a new file whose first
    /// migration failed holds that table alone, and is still a new file, not a foreign one.
    @Test func aNewFileWhoseFirstMigrationFailedIsStillNew() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("replica.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)") }
        try queue.close()
        let replica = try Replica.initialize(
            storage: try SQLiteStorage(path: path), origin: testOrigin(3), unit: "01001", time: ManualClock())
        #expect(try replica.counts().records == 0)
        #expect(try Self.applied(path) == SchemaMigrations.replica)
    }
}

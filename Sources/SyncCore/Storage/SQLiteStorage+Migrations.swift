import Foundation
import GRDB

/// The replica's schema through GRDB's `DatabaseMigrator`: one migration per schema change,
/// each in its own transaction and recorded in `grdb_migrations` (identifiers in
/// `SchemaMigrations`). Releases before the migrator kept only `PRAGMA user_version` (1–4);
/// the first migration maps those files onto it.
extension SQLiteStorage {
    /// The replica's migrations; `protecting` is the row a new protected file is created with.
    static func migrator(protecting: StoredProtection?) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(SchemaMigrations.replicaSchema4) { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            switch version {
            case 0: try createSchema4(db, protecting: protecting)
            case 1:
                try migrateFrom1(db)
                try migrateFrom2(db)
                try migrateFrom3(db)
            case 2:
                try migrateFrom2(db)
                try migrateFrom3(db)
            case 3: try migrateFrom3(db)
            // 4: made by release 0.4.0, which had the same tables: the migration is recorded only.
            default: break
            }
        }
        migrator.registerMigration(SchemaMigrations.logDots) { db in
            try db.execute(sql: logDotsTable + "PRAGMA user_version = 5;")
        }
        migrator.registerMigration(SchemaMigrations.recordsBorn) { db in
            // Every record a file holds already stores its state: `born` starts NULL.
            try db.execute(sql: "ALTER TABLE records ADD COLUMN born INTEGER; PRAGMA user_version = 6;")
        }
        return migrator
    }

    /// Creates the schema of a new file (with `protecting`'s row when it is to be protected),
    /// or brings an older one up to this release. A file made concurrently by another process
    /// since `inspect` saw none is refused when this call meant to protect it.
    func migrate(protecting: StoredProtection?) throws {
        try Self.mapping(path: path, operation: "create schema") {
            try Self.migrator(protecting: protecting).migrate(writer)
            guard let protecting else { return }
            let salt = try writer.read { db in
                try Data.fetchOne(db, sql: "SELECT salt FROM protection WHERE singleton = 1")
            }
            guard salt == Data(protecting.salt) else {
                throw StoreError(
                    .alreadyInitialized, path: path, operation: "init", detail: "a replica exists already")
            }
        }
    }

    /// Runs `body` with GRDB's errors turned into `StoreError`s on this file (for the hub's
    /// migrations and other callers outside this module).
    package func mapping<T>(operation: String, _ body: () throws -> T) throws -> T {
        try Self.mapping(path: path, operation: operation, body)
    }

    /// The migrations `db` records that this program does not know (a later release's).
    /// Why a Tre file's tables do not match what it says of them, or nil when they do: a
    /// `grdb_migrations` table of another shape than GRDB's, or a `user_version` other than the
    /// schema its tables show (6: `records.born`; 5: `log_dots`; 4: `protection`; 3: `set_aside`; 2: `records.history`;
    /// else 1).
    /// Checked before the migrator runs, so such a file is refused unchanged instead of being
    /// half-migrated with SQLite's message.
    static func schemaMismatch(_ db: Database, version: Int) throws -> String? {
        let advice = "restore a backup, or ask whoever changed the file with another program"
        if try db.tableExists("grdb_migrations") {
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(grdb_migrations)").map { $0["name"] as String }
            guard columns == ["identifier"] else {
                return "this file's schema does not match its version: its grdb_migrations table has columns "
                    + "(\(columns.prefix(8).map(terminalSafeIdentifier).joined(separator: ", "))) instead of "
                    + "(identifier), so it was changed by another program; \(advice)"
            }
        }
        let shown: Int
        if try db.tableExists("records"), try db.columns(in: "records").contains(where: { $0.name == "born" }) {
            shown = 6
        } else if try db.tableExists("log_dots") {
            shown = 5
        } else if try db.tableExists("protection") {
            shown = 4
        } else if try db.tableExists("set_aside") {
            shown = 3
        } else if try db.tableExists("records"), try db.columns(in: "records").contains(where: { $0.name == "history" })
        {
            shown = 2
        } else {
            shown = 1
        }
        guard version != shown else { return nil }
        return "this file's schema does not match its version: user_version says \(version) but its tables are "
            + "schema \(shown), so it was changed by another program; \(advice)"
    }

    static func unknownMigrations(_ db: Database) throws -> [String] {
        guard try db.tableExists("grdb_migrations") else { return [] }
        let known = SchemaMigrations.known
        return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            .filter { !known.contains($0) }
    }

    /// True when `grdb_migrations` is the only table and it is empty: a new file whose first
    /// migration failed (GRDB creates the table before the migration's transaction).
    static func onlyEmptyMigrationTable(_ db: Database, tables: [String]) throws -> Bool {
        guard tables == ["grdb_migrations"] else { return false }
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations") == 0
    }

    private static func createSchema4(_ db: Database, protecting: StoredProtection?) throws {
        try db.execute(
            sql: """
                PRAGMA application_id = \(applicationID);
                CREATE TABLE replica (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    origin BLOB NOT NULL,
                    counter INTEGER NOT NULL,
                    clock_wall INTEGER NOT NULL,
                    clock_logical INTEGER NOT NULL,
                    unit TEXT NOT NULL,
                    name TEXT NOT NULL
                );
                CREATE TABLE records (
                    collection TEXT NOT NULL,
                    id BLOB NOT NULL,
                    unit TEXT,
                    deleted INTEGER NOT NULL,
                    conflicted INTEGER NOT NULL,
                    state BLOB NOT NULL,
                    history BLOB NOT NULL,
                    PRIMARY KEY (collection, id)
                );
                CREATE INDEX records_conflicted ON records (collection, id) WHERE conflicted;
                CREATE TABLE log (
                    sequence INTEGER PRIMARY KEY,
                    origin BLOB NOT NULL,
                    collection TEXT NOT NULL,
                    record BLOB NOT NULL,
                    unit TEXT NOT NULL,
                    previous_unit TEXT,
                    via BLOB,
                    change BLOB NOT NULL
                );
                CREATE TABLE settings (
                    name TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                );
                CREATE TABLE parked (
                    origin BLOB NOT NULL,
                    counter INTEGER NOT NULL,
                    collection TEXT NOT NULL,
                    record BLOB NOT NULL,
                    change BLOB NOT NULL,
                    via BLOB,
                    PRIMARY KEY (origin, counter)
                ) WITHOUT ROWID;
                CREATE INDEX parked_record ON parked (collection, record);
                \(setAsideTable)
                \(protectionTable)
                PRAGMA user_version = 4;
                """)
        if let protecting {
            try db.execute(
                sql: """
                    INSERT INTO protection (singleton, method, salt, log2_n, r, p, check_value)
                    VALUES (1, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    protecting.method.rawValue, Data(protecting.salt), protecting.scrypt?.log2N,
                    protecting.scrypt?.r, protecting.scrypt?.p, Data(protecting.check),
                ])
        }
    }

    /// Schema 1 indexed the log by record; schema 2 keeps each record's log sequences in its
    /// row. Fills `history` from the log and drops the index.
    private static func migrateFrom1(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE records ADD COLUMN history BLOB NOT NULL DEFAULT x''")
        var sequences: [RecordKey: [UInt64]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT sequence, collection, record FROM log ORDER BY sequence")
        while let row = try rows.next() {
            let id: Data = row[2]
            guard id.count == 16 else { continue }
            let sequence: Int64 = row[0]
            sequences[RecordKey(collection: row[1], id: RecordID(UUID128(bytes: id))), default: []].append(
                UInt64(sequence))
        }
        for (key, list) in sequences {
            try db.execute(
                sql: "UPDATE records SET history = ? WHERE collection = ? AND id = ?",
                arguments: [Data(try Access.encodeHistory(list, after: [])), key.collection, Data(key.id.uuid.bytes)])
        }
        try db.execute(sql: "DROP INDEX IF EXISTS log_record; PRAGMA user_version = 2")
    }

    /// Schema 5: which log entry holds each change a peer pushed of its own, by dot, for the
    /// records a push names by reference (`RecordReferences`). Empty for changes logged before
    /// it (a reference to one is answered `unknown_reference`, and the peer names it by id).
    static let logDotsTable = """
        CREATE TABLE log_dots (
            origin BLOB NOT NULL,
            counter INTEGER NOT NULL,
            sequence INTEGER NOT NULL,
            PRIMARY KEY (origin, counter)
        ) WITHOUT ROWID;

        """

    static let setAsideTable = """
        CREATE TABLE set_aside (
            origin BLOB NOT NULL,
            counter INTEGER NOT NULL,
            collection TEXT NOT NULL,
            record BLOB NOT NULL,
            change BLOB NOT NULL,
            via BLOB,
            code TEXT NOT NULL,
            detail TEXT NOT NULL,
            at INTEGER NOT NULL,
            PRIMARY KEY (origin, counter)
        ) WITHOUT ROWID;
        CREATE INDEX set_aside_record ON set_aside (collection, record);
        CREATE INDEX set_aside_via ON set_aside (via);
        """

    /// Schema 3 keeps the sender of a parked change and the changes a gate refused.
    private static func migrateFrom2(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE parked ADD COLUMN via BLOB;
                \(setAsideTable)
                PRAGMA user_version = 3;
                """)
    }

    /// How a protected replica's key is derived, and a value sealed with it (`StoredProtection`).
    /// An unprotected replica has the table, empty.
    static let protectionTable = """
        CREATE TABLE protection (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            method TEXT NOT NULL,
            salt BLOB NOT NULL,
            log2_n INTEGER,
            r INTEGER,
            p INTEGER,
            check_value BLOB NOT NULL
        );
        """

    /// Schema 4 has the `protection` table; a replica made before it is unprotected.
    private static func migrateFrom3(_ db: Database) throws {
        try db.execute(sql: "\(protectionTable) PRAGMA user_version = 4;")
    }
}

import Domain
import Foundation
import GRDB
import PostgresStore
import SyncClient
import SyncCore
import Synchronization

/// A hub's own tables, beside the replica's in the same SQLite file: the administrative units
/// it serves, the peers (nodes and lower hubs) it enrolled, one-time enrolment codes, and an
/// append-only record of enrolments and revocations. Only `tre-hub init` creates them
/// (`create`); `open` refuses a file without them, so a hub's command never turns a node's
/// replica into a hub's.
final class HubStore: Sendable {
    /// When nonces were last swept (in memory: a sweep after a restart is harmless).
    let lastSweep = Mutex<UInt64>(0)

    struct Unit: Hashable, Sendable {
        let code: String
        let name: String
        let level: String
        let parentCode: String?
    }

    /// What a peer is: a commune's node, or a lower hub that relays others' changes.
    enum Kind: String, Sendable, CaseIterable {
        case node
        case hub
    }

    struct Peer: Hashable, Sendable {
        let origin: OriginID
        let unit: String
        /// "node" or "hub": a hub relays others' changes.
        let kind: String
        let name: String
        let key: PeerKey
        /// When the hub's operator revoked this peer (Unix milliseconds); nil while active.
        var revokedAt: UInt64? = nil
    }

    let replica: Replica
    /// The file, or the PostgreSQL store's address (without its password).
    let path: String
    /// The hub's SQLite file, or nil when it is on PostgreSQL (`postgres`). Every method that
    /// reads the hub's own tables asks `postgres` first (`HubStore+Postgres.swift`); the
    /// SQLite code below it reads `writer` and `storage`, which exist only for a file.
    let sqlite: SQLiteStorage?
    /// The hub on a PostgreSQL server: the same tables, with the same protection at rest.
    let postgres: PostgresStorage?

    /// The SQLite file's connections (a hub on SQLite only).
    var writer: any DatabaseWriter { sqlite!.writer }
    /// Seals the peers' keys when the hub is protected (`SQLiteStorage.sealText`; a hub on
    /// SQLite only).
    var storage: SQLiteStorage { sqlite! }

    /// Over a file whose hub tables exist (`create` made them, `open` checked them); tests use it
    /// to put a replica over wrapped storage.
    init(replica: Replica, storage: SQLiteStorage) {
        self.replica = replica
        self.path = storage.path
        self.sqlite = storage
        self.postgres = nil
    }

    /// Over a PostgreSQL store (its tables are made with the replica's, `PostgresStorage`).
    init(replica: Replica, postgres: PostgresStorage) {
        self.replica = replica
        self.path = postgres.address.description
        self.sqlite = nil
        self.postgres = postgres
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS hub_units (
            code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent_code TEXT
        );
        CREATE INDEX IF NOT EXISTS hub_units_parent ON hub_units (parent_code);
        CREATE TABLE IF NOT EXISTS hub_peers (
            origin BLOB PRIMARY KEY, unit TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
            key TEXT NOT NULL, enrolled_at INTEGER NOT NULL, last_seen INTEGER, revoked_at INTEGER
        );
        CREATE TABLE IF NOT EXISTS hub_enrolments (
            code_hash TEXT PRIMARY KEY, unit TEXT NOT NULL, created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL, used_by BLOB, kind TEXT NOT NULL DEFAULT 'node', revoked_at INTEGER
        );
        CREATE TABLE IF NOT EXISTS hub_nonces (
            nonce TEXT PRIMARY KEY, origin BLOB NOT NULL, seen_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS hub_events (
            sequence INTEGER PRIMARY KEY, at INTEGER NOT NULL, event TEXT NOT NULL, origin BLOB, unit TEXT,
            detail TEXT NOT NULL
        );
        """

    /// Columns added since the first release, with their definitions: a hub file made by it
    /// (its tables without these, and no role marker) gains them when opened.
    static let addedColumns: [(table: String, column: String, definition: String)] = [
        ("hub_peers", "revoked_at", "INTEGER"),
        // Codes of the first release were not bound to a kind; they were made for nodes by default.
        ("hub_enrolments", "kind", "TEXT NOT NULL DEFAULT 'node'"),
        ("hub_enrolments", "revoked_at", "INTEGER"),
    ]

    /// Makes the hub's tables in a new replica's file and marks the file as a hub's, in one
    /// transaction (the hub's first migration): what `tre-hub init` does, and the only place a
    /// file becomes a hub's.
    static func create(replica: Replica, storage: SQLiteStorage) throws -> HubStore {
        try migrator.migrate(storage.writer)
        return HubStore(replica: replica, storage: storage)
    }

    /// Marks a new PostgreSQL store as a hub's (its tables were made with the replica's).
    static func create(replica: Replica, postgres: PostgresStorage) throws -> HubStore {
        try replica.setSetting(ReplicaRole.setting, ReplicaRole.hub.rawValue)
        return HubStore(replica: replica, postgres: postgres)
    }

    /// Opens the hub on a PostgreSQL store opened (and unlocked) by the caller.
    static func open(postgres: PostgresStorage, time: any TimeSource = SystemTimeSource()) throws -> HubStore {
        HubStore(replica: try Replica(storage: postgres, time: time), postgres: postgres)
    }

    /// Opens the hub at `path`. A node's replica is refused before anything is written to it;
    /// a hub made by an earlier release gains what it lacks (`migrator`).
    static func open(path: String, time: any TimeSource = SystemTimeSource()) throws -> HubStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(
                .notInitialized, path: path, operation: "open hub", detail: "there is no hub database here")
        }
        return try open(storage: try SQLiteStorage(path: path, role: .hub), time: time)
    }

    /// Opens the hub in `storage`, a hub's file opened (and unlocked, when protected) by the caller.
    static func open(storage: SQLiteStorage, time: any TimeSource = SystemTimeSource()) throws -> HubStore {
        let replica = try Replica(storage: storage, time: time)
        try storage.mapping(operation: "migrate hub tables") { try migrator.migrate(storage.writer) }
        return HubStore(replica: replica, storage: storage)
    }

    /// The hub's own tables through GRDB's `DatabaseMigrator`, recorded in `grdb_migrations`
    /// beside the replica's (identifiers in `SchemaMigrations.hub`). The first brings a hub file
    /// of any earlier release to release 0.4.0's tables: the first release's lacked the
    /// revocation columns, the codes' kind, the nonces, the events and the role marker.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(SchemaMigrations.hubTables) { db in
            for added in addedColumns {
                guard try db.tableExists(added.table),
                    try !db.columns(in: added.table).contains(where: { $0.name == added.column })
                else { continue }
                try db.execute(sql: "ALTER TABLE \(added.table) ADD COLUMN \(added.column) \(added.definition)")
            }
            try db.execute(sql: schema)
            try db.execute(
                sql: "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
                arguments: [ReplicaRole.setting, ReplicaRole.hub.rawValue])
        }
        return migrator
    }()

    /// Appends to the hub's record of enrolments and revocations (never values of records).
    func event(_ db: Database, _ event: String, origin: OriginID?, unit: String?, detail: String, at: UInt64)
        throws
    {
        try db.execute(
            sql: "INSERT INTO hub_events (at, event, origin, unit, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [Int64(at), event, origin.map { Data($0.uuid.bytes) }, unit, detail])
    }

    struct Event: Sendable {
        let at: UInt64
        let event: String
        let origin: OriginID?
        let unit: String?
        let detail: String
    }

    func events() throws -> [Event] {
        if let postgres { return try postgresEvents(postgres) }
        return try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT at, event, origin, unit, detail FROM hub_events ORDER BY sequence").map {
                let origin: Data? = $0["origin"]
                let at: Int64 = $0["at"]
                return Event(
                    at: UInt64(at), event: $0["event"],
                    origin: origin.flatMap { $0.count == 16 ? OriginID(UUID128(bytes: $0)) : nil }, unit: $0["unit"],
                    detail: $0["detail"])
            }
        }
    }

    // MARK: Units

    func importUnits(_ units: [Unit]) throws -> Int {
        if let postgres { return try postgresImport(units, postgres) }
        return try writer.write { db in
            for unit in units {
                try db.execute(
                    sql: """
                        INSERT INTO hub_units (code, name, level, parent_code) VALUES (?, ?, ?, ?)
                        ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,
                            parent_code = excluded.parent_code
                        """, arguments: [unit.code, unit.name, unit.level, unit.parentCode])
            }
            return units.count
        }
    }

    func unit(_ code: String) throws -> Unit? {
        if let postgres { return try postgresUnit(code, postgres) }
        return try writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT code, name, level, parent_code FROM hub_units WHERE code = ?", arguments: [code]
            )
            .map { Unit(code: $0[0], name: $0[1], level: $0[2], parentCode: $0[3]) }
        }
    }

    /// The unit and every unit below it, by the imported hierarchy (any depth, no fixed levels).
    func subtree(of code: String) throws -> Set<String> {
        if let postgres { return try postgresSubtree(of: code, postgres) }
        return try writer.read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        WITH RECURSIVE below(code) AS (
                            SELECT ? UNION SELECT hub_units.code FROM hub_units JOIN below ON hub_units.parent_code = below.code
                        ) SELECT code FROM below
                        """, arguments: [code]))
        }
    }

    /// Every unit, by code.
    func units() throws -> [Unit] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT code, name, level, parent_code FROM hub_units ORDER BY code")
                .map { Unit(code: $0[0], name: $0[1], level: $0[2], parentCode: $0[3]) }
        }
    }

    func unitCount() throws -> Int {
        if let postgres { return try postgresUnitCount(postgres) }
        return try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM hub_units") ?? 0 }
    }
}

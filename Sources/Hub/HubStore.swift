import Foundation
import GRDB
import SyncCore

/// A hub's own tables, beside the replica's in the same SQLite file: the administrative units
/// it serves, the peers (nodes and lower hubs) it enrolled, and one-time enrolment codes. Only
/// `tre-hub init` creates them (`create`); `open` refuses a file without them, so a hub's
/// command never turns a node's replica into a hub's.
final class HubStore: Sendable {
    struct Unit: Hashable, Sendable {
        let code: String
        let name: String
        let level: String
        let parentCode: String?
    }

    struct Peer: Hashable, Sendable {
        let origin: OriginID
        let unit: String
        /// "node" or "hub": a hub relays others' changes.
        let kind: String
        let name: String
        let key: PeerKey
    }

    let replica: Replica
    let writer: any DatabaseWriter
    let path: String

    private init(replica: Replica, storage: SQLiteStorage) {
        self.replica = replica
        self.writer = storage.writer
        self.path = storage.path
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS hub_units (
            code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent_code TEXT
        );
        CREATE INDEX IF NOT EXISTS hub_units_parent ON hub_units (parent_code);
        CREATE TABLE IF NOT EXISTS hub_peers (
            origin BLOB PRIMARY KEY, unit TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
            key TEXT NOT NULL, enrolled_at INTEGER NOT NULL, last_seen INTEGER
        );
        CREATE TABLE IF NOT EXISTS hub_enrolments (
            code_hash TEXT PRIMARY KEY, unit TEXT NOT NULL, created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL, used_by BLOB
        );
        """

    /// Makes the hub's tables in a new replica's file and marks the file as a hub's, in one
    /// transaction: what `tre-hub init` does, and the only place hub tables are created.
    static func create(replica: Replica, storage: SQLiteStorage) throws -> HubStore {
        try storage.writer.write { db in
            try db.execute(sql: schema)
            try db.execute(
                sql: "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
                arguments: [ReplicaRole.setting, ReplicaRole.hub.rawValue])
        }
        return HubStore(replica: replica, storage: storage)
    }

    /// Opens the hub at `path`. A node's replica is refused before anything is written to it;
    /// a hub made by the first release (its tables, no role marker) is marked as a hub's.
    static func open(path: String) throws -> HubStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(
                .notInitialized, path: path, operation: "open hub", detail: "there is no hub database here")
        }
        let storage = try SQLiteStorage(path: path, role: .hub)
        let replica = try Replica(storage: storage, time: SystemTimeSource())
        try upgrade(storage)
        return HubStore(replica: replica, storage: storage)
    }

    /// Brings a hub file's tables up to this release, writing only when something is missing.
    private static func upgrade(_ storage: SQLiteStorage) throws {
        func missing(_ db: Database) throws -> Bool {
            let marker = try String.fetchOne(
                db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [ReplicaRole.setting])
            return try marker != ReplicaRole.hub.rawValue || !db.tableExists("hub_enrolments")
        }
        guard try storage.writer.read(missing) else { return }
        try storage.writer.write { db in
            try db.execute(sql: schema)
            try db.execute(
                sql: "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
                arguments: [ReplicaRole.setting, ReplicaRole.hub.rawValue])
        }
    }

    // MARK: Units

    func importUnits(_ units: [Unit]) throws -> Int {
        try writer.write { db in
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
        try writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT code, name, level, parent_code FROM hub_units WHERE code = ?", arguments: [code]
            )
            .map { Unit(code: $0[0], name: $0[1], level: $0[2], parentCode: $0[3]) }
        }
    }

    /// The unit and every unit below it, by the imported hierarchy (any depth, no fixed levels).
    func subtree(of code: String) throws -> Set<String> {
        try writer.read { db in
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

    func unitCount() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM hub_units") ?? 0 }
    }

    // MARK: Enrolment

    /// A new one-time code for `unit`, valid for `days`. Only its hash is stored.
    func createEnrolment(unit: String, days: Int, now: UInt64) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
        let groups = (0..<4).map { _ in
            String((0..<4).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        }
        let code = groups.joined(separator: "-")
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO hub_enrolments (code_hash, unit, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [Self.hash(code), unit, Int64(now), Int64(now + UInt64(days) * 86_400_000)])
        }
        return code
    }

    static func hash(_ code: String) -> String {
        sha256Hex(Array(code.uppercased().filter { $0 != "-" && $0 != " " }.utf8))
    }

    enum EnrolmentFailure: Error {
        case unknownCode, usedCode, expiredCode, originTaken
    }

    /// Uses a code: records the peer with a fresh key, in one transaction.
    func enrol(code: String, origin: OriginID, kind: String, name: String, now: UInt64) throws -> Result<
        Peer, EnrolmentFailure
    > {
        try writer.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT unit, expires_at, used_by FROM hub_enrolments WHERE code_hash = ?",
                    arguments: [Self.hash(code)])
            else { return .failure(.unknownCode) }
            let usedBy: Data? = row["used_by"]
            guard usedBy == nil else { return .failure(.usedCode) }
            let expires: Int64 = row["expires_at"]
            guard UInt64(expires) > now else { return .failure(.expiredCode) }
            if try Row.fetchOne(
                db, sql: "SELECT 1 FROM hub_peers WHERE origin = ?", arguments: [Data(origin.uuid.bytes)]) != nil
                || origin == replica.origin
            {
                return .failure(.originTaken)
            }
            let peer = Peer(origin: origin, unit: row["unit"], kind: kind, name: name, key: .random())
            try db.execute(
                sql: "INSERT INTO hub_peers (origin, unit, kind, name, key, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [Data(origin.uuid.bytes), peer.unit, kind, name, peer.key.hex, Int64(now)])
            try db.execute(
                sql: "UPDATE hub_enrolments SET used_by = ? WHERE code_hash = ?",
                arguments: [Data(origin.uuid.bytes), Self.hash(code)])
            return .success(peer)
        }
    }

    func peer(_ origin: OriginID) throws -> Peer? {
        try writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT unit, kind, name, key FROM hub_peers WHERE origin = ?",
                arguments: [Data(origin.uuid.bytes)]
            ).flatMap { row in
                PeerKey(hex: row["key"]).map {
                    Peer(origin: origin, unit: row["unit"], kind: row["kind"], name: row["name"], key: $0)
                }
            }
        }
    }

    func peers() throws -> [(Peer, lastSeen: UInt64?)] {
        try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT origin, unit, kind, name, key, last_seen FROM hub_peers ORDER BY unit, name"
            )
            .compactMap { row in
                let origin: Data = row["origin"]
                guard origin.count == 16, let key = PeerKey(hex: row["key"]) else { return nil }
                let seen: Int64? = row["last_seen"]
                return (
                    Peer(
                        origin: OriginID(UUID128(bytes: origin)), unit: row["unit"], kind: row["kind"],
                        name: row["name"], key: key),
                    seen.map { UInt64($0) }
                )
            }
        }
    }

    func markSeen(_ origin: OriginID, now: UInt64) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE hub_peers SET last_seen = ? WHERE origin = ?",
                arguments: [Int64(now), Data(origin.uuid.bytes)])
        }
    }
}

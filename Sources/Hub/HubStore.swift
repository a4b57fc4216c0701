import Foundation
import GRDB
import SyncCore
import Synchronization

/// A hub's own tables, beside the replica's in the same SQLite file: the administrative units
/// it serves, the peers (nodes and lower hubs) it enrolled, and one-time enrolment codes.
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

    init(replica: Replica, storage: SQLiteStorage) throws {
        self.replica = replica
        self.writer = storage.writer
        self.path = storage.path
        try writer.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS hub_units (
                        code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent_code TEXT
                    );
                    CREATE INDEX IF NOT EXISTS hub_units_parent ON hub_units (parent_code);
                    CREATE TABLE IF NOT EXISTS hub_peers (
                        origin BLOB PRIMARY KEY, unit TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
                        key TEXT NOT NULL, enrolled_at INTEGER NOT NULL, last_seen INTEGER
                    );
                    CREATE TABLE IF NOT EXISTS hub_nonces (
                        nonce TEXT PRIMARY KEY, origin BLOB NOT NULL, seen_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS hub_enrolments (
                        code_hash TEXT PRIMARY KEY, unit TEXT NOT NULL, created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL, used_by BLOB
                    );
                    """)
        }
    }

    /// Opens the hub at `path`: its replica and its tables.
    static func open(path: String) throws -> HubStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(
                .notInitialized, path: path, operation: "open hub", detail: "there is no hub database here")
        }
        let storage = try SQLiteStorage(path: path)
        return try HubStore(replica: try Replica(storage: storage, time: SystemTimeSource()), storage: storage)
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

    // MARK: Epoch

    static let logEpochSetting = "hub.log_epoch"

    /// A random name for this hub's log, made once; a restore from a backup makes a new one,
    /// so callers whose cursors point into the lost part of the log start again.
    func logEpoch() throws -> String {
        if let epoch = try replica.setting(Self.logEpochSetting) { return epoch }
        return try replica.storage.write { access in
            if let epoch = try access.setting(Self.logEpochSetting) { return epoch }
            let epoch = PeerKey.random().hex.prefix(32)
            try access.setSetting(Self.logEpochSetting, String(epoch))
            return String(epoch)
        }
    }

    // MARK: Authorisation

    /// What `peer` may write: its unit's subtree; a lower hub relays, but never for an origin
    /// enrolled directly here.
    func scope(of peer: Peer, directPeers: Set<OriginID>) throws -> PeerScope {
        PeerScope(
            origin: peer.origin, units: try subtree(of: peer.unit), relays: peer.kind == "hub",
            foreignOrigins: directPeers.subtracting([peer.origin]))
    }

    /// The gate for a push from `peer`: its scope, and the scopes of the senders of changes
    /// parked or set aside here, which a push may release (each is judged for its own sender;
    /// a sender no longer enrolled has no scope, and its changes are set aside).
    func gate(for peer: Peer?, now: UInt64, maximumFutureMillis: UInt64) throws -> PeerGate {
        let direct = Set(try peers().map(\.0.origin))
        var scopes: [OriginID: PeerScope] = [:]
        if let peer { scopes[peer.origin] = try scope(of: peer, directPeers: direct) }
        let senders = try writer.read { db in
            try Data.fetchAll(
                db,
                sql:
                    "SELECT DISTINCT via FROM parked WHERE via IS NOT NULL UNION SELECT DISTINCT via FROM set_aside WHERE via IS NOT NULL"
            )
        }
        for data in senders where data.count == 16 {
            let origin = OriginID(UUID128(bytes: data))
            if scopes[origin] == nil, let sender = try self.peer(origin) {
                scopes[origin] = try scope(of: sender, directPeers: direct)
            }
        }
        return PeerGate(receiver: replica.origin, nowMillis: now, maximumFutureMillis: maximumFutureMillis) { via in
            via.flatMap { scopes[$0] }
        }
    }

    /// When nonces were last swept (in memory: a sweep after a restart is harmless).
    private let lastSweep = Mutex<UInt64>(0)

    /// Records a request's nonce and the peer's last contact, in one transaction. False when
    /// the nonce was already used: a replay, refused even after a restart. Nonces older than
    /// twice the allowed clock skew are dropped (a request that old is refused for its time).
    func admit(nonce: String, from origin: OriginID, now: UInt64) throws -> Bool {
        let horizon = now > 2 * RequestSignature.maximumSkewMillis ? now - 2 * RequestSignature.maximumSkewMillis : 0
        let sweep = lastSweep.withLock { last in
            guard now > last + 600_000 else { return false }
            last = now
            return true
        }
        return try writer.write { db in
            if sweep {
                try db.execute(sql: "DELETE FROM hub_nonces WHERE seen_at < ?", arguments: [Int64(clamping: horizon)])
            }
            try db.execute(
                sql: "INSERT OR IGNORE INTO hub_nonces (nonce, origin, seen_at) VALUES (?, ?, ?)",
                arguments: [nonce, Data(origin.uuid.bytes), Int64(clamping: now)])
            guard db.changesCount == 1 else { return false }
            try db.execute(
                sql: "UPDATE hub_peers SET last_seen = ? WHERE origin = ?",
                arguments: [Int64(clamping: now), Data(origin.uuid.bytes)])
            return true
        }
    }

}

/// An operator's decision to accept set-aside changes that the write rule refused: they are
/// still admitted like any change (their origin, their time), but no longer judged by scope.
struct OperatorGate: ChangeGate {
    let inner: PeerGate

    init(_ inner: PeerGate) { self.inner = inner }

    func admit(_ change: Change, via: OriginID?) -> AuthorizationError? { inner.admit(change, via: via) }

    func authorize(_ change: Change, via: OriginID?, owners: [String], exists: Bool) -> AuthorizationError? { nil }
}

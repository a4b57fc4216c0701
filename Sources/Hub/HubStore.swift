import Domain
import Foundation
import GRDB
import SyncClient
import SyncCore
import Synchronization

/// A hub's own tables, beside the replica's in the same SQLite file: the administrative units
/// it serves, the peers (nodes and lower hubs) it enrolled, one-time enrolment codes, and an
/// append-only record of enrolments and revocations. Only `tre-hub init` creates them
/// (`create`); `open` refuses a file without them, so a hub's command never turns a node's
/// replica into a hub's.
final class HubStore: Sendable {
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
    let writer: any DatabaseWriter
    let path: String
    /// Seals the peers' keys when the hub is protected (`SQLiteStorage.sealText`).
    let storage: SQLiteStorage

    /// Over a file whose hub tables exist (`create` made them, `open` checked them); tests use it
    /// to put a replica over wrapped storage.
    init(replica: Replica, storage: SQLiteStorage) {
        self.replica = replica
        self.writer = storage.writer
        self.path = storage.path
        self.storage = storage
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
    /// a hub made by the first release (its tables, no role marker) gains what it lacks.
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
        try upgrade(storage)
        return HubStore(replica: replica, storage: storage)
    }

    /// Brings a hub file's tables up to this release, writing only when something is missing.
    private static func upgrade(_ storage: SQLiteStorage) throws {
        func missing(_ db: Database) throws -> Bool {
            let marker = try String.fetchOne(
                db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [ReplicaRole.setting])
            if try marker != ReplicaRole.hub.rawValue || !db.tableExists("hub_events") || !db.tableExists("hub_nonces")
            {
                return true
            }
            for added in addedColumns {
                guard try db.tableExists(added.table),
                    try db.columns(in: added.table).contains(where: { $0.name == added.column })
                else { return true }
            }
            return false
        }
        guard try storage.writer.read(missing) else { return }
        try storage.writer.write { db in
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
    }

    /// Appends to the hub's record of enrolments and revocations (never values of records).
    private func event(_ db: Database, _ event: String, origin: OriginID?, unit: String?, detail: String, at: UInt64)
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
        try writer.read { db in
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

    /// A pending one-time code as `enroll list` shows it: never the code, only an id made
    /// from the stored hash.
    struct Enrolment: Hashable, Sendable {
        let id: String
        let unit: String
        let kind: String
        let createdAt: UInt64
        let expiresAt: UInt64
    }

    /// The id `enroll list` shows for a code: the start of its stored hash.
    static func enrolmentID(hash: String) -> String { String(hash.prefix(10)) }

    /// A new one-time code for a `kind` of peer of `unit`, valid for `hours`. Only its hash is
    /// stored.
    func createEnrolment(unit: String, kind: Kind, hours: Int, now: UInt64) throws -> (code: String, id: String) {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
        let groups = (0..<4).map { _ in
            String((0..<4).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        }
        let code = groups.joined(separator: "-")
        let hash = Self.hash(code)
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO hub_enrolments (code_hash, unit, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [hash, unit, kind.rawValue, Int64(now), Int64(now + UInt64(hours) * 3_600_000)])
            try event(
                db, "code_created", origin: nil, unit: unit,
                detail: "code \(Self.enrolmentID(hash: hash)) for a \(kind.rawValue), \(hours) h", at: now)
        }
        return (code, Self.enrolmentID(hash: hash))
    }

    static func hash(_ code: String) -> String {
        sha256Hex(Array(code.uppercased().filter { $0 != "-" && $0 != " " }.utf8))
    }

    /// Codes not used, revoked or expired, oldest first.
    func pendingEnrolments(now: UInt64) throws -> [Enrolment] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT code_hash, unit, kind, created_at, expires_at FROM hub_enrolments
                    WHERE used_by IS NULL AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at, code_hash
                    """, arguments: [Int64(now)]
            ).map(Self.enrolment)
        }
    }

    private static func enrolment(_ row: Row) -> Enrolment {
        let created: Int64 = row["created_at"]
        let expires: Int64 = row["expires_at"]
        return Enrolment(
            id: enrolmentID(hash: row["code_hash"]), unit: row["unit"], kind: row["kind"], createdAt: UInt64(created),
            expiresAt: UInt64(expires))
    }

    enum CodeRevocation: Equatable {
        case revoked(Enrolment)
        case alreadyRevoked(Enrolment)
        case used(Enrolment, by: OriginID?)
        case notFound
        case ambiguous(count: Int)
    }

    /// Revokes the code whose id starts with `id` (at least 4 hexadecimal digits, one code only).
    func revokeEnrolment(id: String, now: UInt64) throws -> CodeRevocation {
        let prefix = id.lowercased()
        guard prefix.count >= 4, prefix.count <= 64, prefix.allSatisfy(\.isHexDigit) else { return .notFound }
        return try writer.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT code_hash, unit, kind, created_at, expires_at, used_by, revoked_at FROM hub_enrolments
                    WHERE substr(code_hash, 1, ?) = ?
                    """, arguments: [prefix.count, prefix])
            guard rows.count == 1, let row = rows.first else {
                return rows.isEmpty ? .notFound : .ambiguous(count: rows.count)
            }
            let enrolment = Self.enrolment(row)
            let usedBy: Data? = row["used_by"]
            if let usedBy {
                return .used(enrolment, by: usedBy.count == 16 ? OriginID(UUID128(bytes: usedBy)) : nil)
            }
            let revoked: Int64? = row["revoked_at"]
            if revoked != nil { return .alreadyRevoked(enrolment) }
            try db.execute(
                sql: "UPDATE hub_enrolments SET revoked_at = ? WHERE code_hash = ?",
                arguments: [Int64(now), row["code_hash"] as String])
            try event(
                db, "code_revoked", origin: nil, unit: enrolment.unit,
                detail: "code \(enrolment.id) for a \(enrolment.kind)", at: now)
            return .revoked(enrolment)
        }
    }

    enum EnrolmentFailure: Error, Equatable {
        case unknownCode, usedCode, expiredCode, revokedCode
        /// The code is for the other kind of peer: `codeKind`.
        case wrongKind(codeKind: String)
        /// The caller expected another unit than the code's.
        case wrongUnit(codeUnit: String)
    }

    /// Uses a code: records the peer, with an origin the hub makes (UUIDv7) and a fresh key, in
    /// one transaction. A code of another kind or unit than the caller's is refused and stays
    /// unused.
    /// `assigning` is for tests only, which need replayable origins; the protocol never passes
    /// one (the hub makes a fresh UUIDv7).
    func enrol(
        code: String, kind: Kind, name: String, expectedUnit: String?, now: UInt64, assigning: OriginID? = nil
    ) throws -> Result<Peer, EnrolmentFailure> {
        try writer.write { db in
            let hash = Self.hash(code)
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT unit, kind, expires_at, used_by, revoked_at FROM hub_enrolments WHERE code_hash = ?",
                    arguments: [hash])
            else { return .failure(.unknownCode) }
            let revoked: Int64? = row["revoked_at"]
            guard revoked == nil else { return .failure(.revokedCode) }
            let usedBy: Data? = row["used_by"]
            guard usedBy == nil else { return .failure(.usedCode) }
            let expires: Int64 = row["expires_at"]
            guard expires > Int64(now) else { return .failure(.expiredCode) }
            let codeKind: String = row["kind"]
            guard codeKind == kind.rawValue else { return .failure(.wrongKind(codeKind: codeKind)) }
            let unit: String = row["unit"]
            if let expectedUnit, expectedUnit != unit { return .failure(.wrongUnit(codeUnit: unit)) }
            var generator = SystemRandomNumberGenerator()
            var origin = assigning ?? OriginID(.version7(unixMillis: now, using: &generator))
            while try origin == replica.origin
                || Row.fetchOne(
                    db, sql: "SELECT 1 FROM hub_peers WHERE origin = ?", arguments: [Data(origin.uuid.bytes)]) != nil
            {
                origin = OriginID(.version7(unixMillis: now, using: &generator))
            }
            let peer = Peer(origin: origin, unit: unit, kind: kind.rawValue, name: name, key: .random())
            try db.execute(
                sql: "INSERT INTO hub_peers (origin, unit, kind, name, key, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    Data(origin.uuid.bytes), unit, kind.rawValue, name,
                    try storage.sealText(peer.key.hex, at: Self.keyPlace(origin)), Int64(now),
                ])
            try db.execute(
                sql: "UPDATE hub_enrolments SET used_by = ? WHERE code_hash = ?",
                arguments: [Data(origin.uuid.bytes), hash])
            try event(
                db, "enrolled", origin: origin, unit: unit,
                detail: "\(kind.rawValue) with code \(Self.enrolmentID(hash: hash))", at: now)
            return .success(peer)
        }
    }

    // MARK: Peers

    private static let peerColumns = "origin, unit, kind, name, key, enrolled_at, last_seen, revoked_at"

    /// A peer as `nodes list` shows it.
    struct PeerRecord: Sendable {
        let peer: Peer
        let enrolledAt: UInt64
        let lastSeen: UInt64?
    }

    /// Where a peer's key is sealed: its row, by origin.
    static func keyPlace(_ origin: OriginID) -> SealedPlace {
        SealedPlace(table: "hub_peers", column: "key", key: origin.uuid.bytes)
    }

    /// A peer's row; nil for a row too damaged to name a peer. A key that does not open (a
    /// protected hub) is an error, never a peer silently skipped.
    private func peerRecord(_ row: Row) throws -> PeerRecord? {
        let origin: Data = row["origin"]
        guard origin.count == 16 else { return nil }
        let originID = OriginID(UUID128(bytes: origin))
        let text = try storage.openText(row["key"], at: Self.keyPlace(originID), what: "key of peer \(originID)")
        guard let key = PeerKey(hex: text) else { return nil }
        let enrolled: Int64 = row["enrolled_at"]
        let seen: Int64? = row["last_seen"]
        let revoked: Int64? = row["revoked_at"]
        return PeerRecord(
            peer: Peer(
                origin: originID, unit: row["unit"], kind: row["kind"], name: row["name"],
                key: key, revokedAt: revoked.map { UInt64($0) }),
            enrolledAt: UInt64(enrolled), lastSeen: seen.map { UInt64($0) })
    }

    func peer(_ origin: OriginID) throws -> Peer? {
        try writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.peerColumns) FROM hub_peers WHERE origin = ?",
                arguments: [Data(origin.uuid.bytes)]
            ).flatMap(self.peerRecord)?.peer
        }
    }

    /// Every peer ever enrolled, revoked ones included (they are kept), by unit then enrolment.
    func peers() throws -> [PeerRecord] {
        try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.peerColumns) FROM hub_peers ORDER BY unit, enrolled_at, origin"
            ).compactMap(self.peerRecord)
        }
    }

    enum PeerRevocation {
        case revoked(PeerRecord)
        case alreadyRevoked(PeerRecord)
        case notFound
        case ambiguous([PeerRecord])
    }

    /// Revokes the peer whose origin is `text` or starts with it (at least 4 hexadecimal
    /// digits, dashes optional, matching one peer only). The peer is kept, marked revoked.
    func revokePeer(_ text: String, now: UInt64) throws -> PeerRevocation {
        let prefix = text.lowercased().filter { $0 != "-" }
        guard prefix.count >= 4, prefix.count <= 32, prefix.allSatisfy(\.isHexDigit) else { return .notFound }
        return try writer.write { db in
            let matches = try Row.fetchAll(db, sql: "SELECT \(Self.peerColumns) FROM hub_peers")
                .compactMap(self.peerRecord)
                .filter { $0.peer.origin.description.filter { $0 != "-" }.hasPrefix(prefix) }
            guard matches.count == 1, let match = matches.first else {
                return matches.isEmpty ? .notFound : .ambiguous(matches)
            }
            if match.peer.revokedAt != nil { return .alreadyRevoked(match) }
            try db.execute(
                sql: "UPDATE hub_peers SET revoked_at = ? WHERE origin = ?",
                arguments: [Int64(now), Data(match.peer.origin.uuid.bytes)])
            try event(
                db, "peer_revoked", origin: match.peer.origin, unit: match.peer.unit, detail: match.peer.kind, at: now)
            var peer = match.peer
            peer.revokedAt = now
            return .revoked(PeerRecord(peer: peer, enrolledAt: match.enrolledAt, lastSeen: match.lastSeen))
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

    /// How many changes from `origin` wait set aside here for an operator.
    func setAsideCount(from origin: OriginID) throws -> Int {
        try writer.read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM set_aside WHERE via = ?", arguments: [Data(origin.uuid.bytes)]) ?? 0
        }
    }

    /// What `peer` may write: its unit's subtree; a lower hub relays, but never for an origin
    /// enrolled directly here.
    func scope(of peer: Peer, directPeers: Set<OriginID>) throws -> PeerScope {
        PeerScope(
            origin: peer.origin, units: try subtree(of: peer.unit), relays: peer.kind == "hub",
            foreignOrigins: directPeers.subtracting([peer.origin]))
    }

    // MARK: Definition versions

    static func definitionSetting(_ origin: OriginID) -> String { "peer.\(origin).definition" }

    /// Keeps `version` as the definition `origin` last declared (a write only when it changed).
    static func recordDefinition(_ version: Int, of origin: OriginID, in access: any StorageAccess) throws {
        let text = String(version)
        if try access.setting(definitionSetting(origin)) != text {
            try access.setSetting(definitionSetting(origin), text)
        }
    }

    /// The definition version `origin` last declared on a request; 1 (what releases that
    /// declared none ran) when it never did. A stored value out of bounds (a damaged file)
    /// counts as 1, the strictest.
    func declaredDefinition(of origin: OriginID) throws -> Int {
        try replica.setting(Self.definitionSetting(origin)).flatMap(Int.init).flatMap {
            DomainDefinition.declarableVersions.contains($0) ? $0 : nil
        } ?? 1
    }

    /// The version this hub declares to the hub above: its own definition's, or the newest one
    /// its peers declared, whichever is newer. It relays their changes, which the newer peers
    /// wrote in their definition (this hub checked them against it, and keeps and relays the
    /// fields it does not know); declaring less would have the hub above refuse those fields.
    func relayedDefinition() throws -> Int {
        let declared = try writer.read { db in
            try String.fetchAll(db, sql: "SELECT value FROM settings WHERE name LIKE 'peer.%.definition'")
        }
        return declared.compactMap(Int.init).filter(DomainDefinition.declarableVersions.contains).reduce(
            DomainDefinition.current.version, max)
    }

    /// The gate for a push from `peer`: its scope, and the scopes of the senders of changes
    /// parked or set aside here, which a push may release (each is judged for its own sender;
    /// a sender no longer enrolled has no scope, and its changes are set aside); and the
    /// definition's check of every value, for the version each sender declared — `peer` on this
    /// request (`definition`; nil: the version it last declared), the others their last.
    func gate(
        for peer: Peer?, declaring definition: Int? = nil, now: UInt64, maximumFutureMillis: UInt64,
        trusting upstream: OriginID? = nil
    ) throws -> HubGate {
        let direct = try writer.read { db in
            Set(
                try Data.fetchAll(db, sql: "SELECT origin FROM hub_peers").filter { $0.count == 16 }.map {
                    OriginID(UUID128(bytes: $0))
                })
        }
        var scopes: [OriginID: PeerScope] = [:]
        if let peer { scopes[peer.origin] = try scope(of: peer, directPeers: direct) }
        let senders = try writer.read { db in
            try Data.fetchAll(
                db,
                sql:
                    "SELECT DISTINCT via FROM parked WHERE via IS NOT NULL UNION SELECT DISTINCT via FROM set_aside WHERE via IS NOT NULL"
            )
        }
        var versions: [OriginID: Int] = [:]
        if let peer { versions[peer.origin] = try definition ?? declaredDefinition(of: peer.origin) }
        for data in senders where data.count == 16 {
            let origin = OriginID(UUID128(bytes: data))
            if scopes[origin] == nil, let sender = try self.peer(origin), sender.revokedAt == nil {
                scopes[origin] = try scope(of: sender, directPeers: direct)
            }
            if versions[origin] == nil { versions[origin] = try declaredDefinition(of: origin) }
        }
        let rule = PeerGate(
            receiver: replica.origin, nowMillis: now, maximumFutureMillis: maximumFutureMillis,
            trusted: upstream.map { [$0] } ?? []
        ) { via in
            via.flatMap { scopes[$0] }
        }
        return HubGate(rule) { via in via.flatMap { versions[$0] } ?? 1 }
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

extension HubStore {
    /// The sync with the hub above: everything not from it goes up; what comes down is applied
    /// as judged there, while the parked changes of this hub's own peers that it makes ready
    /// are judged here, for those peers.
    func syncer(
        to upstream: Upstream, maximumFutureMillis: UInt64 = Authorization.defaultMaximumFutureMillis
    ) throws -> Syncer {
        var syncer = try Syncer(
            replica: replica, upstream: upstream, pushFilter: LogFilter(excludingVia: upstream.hubOrigin),
            dictionary: WireVocabulary.dictionary, definition: try relayedDefinition())
        syncer.pullGate = { [self] in
            try self.gate(
                for: nil, now: self.replica.time.nowMillis(), maximumFutureMillis: maximumFutureMillis,
                trusting: upstream.hubOrigin)
        }
        return syncer
    }
}

/// A hub's gate: the write rule (`PeerGate`), and the definition's check of every value a peer
/// sends, for the definition version it declared.
typealias HubGate = DefinitionGate<PeerGate>

/// An operator's decision to accept set-aside changes that the hub refused: they are still
/// admitted like any change (their origin, their time), but no longer judged by scope nor by
/// the definition — a value the definition refuses is stored as sent, because the operator
/// decided so (`set-aside discard` is the way to drop it; `retry` judges it again, and an
/// invalid value stays invalid).
struct OperatorGate: ChangeGate {
    let inner: PeerGate

    init(_ gate: HubGate) { self.inner = gate.inner }

    func admit(_ change: Change, via: OriginID?) -> AuthorizationError? { inner.admit(change, via: via) }

    func authorize(_ change: Change, via: OriginID?, owners: [String], exists: Bool) -> AuthorizationError? { nil }
}

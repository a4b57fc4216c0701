import Foundation
package import GRDB

/// A replica's storage in one SQLite file through GRDB, in WAL mode with full durability:
/// each write is one transaction covering records, conflicts, parked changes, the log and the
/// replica's counter and clock.
///
/// A protected replica (created with a `ReplicaSecret`) seals every value that holds record
/// fields or a secret — record states, the log's changes, parked and set-aside changes and
/// their reasons, settings (link keys, cursors, errors) — with AES-256-GCM under a key derived
/// from the passphrase (scrypt) or key file, a random nonce per value, and the value's place
/// (table, column, row) as associated data. What SQL needs stays clear: collections, record
/// ids, units, log sequences, origins, counters, flags. The key is never written to the file.
public final class SQLiteStorage: ReplicaStorage {
    /// `PRAGMA application_id` of every Tre replica: "Tre1".
    static let applicationID: Int32 = 0x5472_6531
    /// 2: each record row lists its log entries (`history`) instead of an index of the log by
    /// record, which cost a random page write per change. 3: parked changes keep the peer they
    /// came from, and refused changes are kept in `set_aside`. 4: the `protection` table (empty
    /// for an unprotected replica), so a Tre that cannot open sealed values refuses the file.
    /// Since 0.5.0 the schema changes run through GRDB's migrator (`SQLiteStorage+Migrations`,
    /// identifiers in `SchemaMigrations`); `user_version` still follows them, for the releases
    /// before it, which refuse a file whose `user_version` is above theirs. 5: `log_dots`, the
    /// index of pushed changes by dot. 6: `records.born`, a record held by its creation's entry.
    public static let schemaVersion = 6

    public let path: String
    package let writer: any DatabaseWriter
    let atRest: AtRest
    /// How this replica is protected; nil when it is not.
    public let protection: ProtectionMethod?

    /// Opens (creating if absent) the replica file at `path`. A file that is not a Tre replica,
    /// or (when `role` is given) is a replica of the other role, is refused before anything is
    /// written to it. A new file is created readable by its owner only (0600; SQLite gives its
    /// -wal and -shm files the same mode), and an existing one with a looser mode is tightened.
    ///
    /// `secret` protects a new file, and unlocks an existing protected one (a wrong one is
    /// refused, `.wrongKey`, before anything is written). A protected file opened without it is
    /// locked: identity, counts and backups work, anything sealed throws `.locked`. A secret
    /// given for an existing unprotected file is refused (`.notProtected`): protection is chosen
    /// when a replica is created.
    public convenience init(path: String, role: ReplicaRole? = nil, secret: ReplicaSecret? = nil) throws {
        try self.init(path: path, role: role, secret: secret, scrypt: .standard)
    }

    /// `scrypt` sets the cost of a new passphrase-protected file: tests lower it.
    package init(path: String, role: ReplicaRole?, secret: ReplicaSecret?, scrypt: ScryptParameters) throws {
        self.path = path
        var creating: StoredProtection?
        switch try Self.inspect(path: path, role: role) {
        case .new:
            if let secret {
                let (protection, keys) = try StoredProtection.make(for: secret, scrypt: scrypt, path: path)
                creating = protection
                atRest = .sealed(keys)
            } else {
                atRest = .clear
            }
            protection = secret?.method
        case .existing(nil):
            guard secret == nil else {
                throw StoreError(
                    .notProtected, path: path, operation: "open",
                    detail: "a passphrase or key was given, but this replica is not protected")
            }
            atRest = .clear
            protection = nil
        case .existing(let stored?):
            atRest = try secret.map { .sealed(try stored.unlock(with: $0, path: path)) } ?? .locked(stored.method)
            protection = stored.method
        }
        Self.makePrivate(path: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(15)
        configuration.label = "tre-replica"
        configuration.prepareDatabase { db in
            // Durable commits; checkpoints every 32 MB of WAL rather than SQLite's 4 MB (a hub
            // writes each change twice, as state and as log entry). 8 MB of page cache for each
            // reader rather than SQLite's 2 MB: a report scanning a province's records in id
            // order reads each commune's records and the creations most of them are held by
            // (`records.born`) a page at a time, two pages per commune at once, and with 2 MB those
            // pages were evicted before their next record (report 1.86 -> 1.55 x its SQL, +6 MB).
            try db.execute(
                sql: "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 8192; PRAGMA cache_size = -8192")
        }
        writer = try Self.mapping(path: path, operation: "open") {
            let pool = try DatabasePool(path: path, configuration: configuration)
            // 64 MB of page cache for the writer, so a province's record index stays in memory
            // while merging.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = -65536") }
            return pool
        }
        try migrate(protecting: creating)
    }

    /// How the replica at `path` is protected: nil when it is not (or there is no replica
    /// there). Reads the file without changing it, so a command knows which secret to ask for;
    /// refuses what `init` would (not a replica, or one of another `role`).
    public static func protection(ofReplicaAt path: String, role: ReplicaRole? = nil) throws -> ProtectionMethod? {
        guard case .existing(let protection?) = try inspect(path: path, role: role) else { return nil }
        return protection.method
    }

    /// True when this replica is protected but was opened without its secret.
    public var isLocked: Bool {
        if case .locked = atRest { return true }
        return false
    }

    /// A keyed digest of a search term (`ReplicaStorage.searchToken`): with a protected
    /// replica's own search key, so an index of tokens in the file does not reveal the terms.
    public func searchToken(_ term: String) throws -> [UInt8] {
        switch atRest {
        case .clear: return AtRest.searchToken(term, key: AtRest.clearSearchKey)
        case .sealed(let keys): return AtRest.searchToken(term, key: keys.search)
        case .locked(let method): throw Self.locked(method, path: path, operation: "search")
        }
    }

    /// Seals a text value of a table beside the replica's (a hub's peer keys): base64 of the
    /// sealed bytes when the replica is protected, the text itself when not.
    package func sealText(_ text: String, at place: SealedPlace) throws -> String {
        switch atRest {
        case .clear: return text
        case .sealed(let keys):
            return Data(AtRest.seal(Array(text.utf8), with: keys.sealing, at: place)).base64EncodedString()
        case .locked(let method): throw Self.locked(method, path: path, operation: "seal")
        }
    }

    /// Opens what `sealText` stored; `what` names it in the error when it does not open.
    package func openText(_ stored: String, at place: SealedPlace, what: String) throws -> String {
        switch atRest {
        case .clear:
            return stored
        case .sealed(let keys):
            guard let data = Data(base64Encoded: stored),
                let plaintext = AtRest.open([UInt8](data), with: keys.sealing, at: place)
            else { throw Self.unopenable(what, path: path) }
            return String(decoding: plaintext, as: UTF8.self)
        case .locked(let method):
            throw Self.locked(method, path: path, operation: "read \(what)")
        }
    }

    static func locked(_ method: ProtectionMethod, path: String, operation: String) -> StoreError {
        StoreError(
            .locked, path: path, operation: operation,
            detail: "the replica is protected by \(method) and was opened without it")
    }

    /// A sealed value that does not open although the key is right (the key check opened):
    /// damaged, or moved from another row.
    static func unopenable(_ what: String, path: String) -> StoreError {
        StoreError(
            .corrupt, path: path, operation: "open sealed \(what)",
            detail: "the sealed value does not open: it is damaged or was moved from another row")
    }

    /// A private in-memory SQLite database (no WAL), for tests that need the SQL code paths
    /// without files.
    public init(inMemory: Void) throws {
        path = ":memory:"
        atRest = .clear
        protection = nil
        writer = try DatabaseQueue()
        try migrate(protecting: nil)
    }

    /// Writes a consistent copy of this replica to `destination` while it keeps serving (SQLite's
    /// online backup, in one read transaction), marked as a backup taken at `nowMillis`, so
    /// that it can only become a live replica again through a restore. The copy is written
    /// beside its destination and renamed into place, readable by its owner only.
    public func backup(to destination: String, nowMillis: UInt64) throws {
        let temporary = destination + ".partial"
        try? FileManager.default.removeItem(atPath: temporary)
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600])
        else {
            throw StoreError(
                .cannotOpen, path: destination, operation: "backup", detail: "the backup file cannot be created")
        }
        do {
            try Self.mapping(path: destination, operation: "backup") {
                let copy = try DatabaseQueue(path: temporary)
                try writer.backup(to: copy)
                try copy.write { db in
                    try db.execute(
                        sql:
                            "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                        arguments: [Replica.backupMarker, String(nowMillis)])
                }
                try copy.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
                try copy.close()
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary)
            // rename(2) replaces an earlier backup in one step. (FileManager.replaceItemAt, on
            // Linux, removed the earlier backup and then failed, leaving no backup at all.)
            guard rename(temporary, destination) == 0 else {
                throw StoreError(
                    .io, path: destination, operation: "backup",
                    detail: "the copy cannot be moved into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            if let error = error as? StoreError { throw error }
            throw StoreError(.io, path: destination, operation: "backup", detail: "\(error)")
        }
    }

    public func read<T>(_ body: (any StorageAccess) throws -> T) throws -> T {
        try Self.mapping(path: path, operation: "read") {
            try writer.read { db in try body(Access(db: db, path: path, atRest: atRest)) }
        }
    }

    public func write<T>(_ body: (any StorageAccess) throws -> T) throws -> T {
        try Self.mapping(path: path, operation: "write") {
            try writer.write { db in
                try body(Access(db: db, path: path, atRest: atRest, pending: Access.PendingHistory()))
            }
        }
    }

    /// What `inspect` found: no replica yet (absent, empty, or an SQLite file without tables),
    /// or a replica and its protection (nil when unprotected).
    enum Inspection {
        case new
        case existing(StoredProtection?)
    }

    /// Refuses, without modifying it, a file that is not an SQLite database, that another
    /// program made, that a newer Tre wrote, that is damaged, or that is a replica of another
    /// role than `expected`; reads how it is protected.
    private static func inspect(path: String, role expected: ReplicaRole?) throws -> Inspection {
        guard FileManager.default.fileExists(atPath: path) else { return .new }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError(.cannotOpen, path: path, operation: "open", detail: "the file cannot be read")
        }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if header.isEmpty { return .new }
        guard header == Data("SQLite format 3\0".utf8) else {
            throw StoreError(.notADatabase, path: path, operation: "open", detail: "the file is not an SQLite database")
        }
        // A read-only connection leaves SQLite's -wal and -shm files behind; a read-write one
        // that only reads removes them as it closes, and writes nothing. So when no other
        // connection has them open (they are absent), the file is looked at read-write and a
        // refused file is left exactly as it was; when they exist (another process uses the
        // replica, or one crashed and its log must not be checkpointed here), read-only.
        var configuration = Configuration()
        configuration.readonly = [path + "-wal", path + "-shm"].contains { FileManager.default.fileExists(atPath: $0) }
        return try mapping(path: path, operation: "open") {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let found = try queue.read { db -> Inspection in
                let application = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                let tables = try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name LIMIT 5")
                if application == 0, try tables.isEmpty || onlyEmptyMigrationTable(db, tables: tables) { return .new }
                guard application == applicationID else {
                    let names = tables.isEmpty ? "" : " (its tables: \(tables.joined(separator: ", ")))"
                    throw StoreError(
                        .foreignDatabase, path: path, operation: "open",
                        detail: "the SQLite database was not made by Tre\(names)")
                }
                guard version <= schemaVersion else {
                    throw StoreError(
                        .newerFormat, path: path, operation: "open",
                        detail: "schema version \(version) is newer than this program's \(schemaVersion); "
                            + "install the Tre release that wrote it (or a later one) to open it")
                }
                if let mismatch = try schemaMismatch(db, version: version) {
                    throw StoreError(.corrupt, path: path, operation: "open", detail: mismatch)
                }
                let unknown = try unknownMigrations(db)
                guard unknown.isEmpty else {
                    throw StoreError(
                        .newerFormat, path: path, operation: "open", detail: SchemaMigrations.newerDetail(unknown))
                }
                if let expected, let actual = try role(db), actual != expected.rawValue {
                    throw StoreError(
                        .wrongRole, path: path, operation: "open", detail: wrongRoleDetail(actual, path: path))
                }
                return .existing(try storedProtection(db, path: path))
            }
            try queue.close()
            return found
        }
    }

    /// The `protection` table's row, checked: nil for an unprotected replica (or one made
    /// before the table existed).
    private static func storedProtection(_ db: Database, path: String) throws -> StoredProtection? {
        guard try db.tableExists("protection"),
            let row = try Row.fetchOne(
                db, sql: "SELECT method, salt, log2_n, r, p, check_value FROM protection WHERE singleton = 1")
        else { return nil }
        func damaged(_ detail: String) -> StoreError {
            StoreError(.corrupt, path: path, operation: "read protection", detail: detail)
        }
        guard let method = ProtectionMethod(rawValue: row["method"]) else {
            throw damaged("the protection method is unknown to this program")
        }
        let salt: Data = row["salt"]
        let check: Data = row["check_value"]
        var scrypt: ScryptParameters?
        if method == .passphrase {
            let log2N: Int64 = row["log2_n"]
            let r: Int64 = row["r"]
            let p: Int64 = row["p"]
            let parameters = ScryptParameters(
                log2N: Int(clamping: log2N), r: Int(clamping: r), p: Int(clamping: p))
            guard parameters.isWithinBounds, salt.count == 16 else {
                throw damaged("the key derivation parameters are out of bounds")
            }
            scrypt = parameters
        }
        return StoredProtection(method: method, salt: [UInt8](salt), scrypt: scrypt, check: [UInt8](check))
    }

    /// The role a replica file declares, or the one its tables show for a file made before
    /// the marker existed: a hub's own table makes it a hub's, a replica without it a node's.
    /// A marker this program does not know (a later Tre's role) is returned as it is.
    private static func role(_ db: Database) throws -> String? {
        let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        if tables.contains("settings"),
            let marker = try String.fetchOne(
                db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [ReplicaRole.setting])
        {
            return marker
        }
        if tables.contains(ReplicaRole.legacyHubTable) { return ReplicaRole.hub.rawValue }
        return tables.contains("replica") ? ReplicaRole.node.rawValue : nil
    }

    private static func wrongRoleDetail(_ actual: String, path: String) -> String {
        switch ReplicaRole(rawValue: actual) {
        case .node:
            let folder = (path as NSString).deletingLastPathComponent
            return "this is a commune node's replica, not a hub database; use tre-node with --dir \(folder)"
        case .hub:
            return "this is a hub's database, not a commune node's replica; use tre-hub with --db \(path)"
        case nil:
            return "this replica's role is \"\(actual)\", which this program does not serve"
        }
    }

    /// Creates the file readable by its owner only when it is absent (SQLite then gives its
    /// -wal and -shm files the same mode); takes group and other permissions off an existing
    /// replica made with a looser mode. Failures are left to SQLite's open to report.
    private static func makePrivate(path: String) {
        let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if created >= 0 {
            close(created)
            return
        }
        for file in [path, path + "-wal", path + "-shm"] {
            var status = stat()
            guard stat(file, &status) == 0, status.st_uid == geteuid(), status.st_mode & 0o077 != 0 else { continue }
            _ = chmod(file, status.st_mode & 0o700)
        }
    }

    static func mapping<T>(path: String, operation: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw storeError(error, path: path, operation: operation)
        }
    }

    static func storeError(_ error: DatabaseError, path: String, operation: String) -> StoreError {
        let kind: StoreError.Kind
        switch error.resultCode {
        case .SQLITE_NOTADB: kind = .notADatabase
        case .SQLITE_CORRUPT: kind = .corrupt
        case .SQLITE_BUSY, .SQLITE_LOCKED: kind = .busy
        case .SQLITE_FULL: kind = .full
        case .SQLITE_READONLY: kind = .readOnly
        case .SQLITE_CANTOPEN: kind = .cannotOpen
        case .SQLITE_IOERR: kind = .io
        default: kind = .other
        }
        // The message is SQLite's own; arguments (record values) are not part of it.
        let message = error.message ?? "\(error.resultCode)"
        return StoreError(kind, path: path, operation: operation, detail: "SQLite: \(message)")
    }
}

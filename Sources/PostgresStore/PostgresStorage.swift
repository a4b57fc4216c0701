import Foundation
import Logging
import PostgresNIO
public import SyncCore
import Synchronization

/// A hub's replica on a PostgreSQL server (postgres-nio), for hubs one SQLite file no longer
/// serves: the same `ReplicaStorage` as `SQLiteStorage`, the same tables, the same protection
/// at rest (values sealed with AES-256-GCM under a key derived from the passphrase or key file,
/// bound to their place; the key never written to the server, only how to derive it and a
/// value sealed with it, in `protection`).
///
/// **Several hub processes on one database.** Every write transaction first takes one
/// transaction-level advisory lock (`pg_advisory_xact_lock`, per schema): writers run one at a
/// time across all processes, as SQLite's single writer does, so log sequences are given in
/// commit order — a puller that has seen sequence N has seen every change numbered below N
/// (no "sequence gap": with concurrent writers a change numbered lower could commit after a
/// higher one was read, and be skipped forever by cursors past it). The lock is released only
/// after the commit is visible, and writers run in READ COMMITTED with the lock as their first
/// statement, so each sees every earlier writer's commit. Reads run concurrently in REPEATABLE
/// READ, READ ONLY: one snapshot for the whole read (a log page and the last sequence agree).
/// Serialisable transactions with retries were the alternative; they would let writers on
/// different records overlap, but a push is a batch over many records, the log's tail is one
/// hot spot every writer touches anyway, and a retried push would redo its merge — one writer
/// is simpler to prove and costs little where the merge itself is the work.
///
/// **Bridging a synchronous protocol.** `ReplicaStorage` is synchronous (the engine's merge
/// runs in one transaction body); postgres-nio is asynchronous. Each transaction takes a
/// connection of this store's own (kept idle between transactions), and the calling thread
/// blocks on each statement's future with a semaphore. The connections live on a private
/// event-loop group that runs nothing but these connections' I/O and never blocks, so a
/// future always completes whatever the callers do: blocked callers (the hub's request
/// handlers, on Swift's cooperative pool, as they block on SQLite today) cannot starve the
/// threads that would wake them, and no caller runs on those threads. A transaction never
/// waits for a second connection while holding one (the engine does not nest transactions),
/// so the pool cannot deadlock on itself; it opens connections as needed and keeps at most
/// `maximumIdle` between transactions.
public final class PostgresStorage: ReplicaStorage, CustomStringConvertible {
    /// 1: the replica's tables, the hub's, `protection`, and `tre_schema` (this number).
    /// 2: an index of the records by unit (`PostgresSchema.version2`), for reports' selections.
    /// 3: the index of pushed changes by dot (`PostgresSchema.version3`), for record references.
    public static let schemaVersion = 3
    /// The first key of Tre's advisory locks ("Tre1"); the second is the schema's hash.
    static let lockClass: Int32 = 0x5472_6531

    public let address: PostgresAddress
    package let atRest: AtRest
    public let protection: ProtectionMethod?
    let logger: Logger
    let configuration: PostgresConnection.Configuration
    private let idle = Mutex<[PostgresConnection]>([])
    private let nextID = Atomic<Int>(1)
    static let maximumIdle = 8

    /// One small event-loop group for every PostgreSQL store of the process: its threads run
    /// only the connections' I/O (see the type's comment), never a caller's work.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    public var description: String { address.description }

    /// Opens the Tre store at `address`. `create`: makes a new one (refused, unchanged, when
    /// Tre's tables are there already); otherwise an absent one is `notInitialized` and nothing
    /// is written. A schema holding other tables than Tre's is refused unchanged, as is one a
    /// newer Tre made or one of another `role`. `secret` as for `SQLiteStorage`.
    public convenience init(
        address: PostgresAddress, role: ReplicaRole? = nil, secret: ReplicaSecret? = nil, create: Bool = false
    ) throws {
        try self.init(address: address, role: role, secret: secret, scrypt: .standard, create: create)
    }

    package init(
        address: PostgresAddress, role: ReplicaRole?, secret: ReplicaSecret?, scrypt: ScryptParameters, create: Bool
    ) throws {
        self.address = address
        var logger = Logger(label: "tre-postgres")
        logger.logLevel = .critical
        self.logger = logger
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: .disable)
        if address.requiresTLS {
            do {
                configuration.tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw StoreError(
                    .cannotOpen, path: address.description, operation: "connect",
                    detail: "TLS cannot be set up: \(error)")
            }
        }
        configuration.options.connectTimeout = .seconds(10)
        var parameters = [("application_name", "tre-hub")]
        if let schema = address.schema { parameters.append(("search_path", schema)) }
        configuration.options.additionalStartupParameters = parameters
        self.configuration = configuration
        // Opened before the protection is known: `atRest` is set from what `inspect` reads.
        let found = try Self.inspect(configuration: configuration, address: address, role: role, logger: logger)
        switch found {
        case .new:
            guard create else {
                throw StoreError(
                    .notInitialized, path: address.description, operation: "open",
                    detail: "the database holds no Tre hub; create one with `tre-hub init --store`")
            }
            if let secret {
                let (stored, keys) = try StoredProtection.make(
                    for: secret, scrypt: scrypt, path: address.description)
                atRest = .sealed(keys)
                protection = secret.method
                try Self.createSchema(
                    configuration: configuration, address: address, logger: logger, protecting: stored)
            } else {
                atRest = .clear
                protection = nil
                try Self.createSchema(configuration: configuration, address: address, logger: logger, protecting: nil)
            }
        case .existing(let stored, let version):
            if version < Self.schemaVersion {
                try Self.migrate(from: version, configuration: configuration, address: address, logger: logger)
            }
            if create {
                throw StoreError(
                    .alreadyInitialized, path: address.description, operation: "init",
                    detail: "the database holds a Tre replica already")
            }
            switch (stored, secret) {
            case (nil, nil):
                atRest = .clear
                protection = nil
            case (nil, .some):
                throw StoreError(
                    .notProtected, path: address.description, operation: "open",
                    detail: "a passphrase or key was given, but this replica is not protected")
            case (let stored?, let secret):
                atRest =
                    try secret.map { .sealed(try stored.unlock(with: $0, path: address.description)) }
                    ?? .locked(stored.method)
                protection = stored.method
            }
        }
    }

    deinit {
        for connection in idle.withLock({ $0 }) { Self.dispose(connection) }
    }

    /// Whether the server is a read replica (a hot standby replaying the primary's WAL,
    /// `pg_is_in_recovery()`): it refuses every write, so commands that write ask first.
    public func isReadReplica() throws -> Bool {
        try transaction(writing: false) { session in
            try session.query("SELECT pg_is_in_recovery()").first?[0].decode(Bool.self) ?? false
        }
    }

    public var isLocked: Bool {
        if case .locked = atRest { return true }
        return false
    }

    public func searchToken(_ term: String) throws -> [UInt8] {
        guard let token = atRest.searchToken(term) else { throw lockedError(operation: "search") }
        return token
    }

    func lockedError(operation: String) -> StoreError {
        StoreError(
            .locked, path: address.description, operation: operation,
            detail: "the replica is protected by \(protection.map { "\($0)" } ?? "a secret") and was opened without it")
    }

    /// Seals a text value of a hub table (a peer's key) as `SQLiteStorage.sealText` does.
    package func sealText(_ text: String, at place: SealedPlace) throws -> String {
        guard let sealed = atRest.seal(Array(text.utf8), at: place) else { throw lockedError(operation: "seal") }
        if case .clear = atRest { return text }
        return Data(sealed).base64EncodedString()
    }

    package func openText(_ stored: String, at place: SealedPlace, what: String) throws -> String {
        if case .clear = atRest { return stored }
        guard let data = Data(base64Encoded: stored) else { throw unopenable(what) }
        switch atRest.open([UInt8](data), at: place) {
        case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .failure(.locked): throw lockedError(operation: "read \(what)")
        case .failure(.unopenable): throw unopenable(what)
        }
    }

    func unopenable(_ what: String) -> StoreError {
        StoreError(
            .corrupt, path: address.description, operation: "open sealed \(what)",
            detail: "the sealed value does not open: it is damaged or was moved from another row")
    }

    // MARK: Transactions

    public func read<T>(_ body: (any StorageAccess) throws -> T) throws -> T {
        try transaction(writing: false) { session in try body(Access(session: session, storage: self, writing: false)) }
    }

    public func write<T>(_ body: (any StorageAccess) throws -> T) throws -> T {
        try transaction(writing: true) { session in try body(Access(session: session, storage: self, writing: true)) }
    }

    /// One transaction on a connection of this store's: a write takes the writers' lock first;
    /// a read is one snapshot. Committed when `body` returns, rolled back when it throws. For
    /// the hub's own tables too (`PostgresSession.query`).
    @discardableResult
    package func transaction<T>(writing: Bool, _ body: (PostgresSession) throws -> T) throws -> T {
        let connection = try checkOut()
        let session = PostgresSession(connection: connection, logger: logger, address: address)
        var healthy = true
        defer { checkIn(connection, healthy: healthy) }
        do {
            if writing {
                try session.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
                try session.execute(
                    "SELECT pg_advisory_xact_lock(\(Self.lockClass), hashtext(current_schema()))")
            } else {
                try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            }
            let result = try body(session)
            try session.execute("COMMIT")
            return result
        } catch {
            do { try session.execute("ROLLBACK") } catch { healthy = false }
            throw error
        }
    }

    private func checkOut() throws -> PostgresConnection {
        while let connection = idle.withLock({ $0.popLast() }) {
            if !connection.isClosed { return connection }
        }
        return try Self.connect(
            configuration: configuration, address: address, logger: logger,
            id: nextID.add(1, ordering: .relaxed).oldValue)
    }

    private func checkIn(_ connection: PostgresConnection, healthy: Bool) {
        let kept =
            healthy && !connection.isClosed
            && idle.withLock { idle in
                guard idle.count < Self.maximumIdle else { return false }
                idle.append(connection)
                return true
            }
        if !kept { Self.dispose(connection) }
    }

    static func connect(
        configuration: PostgresConnection.Configuration, address: PostgresAddress, logger: Logger, id: Int
    ) throws -> PostgresConnection {
        do {
            return try block(
                PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger))
        } catch {
            throw StoreError(
                .cannotOpen, path: address.description, operation: "connect",
                detail: "cannot reach the PostgreSQL server at \(address.host):\(address.port): "
                    + PostgresSession.explain(error))
        }
    }

    /// Closes `connection`, keeping it alive until its channel is closed (postgres-nio asserts
    /// that a connection is closed before it is released).
    static func dispose(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Waits for `future` on the calling thread, which must not be one of `group`'s (none of
    /// this store's callers is: that group runs only its connections).
    static func block<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let waiter = Waiter<T>()
        future.whenComplete { waiter.finish($0) }
        return try waiter.wait()
    }

    // MARK: Schema

    enum Inspection {
        case new
        case existing(StoredProtection?, version: Int)
    }

    /// What the schema holds: nothing (a new store), Tre's tables (with their protection), or
    /// something else (refused). Writes nothing.
    private static func inspect(
        configuration: PostgresConnection.Configuration, address: PostgresAddress, role: ReplicaRole?, logger: Logger
    ) throws -> Inspection {
        let connection = try connect(configuration: configuration, address: address, logger: logger, id: 0)
        defer { dispose(connection) }
        let session = PostgresSession(connection: connection, logger: logger, address: address)
        let path = address.description
        let tables = try session.query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"
        ).map { try $0[0].decode(String.self) }
        if tables.isEmpty { return .new }
        guard tables.contains("tre_schema"),
            let version = try session.query("SELECT version FROM tre_schema WHERE singleton = 1").first
        else {
            throw StoreError(
                .foreignDatabase, path: path, operation: "open",
                detail: "the schema holds tables Tre did not make (\(tables.prefix(5).joined(separator: ", ")))")
        }
        let number = try version[0].decode(Int32.self)
        guard number <= schemaVersion else {
            throw StoreError(
                .newerFormat, path: path, operation: "open",
                detail: "schema version \(number) is newer than this program's \(schemaVersion)")
        }
        if let role,
            let marker = try session.query("SELECT value FROM settings WHERE name = $1", [.text(ReplicaRole.setting)])
                .first.map({ try $0[0].decode(String.self) }),
            marker != role.rawValue
        {
            throw StoreError(
                .wrongRole, path: path, operation: "open",
                detail: "this database's Tre replica is a \(marker)'s, not a \(role.rawValue)'s")
        }
        guard
            let row = try session.query(
                "SELECT method, salt, log2_n, r, p, check_value FROM protection WHERE singleton = 1"
            ).first
        else { return .existing(nil, version: Int(number)) }
        guard let method = ProtectionMethod(rawValue: try row[0].decode(String.self)) else {
            throw StoreError(
                .corrupt, path: path, operation: "read protection",
                detail: "the protection method is unknown to this program")
        }
        let salt = try PostgresSession.bytes(row[1])
        var scrypt: ScryptParameters?
        if method == .passphrase {
            let parameters = ScryptParameters(
                log2N: Int(try row[2].decode(Int32.self)), r: Int(try row[3].decode(Int32.self)),
                p: Int(try row[4].decode(Int32.self)))
            guard parameters.isWithinBounds, salt.count == 16 else {
                throw StoreError(
                    .corrupt, path: path, operation: "read protection",
                    detail: "the key derivation parameters are out of bounds")
            }
            scrypt = parameters
        }
        return .existing(
            StoredProtection(method: method, salt: salt, scrypt: scrypt, check: try PostgresSession.bytes(row[5])),
            version: Int(number))
    }

    /// Brings a store made by an earlier release up to `schemaVersion`, in one transaction under
    /// the writers' lock (several processes starting at once migrate it once). A read replica
    /// is left as it is: it cannot write, and it receives the migration from its primary once
    /// a program of this release opens that; until then its reports select without the index.
    private static func migrate(
        from version: Int, configuration: PostgresConnection.Configuration, address: PostgresAddress, logger: Logger
    ) throws {
        let connection = try connect(configuration: configuration, address: address, logger: logger, id: 0)
        defer { dispose(connection) }
        let session = PostgresSession(connection: connection, logger: logger, address: address)
        if try session.query("SELECT pg_is_in_recovery()").first?[0].decode(Bool.self) == true { return }
        do {
            try session.execute("BEGIN")
            try session.execute("SELECT pg_advisory_xact_lock(\(lockClass), hashtext(current_schema()))")
            let current = try session.query("SELECT version FROM tre_schema WHERE singleton = 1").first?[0].decode(
                Int32.self)
            if let current, current < 2 {
                for statement in PostgresSchema.version2 { try session.execute(statement) }
            }
            if let current, current < 3 {
                for statement in PostgresSchema.version3 { try session.execute(statement) }
            }
            try session.execute("UPDATE tre_schema SET version = \(schemaVersion) WHERE version < \(schemaVersion)")
            try session.execute("COMMIT")
        } catch {
            _ = try? session.execute("ROLLBACK")
            throw error
        }
    }

    /// Creates Tre's tables (and the schema, when named and absent) in one transaction under the
    /// writers' lock: two processes starting together create them once; the second is refused.
    private static func createSchema(
        configuration: PostgresConnection.Configuration, address: PostgresAddress, logger: Logger,
        protecting: StoredProtection?
    ) throws {
        let connection = try connect(configuration: configuration, address: address, logger: logger, id: 0)
        defer { dispose(connection) }
        let session = PostgresSession(connection: connection, logger: logger, address: address)
        do {
            try session.execute("BEGIN")
            if let schema = address.schema { try session.execute("CREATE SCHEMA IF NOT EXISTS \(schema)") }
            try session.execute("SELECT pg_advisory_xact_lock(\(lockClass), hashtext(current_schema()))")
            let exists = try session.query("SELECT to_regclass('tre_schema') IS NOT NULL")
            if try exists.first?[0].decode(Bool.self) == true {
                throw StoreError(
                    .alreadyInitialized, path: address.description, operation: "init",
                    detail: "the database holds a Tre replica already")
            }
            for statement in PostgresSchema.version1 + PostgresSchema.version2 + PostgresSchema.version3 {
                try session.execute(statement)
            }
            try session.execute(
                "INSERT INTO tre_schema (singleton, version) VALUES (1, \(schemaVersion))")
            if let protecting {
                try session.query(
                    "INSERT INTO protection (singleton, method, salt, log2_n, r, p, check_value) VALUES (1, $1, $2, $3, $4, $5, $6)",
                    [
                        .text(protecting.method.rawValue), .bytes(protecting.salt),
                        .int32(protecting.scrypt.map { Int32($0.log2N) }),
                        .int32(protecting.scrypt.map { Int32($0.r) }),
                        .int32(protecting.scrypt.map { Int32($0.p) }), .bytes(protecting.check),
                    ])
            }
            try session.execute("COMMIT")
        } catch {
            _ = try? session.execute("ROLLBACK")
            throw error
        }
    }
}

/// Hands a future's result to the thread waiting for it.
private final class Waiter<T: Sendable>: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    // Written once before `signal`, read after `wait`: the semaphore orders the two.
    private var result: Result<T, any Error>?

    func finish(_ result: Result<T, any Error>) {
        self.result = result
        semaphore.signal()
    }

    func wait() throws -> T {
        semaphore.wait()
        return try result!.get()
    }
}

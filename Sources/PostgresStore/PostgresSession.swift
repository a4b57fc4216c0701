import Foundation
import Logging
package import PostgresNIO
import SyncCore

/// A value bound to a statement's `$n`.
package enum PostgresBind {
    case text(String?)
    case int(Int64?)
    case int32(Int32?)
    case bytes([UInt8]?)
    case bool(Bool)
    /// A `text[]`, for `= ANY($n)`.
    case texts([String])
    /// A `bytea[]`, for `= ANY($n)`.
    case byteas([[UInt8]])
    /// A `bigint[]`, for `= ANY($n)`.
    case ints([Int64])
}

/// One connection inside one transaction (`PostgresStorage.transaction`): statements run one
/// after another, the calling thread waiting for each.
package final class PostgresSession {
    let connection: PostgresConnection
    let logger: Logger
    let address: PostgresAddress

    init(connection: PostgresConnection, logger: Logger, address: PostgresAddress) {
        self.connection = connection
        self.logger = logger
        self.address = address
    }

    /// Runs `sql` with `binds` and returns every row.
    @discardableResult
    package func query(_ sql: String, _ binds: [PostgresBind] = []) throws -> [PostgresRandomAccessRow] {
        try run(sql, binds).rows.map { $0.makeRandomAccess() }
    }

    /// Runs `sql`; returns how many rows it changed (for INSERT, UPDATE, DELETE).
    @discardableResult
    package func execute(_ sql: String, _ binds: [PostgresBind] = []) throws -> Int {
        try run(sql, binds).metadata.rows ?? 0
    }

    private func run(_ sql: String, _ binds: [PostgresBind]) throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .text(let value): bindings.append(value)
            case .int(let value): bindings.append(value)
            case .int32(let value): bindings.append(value)
            case .bytes(let value): bindings.append(value.map { ByteBuffer(bytes: $0) })
            case .bool(let value): bindings.append(value)
            case .texts(let values): bindings.append(values)
            case .byteas(let values): bindings.append(values.map { ByteBuffer(bytes: $0) })
            case .ints(let values): bindings.append(values)
            }
        }
        do {
            return try PostgresStorage.block(
                connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger))
        } catch {
            throw StoreError(
                Self.kind(of: error), path: address.description, operation: Self.operation(sql),
                detail: Self.explain(error))
        }
    }

    /// The statement's first words, naming the operation in an error (never its values: they
    /// are bound, not in the text).
    static func operation(_ sql: String) -> String {
        sql.split(whereSeparator: \.isWhitespace).prefix(3).joined(separator: " ")
    }

    /// What went wrong, without what could hold a value or the password: the server's message
    /// and SQL state (never its `detail`, which quotes rows' values), or the client's reason.
    static func explain(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            return "PostgreSQL: \(info[.message] ?? "error") (SQLSTATE \(info[.sqlState] ?? "?"))"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    static func kind(of error: any Error) -> StoreError.Kind {
        guard let error = error as? PSQLError else { return .io }
        switch error.serverInfo?[.sqlState] {
        case "40001", "40P01", "55P03": return .busy
        case "53100": return .full
        case "25006": return .readOnly
        case "XX001", "XX002": return .corrupt
        case .some: return .other
        case nil: return .io
        }
    }

    /// A `bytea` cell's bytes (empty for NULL).
    package static func bytes(_ cell: PostgresCell) throws -> [UInt8] {
        guard let buffer = try cell.decode(ByteBuffer?.self) else { return [] }
        return Array(buffer.readableBytesView)
    }
}

/// Tre's tables on PostgreSQL, as in SQLite (`SQLiteStorage`), plus the hub's own; each record's
/// history is found through an index of the log by record rather than a list kept in its row.
enum PostgresSchema {
    /// A report selects a subtree's records of one collection (`RecordSelection`): one range of
    /// this index per unit, in id order, rather than the whole collection filtered.
    static let version2: [String] = [
        "CREATE INDEX IF NOT EXISTS records_unit ON records (collection, unit, id)"
    ]

    /// A push may name records by the dots of its sender's own changes (`RecordReferences`):
    /// which log entry holds each change a peer pushed of its own.
    static let version3: [String] = [
        """
        CREATE TABLE IF NOT EXISTS log_dots (
            origin bytea NOT NULL, counter bigint NOT NULL, sequence bigint NOT NULL, PRIMARY KEY (origin, counter))
        """
    ]

    static let version1: [String] = [
        "CREATE TABLE tre_schema (singleton integer PRIMARY KEY CHECK (singleton = 1), version integer NOT NULL)",
        """
        CREATE TABLE replica (
            singleton integer PRIMARY KEY CHECK (singleton = 1), origin bytea NOT NULL, counter bigint NOT NULL,
            clock_wall bigint NOT NULL, clock_logical bigint NOT NULL, unit text NOT NULL, name text NOT NULL)
        """,
        """
        CREATE TABLE records (
            collection text COLLATE "C" NOT NULL, id bytea NOT NULL, unit text, deleted boolean NOT NULL,
            conflicted boolean NOT NULL, state bytea NOT NULL, PRIMARY KEY (collection, id))
        """,
        "CREATE INDEX records_conflicted ON records (collection, id) WHERE conflicted",
        """
        CREATE TABLE log (
            sequence bigint PRIMARY KEY, origin bytea NOT NULL, collection text COLLATE "C" NOT NULL, record bytea NOT NULL,
            unit text NOT NULL, previous_unit text, via bytea, change bytea NOT NULL)
        """,
        "CREATE INDEX log_record ON log (collection, record, sequence)",
        "CREATE TABLE settings (name text COLLATE \"C\" PRIMARY KEY, value text NOT NULL)",
        """
        CREATE TABLE parked (
            origin bytea NOT NULL, counter bigint NOT NULL, collection text COLLATE "C" NOT NULL, record bytea NOT NULL,
            change bytea NOT NULL, via bytea, PRIMARY KEY (origin, counter))
        """,
        "CREATE INDEX parked_record ON parked (collection, record)",
        """
        CREATE TABLE set_aside (
            origin bytea NOT NULL, counter bigint NOT NULL, collection text COLLATE "C" NOT NULL, record bytea NOT NULL,
            change bytea NOT NULL, via bytea, code text NOT NULL, detail text NOT NULL, at bigint NOT NULL,
            PRIMARY KEY (origin, counter))
        """,
        "CREATE INDEX set_aside_record ON set_aside (collection, record)",
        "CREATE INDEX set_aside_via ON set_aside (via)",
        """
        CREATE TABLE protection (
            singleton integer PRIMARY KEY CHECK (singleton = 1), method text NOT NULL, salt bytea NOT NULL,
            log2_n integer, r integer, p integer, check_value bytea NOT NULL)
        """,
        // The hub's tables (`HubStore`), as in its SQLite file.
        "CREATE TABLE hub_units (code text COLLATE \"C\" PRIMARY KEY, name text NOT NULL, level text NOT NULL, parent_code text)",
        "CREATE INDEX hub_units_parent ON hub_units (parent_code)",
        """
        CREATE TABLE hub_peers (
            origin bytea PRIMARY KEY, unit text COLLATE "C" NOT NULL, kind text NOT NULL, name text NOT NULL, key text NOT NULL,
            enrolled_at bigint NOT NULL, last_seen bigint, revoked_at bigint)
        """,
        """
        CREATE TABLE hub_enrolments (
            code_hash text PRIMARY KEY, unit text NOT NULL, created_at bigint NOT NULL, expires_at bigint NOT NULL,
            used_by bytea, kind text NOT NULL DEFAULT 'node', revoked_at bigint)
        """,
        "CREATE TABLE hub_nonces (nonce text PRIMARY KEY, origin bytea NOT NULL, seen_at bigint NOT NULL)",
        """
        CREATE TABLE hub_events (
            sequence bigserial PRIMARY KEY, at bigint NOT NULL, event text NOT NULL, origin bytea, unit text,
            detail text NOT NULL)
        """,
    ]
}

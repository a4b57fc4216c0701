import Foundation
import PostgresNIO
import PostgresStore
import SyncCore

/// What the raw references of every store do: the same rows as plain SQL, one table per
/// collection, a column per field, with the commits they are given.
protocol RawStore: AnyObject {
    func run(_ operation: RawOperation, unit: String) throws
    /// Runs operations in transactions of the given sizes.
    func run(_ operations: [RawOperation], unit: String, commits sizes: [Int]) throws
    /// Bytes its tables and indexes take.
    func storedBytes() throws -> Int
}

/// The raw reference on PostgreSQL: the rows `RawReference` writes to SQLite, written with plain
/// SQL through postgres-nio (one statement at a time, as the store runs them, each bound with
/// its values) into tables of a schema of its own, with the same commits. Durability is the
/// server's, the same for it as for the store beside it: each COMMIT waits for the WAL's flush
/// (`synchronous_commit` on) on a server with fsync on (`scripts/test-postgres --durable`).
final class RawPostgres: RawStore {
    /// The columns typed as a plain design would: yes/no fields boolean, everything else text.
    static let booleanColumns: Set<String> = ["at_risk", "birth_registered", "health_insurance"]

    let schema: String
    let link: PostgresLink

    /// Connects to `address` and makes its `schema` (which must not exist yet) with the tables.
    init(address: PostgresAddress) throws {
        guard let schema = address.schema else { throw BenchError("the raw PostgreSQL reference needs a schema") }
        self.schema = schema
        link = try PostgresLink(address)
        try link.execute("CREATE SCHEMA \(schema)")
        try link.execute("SET search_path TO \(schema)")
        for (table, columns) in [("children", RawReference.childColumns), ("cases", RawReference.caseColumns)] {
            try link.execute(
                "CREATE TABLE \(table) (id bytea PRIMARY KEY, unit text NOT NULL, "
                    + columns.map { "\($0) \(Self.booleanColumns.contains($0) ? "boolean" : "text")" }
                    .joined(separator: ", ") + ")")
        }
    }

    func query(_ sql: String, _ bindings: PostgresBindings = PostgresBindings()) throws -> PostgresQueryResult {
        try link.query(sql, bindings)
    }

    /// Binds a field's value as its column holds it: a yes/no as boolean, other values as text
    /// (a list or number as its JSON, as `RawReference` stores it), nothing as NULL.
    static func bind(_ value: FieldValue?, column: String, into bindings: inout PostgresBindings) throws {
        if booleanColumns.contains(column) {
            switch value {
            case .bool(let flag): bindings.append(flag)
            case .none, .null: bindings.append(nil as Bool?)
            case .some(let other): throw BenchError("\(column) is not a yes/no value: \(other.json)")
            }
            return
        }
        switch value {
        case .string(let text): bindings.append(text)
        case .none, .null: bindings.append(nil as String?)
        case .some(let other): bindings.append(other.json)
        }
    }

    func run(_ operation: RawOperation, unit: String) throws {
        var bindings = PostgresBindings()
        switch operation {
        case .insert(let table, let id, let fields):
            let columns = table == "children" ? RawReference.childColumns : RawReference.caseColumns
            bindings.append(ByteBuffer(bytes: id.uuid.bytes))
            bindings.append(unit)
            for column in columns { try Self.bind(fields[column], column: column, into: &bindings) }
            _ = try query(
                "INSERT INTO \(table) (id, unit, \(columns.joined(separator: ", "))) VALUES ("
                    + (1...(columns.count + 2)).map { "$\($0)" }.joined(separator: ", ") + ")", bindings)
        case .update(let table, let id, let fields):
            let names = fields.keys.sorted()
            for name in names { try Self.bind(fields[name], column: name, into: &bindings) }
            bindings.append(ByteBuffer(bytes: id.uuid.bytes))
            _ = try query(
                "UPDATE \(table) SET \(names.enumerated().map { "\($1) = $\($0 + 1)" }.joined(separator: ", ")) "
                    + "WHERE id = $\(names.count + 1)", bindings)
        case .delete(let table, let id):
            bindings.append(ByteBuffer(bytes: id.uuid.bytes))
            _ = try query("DELETE FROM \(table) WHERE id = $1", bindings)
        }
    }

    func run(_ operations: [RawOperation], unit: String, commits sizes: [Int]) throws {
        var index = 0
        for size in sizes {
            try link.execute("BEGIN")
            for operation in operations[index..<min(index + size, operations.count)] { try run(operation, unit: unit) }
            try link.execute("COMMIT")
            index += size
        }
    }

    func storedBytes() throws -> Int {
        try link.schemaBytes(schema)
    }

    /// Rows of `table`, for checks: each row's id and its columns as text (NULL as nil).
    func rows(_ table: String) throws -> [[UInt8]: [String: String?]] {
        let columns = table == "children" ? RawReference.childColumns : RawReference.caseColumns
        var rows: [[UInt8]: [String: String?]] = [:]
        for row in try query("SELECT id, unit, \(columns.map { "\($0)::text" }.joined(separator: ", ")) FROM \(table)")
            .rows
        {
            let cells = row.makeRandomAccess()
            let id = Array(try cells[0].decode(ByteBuffer.self).readableBytesView)
            var values: [String: String?] = ["unit": try cells[1].decode(String.self)]
            for (offset, column) in columns.enumerated() {
                values[column] = try cells[offset + 2].decode(String?.self)
            }
            rows[id] = values
        }
        return rows
    }
}

/// One plain postgres-nio connection of the benchmark's own (the raw reference's, or the one
/// that makes and drops its schemas), the calling thread waiting on each statement.
final class PostgresLink {
    let address: PostgresAddress
    private let connection: PostgresConnection
    private let logger: Logger

    /// The event-loop thread of these connections: it runs only their I/O, so the calling thread
    /// can wait on each statement (as `PostgresStorage` does with its own).
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init(_ address: PostgresAddress) throws {
        self.address = address
        var logger = Logger(label: "tre-bench-postgres")
        logger.logLevel = .critical
        self.logger = logger
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: .disable)
        if address.requiresTLS {
            configuration.tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", "tre-bench")]
        do {
            connection = try Self.wait(
                PostgresConnection.connect(on: Self.group.next(), configuration: configuration, id: 1, logger: logger))
        } catch {
            throw BenchError("cannot reach the PostgreSQL server at \(address): \(Self.explain(error))")
        }
    }

    deinit {
        let connection = connection
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Waits on the calling thread (never one of `group`'s) for `future`.
    static func wait<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        future.whenComplete { result in
            box.result = result
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    /// The server's message, without its detail (which quotes rows' values).
    static func explain(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            return "PostgreSQL: \(info[.message] ?? "error") (SQLSTATE \(info[.sqlState] ?? "?"))"
        }
        return "\(error.code)\(error.underlying.map { ": \($0)" } ?? "")"
    }

    func query(_ sql: String, _ bindings: PostgresBindings = PostgresBindings()) throws -> PostgresQueryResult {
        do {
            return try Self.wait(connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger))
        } catch {
            throw BenchError("PostgreSQL at \(address): \(Self.explain(error)) in \(sql.prefix(60))")
        }
    }

    func execute(_ sql: String) throws { _ = try query(sql) }

    /// Bytes the tables of `schema` take on the server, with their indexes and TOAST.
    func schemaBytes(_ schema: String) throws -> Int {
        var bindings = PostgresBindings()
        bindings.append(schema)
        let row = try query(
            """
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'
            """, bindings
        ).rows.first
        return Int(try row?.makeRandomAccess()[0].decode(Int64.self) ?? 0)
    }
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    // Written before the semaphore's signal, read after its wait: the semaphore orders the two.
    var result: Result<T, any Error>?
}

extension RawReference: RawStore {
    func storedBytes() throws -> Int { fileSize(path) }
}

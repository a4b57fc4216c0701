import ArgumentParser
import Foundation
import PostgresStore
import SyncCore

/// Where a benchmark's hub keeps its data (`--store`): an SQLite file, the default, or a
/// PostgreSQL server, in schemas the run makes (`tre_bench_<random>_<name>`) and drops when it
/// ends. The raw reference is then written to the same kind of store, so the hub's ratio is
/// always against plain SQL on its own database.
enum BenchStore {
    case sqlite
    case postgres(PostgresScratch)

    /// Reads `--store`: absent or `sqlite`, or `postgres://USER@HOST:PORT/DATABASE` (the password
    /// in PGPASSWORD), without `?schema=`: the run makes and drops schemas of its own.
    static func parse(_ argument: String?) throws -> BenchStore {
        guard let argument, argument != "sqlite" else { return .sqlite }
        guard PostgresAddress.looksLikeAddress(argument) else {
            throw ValidationError(
                "--store takes sqlite or postgres://USER@HOST:PORT/DATABASE, not \"\(argument.prefix(40))\".")
        }
        let address: PostgresAddress
        do {
            address = try PostgresAddress(argument)
        } catch let error as StoreAddressError {
            throw ValidationError("--store: \(error.message). \(error.hint)")
        }
        guard address.schema == nil else {
            throw ValidationError(
                "--store: give the database's URL without ?schema=: the benchmark makes schemas of its own "
                    + "(tre_bench_…) in that database and drops them when it ends.")
        }
        return .postgres(PostgresScratch(base: address))
    }

    var name: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }

    /// A new, empty replica storage named `name`: a file in `directory`, or a schema of its own.
    func hubStorage(_ name: String, in directory: URL) throws -> any ReplicaStorage {
        switch self {
        case .sqlite: try SQLiteStorage(path: directory.appendingPathComponent("\(name).sqlite").path)
        case .postgres(let scratch): try PostgresStorage(address: try scratch.address(name), create: true)
        }
    }

    /// Bytes the storage named `name` takes: the file and its WAL, or the schema's tables with
    /// their indexes.
    func storedBytes(_ name: String, in directory: URL) throws -> Int {
        switch self {
        case .sqlite: fileSize(directory.appendingPathComponent("\(name).sqlite").path)
        case .postgres(let scratch): try scratch.admin().schemaBytes(scratch.schema(name))
        }
    }

    /// A new raw reference named `name`, on the same kind of store.
    func rawReference(_ name: String, in directory: URL) throws -> any RawStore {
        switch self {
        case .sqlite: try RawReference(path: directory.appendingPathComponent("\(name).sqlite").path)
        case .postgres(let scratch): try RawPostgres(address: try scratch.address(name))
        }
    }

    /// Drops the schemas the run made (nothing to do for files: their folder is removed).
    func cleanUp() {
        if case .postgres(let scratch) = self { scratch.dropAll() }
    }
}

/// The schemas one run makes in a PostgreSQL database, and drops at its end.
final class PostgresScratch {
    let base: PostgresAddress
    /// `tre_bench_` and 8 random hex digits: runs sharing a database do not meet.
    let prefix = "tre_bench_" + String(UInt32.random(in: .min ... .max), radix: 16)
    private var made: [String] = []
    private var link: PostgresLink?

    init(base: PostgresAddress) { self.base = base }

    func schema(_ name: String) -> String { "\(prefix)_\(name)" }

    /// The address of the schema named `name` (recorded, to be dropped at the end). The password
    /// is the base address's (from its URL or PGPASSWORD).
    func address(_ name: String) throws -> PostgresAddress {
        let schema = schema(name)
        if !made.contains(schema) { made.append(schema) }
        return try PostgresAddress(url(name), environment: environment)
    }

    /// The schema's URL without the password, as a `tre-hub` command is given it (with
    /// `environment`'s PGPASSWORD).
    func url(_ name: String) -> String {
        let text = base.description
        return text + (text.contains("?") ? "&" : "?") + "schema=\(schema(name))"
    }

    /// The environment of a `tre-hub` process using these schemas: the password in PGPASSWORD.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let password = base.password { environment["PGPASSWORD"] = password }
        return environment
    }

    /// A connection of the run's own, for sizes and the final drop.
    func admin() throws -> PostgresLink {
        if let link { return link }
        let made = try PostgresLink(base)
        link = made
        return made
    }

    /// Drops every schema the run made, saying on stderr what it could not drop.
    func dropAll() {
        guard !made.isEmpty else { return }
        do {
            let link = try admin()
            for schema in made { try link.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
            made = []
        } catch {
            FileHandle.standardError.write(
                Data("tre-bench: could not drop the schemas \(made.joined(separator: ", ")): \(error)\n".utf8))
        }
    }
}

import Foundation
import PostgresStore
import ReplicaCommands
import SyncCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The configuration file of a hub whose data is on a PostgreSQL server: what `--db` names in
/// place of an SQLite file. It holds the store's address without its password (which every
/// command takes from `PGPASSWORD`, e.g. a systemd credential), so the file can be read by the
/// operator and kept in configuration management:
///
///     # tre-hub: this hub's data is on a PostgreSQL server (tre-hub init --store).
///     store = postgres://tre@db.example:5432/tre?schema=hub
enum HubConfiguration {
    static let heading = "# tre-hub: this hub's data is on a PostgreSQL server (tre-hub init --store)."

    /// The store address the file at `path` names; nil when it is not a hub configuration (an
    /// SQLite file, or nothing). Call it before this process opens the file as SQLite, never
    /// after: closing any descriptor of a file drops the process's POSIX locks on it, SQLite's
    /// included (a serving hub that did so stopped seeing other processes' commits).
    static func storeAddress(at path: String) throws -> PostgresAddress? {
        // Read once per file and process: later calls (after the file is open as SQLite) are
        // answered from memory, by the file's identity, without opening it again.
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        let key = "\(status.st_dev):\(status.st_ino):\(path)"
        if let known = read.withLock({ $0[key] }) { return known }
        let found = try readStoreAddress(at: path)
        read.withLock { $0[key] = .some(found) }
        return found
    }

    /// What `storeAddress` read of each file, by device, inode and path.
    private static let read = Mutex<[String: PostgresAddress?]>([:])

    private static func readStoreAddress(at path: String) throws -> PostgresAddress? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        try? handle.close()
        guard head.starts(with: Data(heading.prefix(8).utf8)), let text = String(data: head, encoding: .utf8) else {
            return nil
        }
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0] == "store" else { continue }
            do {
                return try PostgresAddress(parts[1])
            } catch let error as StoreAddressError {
                throw CommandFailure(
                    code: "bad_store", message: "\(path): \(error.message)",
                    hint: "Correct the store line of the hub's configuration. \(error.hint)")
            }
        }
        throw CommandFailure(
            code: "bad_store", message: "\(path) is a hub configuration without a store line",
            hint: "Add `store = postgres://USER@HOST:PORT/DATABASE`, or make the hub again with tre-hub init --store.")
    }

    /// Writes a new configuration (0600, refused if the file exists) naming `address`.
    static func write(_ address: PostgresAddress, to path: String) throws {
        let text = "\(heading)\n# The password is not kept here: give it in PGPASSWORD.\nstore = \(address)\n"
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CommandFailure(
                code: "cannot_create",
                message: "cannot create the hub's configuration \(path): \(String(cString: strerror(errno)))",
                hint: "Choose a path this user may write to, where no file exists yet.")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        Glibc.close(descriptor)
        guard written == bytes.count else {
            try? FileManager.default.removeItem(atPath: path)
            throw CommandFailure(
                code: "cannot_create", message: "cannot write the hub's configuration \(path)",
                hint: "Check the disk and retry.")
        }
    }

    /// Opens the hub's PostgreSQL store, unlocked as a protected SQLite hub is: the secret is
    /// asked for only when the store is protected, and a wrong one is refused with what to do.
    static func open(_ address: PostgresAddress, unlock: UnlockOptions, folder: String) throws -> PostgresStorage {
        let probe = try explaining { try PostgresStorage(address: address, role: .hub) }
        guard let method = probe.protection else { return probe }
        let secret = try unlock.secret(for: method, folder: folder, role: .hub)
        do {
            return try PostgresStorage(address: address, role: .hub, secret: secret)
        } catch let error as StoreError where error.kind == .wrongKey {
            throw ProtectionText.wrong(.hub, error)
        }
    }

    /// Runs `body`, turning a server that cannot be reached (or refuses the user) into what the
    /// operator should check; the file-oriented hint of `StoreError` would mislead here.
    static func explaining<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError where error.kind == .cannotOpen && error.path.hasPrefix("postgres://") {
            throw CommandFailure(
                code: "store_unreachable", message: error.description,
                hint: "Check that the PostgreSQL server runs and is reachable there, that the user and database exist, "
                    + "and that PGPASSWORD holds the right password. Nothing was changed.")
        }
    }
}

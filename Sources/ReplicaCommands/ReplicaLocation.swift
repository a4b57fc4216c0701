public import ArgumentParser
public import Foundation
public import SyncCore

/// Where a command finds its replica: a node's `--dir`, a hub's `--db`. The generic commands
/// (records, conflicts, state hash, change files) take it as their option group.
public protocol ReplicaLocation: ParsableArguments {
    /// The SQLite file of the replica.
    var databasePath: String { get }
    /// True for a node, which works in its own commune: its new records belong to it and its
    /// state hash covers its records unless told otherwise (so it equals the hub's
    /// `state-hash --unit` for that commune). False for a hub, which must be told the unit.
    static var worksInOwnUnit: Bool { get }
    /// What this kind of replica needs after a restore, beyond the engine's and the sync's.
    static func prepareAfterRestore(_ replica: Replica) throws
    /// The role of the replicas this executable opens: a file of the other role is refused
    /// unchanged.
    static var role: ReplicaRole { get }
    /// How the command was told to unlock a protected replica.
    var unlock: UnlockOptions { get }
    /// The replica's own folder (a node's `--dir`, the folder of a hub's file): a key or
    /// passphrase file inside it is refused, since a copy of the folder would carry it.
    var replicaFolder: String { get }
    /// The replica's storage, unlocked, for the generic commands: the SQLite file by default; a
    /// hub on a database server opens its store instead.
    func openReplicaStorage() throws -> any ReplicaStorage
    /// Refuses what works on the replica's file only (backup, restore) when the replica is
    /// not a file here; nothing by default.
    func checkFileOperation(_ operation: String) throws
}

extension ReplicaLocation {
    public static func prepareAfterRestore(_ replica: Replica) throws {}

    public func openReplicaStorage() throws -> any ReplicaStorage { try openStorage() }

    public func checkFileOperation(_ operation: String) throws {}
}

extension ReplicaLocation {
    /// Opens the replica, or explains what to do when there is none or it is of the other role.
    /// A protected replica is unlocked with the secret the command was given (`UnlockOptions`),
    /// asked for only when the replica is protected; a wrong one is refused before anything
    /// is written. The one way commands (and the domain's) open a replica.
    public func open() throws -> Replica {
        try Replica(storage: try openReplicaStorage(), time: SystemTimeSource())
    }

    /// The replica's storage, unlocked as `open` does: for what needs the storage itself (a
    /// hub's own tables).
    public func openStorage() throws -> SQLiteStorage {
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw StoreError(
                .notInitialized, path: databasePath, operation: "open replica", detail: "there is no replica here")
        }
        return try openStorage(secret: try secret())
    }

    /// Takes the lock that keeps a second serving or syncing process off this replica (see
    /// `ReplicaLock`).
    public func lock(purpose: ReplicaLock.Purpose) throws -> ReplicaLock {
        try ReplicaLock.acquire(databasePath: databasePath, purpose: purpose)
    }
}

/// `--json` on every command: machine-readable output on stdout.
public struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text.")
    public var json = false

    public init() {}
}

/// Creates a new replica file of `role` (marked so, and readable by its owner only), with the
/// origin its hub assigned or, standalone, a fresh one, protected by `protection` (nil: not
/// protected, an explicit choice). Refuses a path that already holds one.
public func createReplica(
    at path: String, unit: String, name: String, origin: OriginID? = nil, role: ReplicaRole,
    protection: ReplicaSecret?
) throws -> Replica {
    try checkUnit(unit)
    if FileManager.default.fileExists(atPath: path) {
        throw StoreError(.alreadyInitialized, path: path, operation: "init", detail: "a replica exists already")
    }
    var generator = SystemRandomNumberGenerator()
    let time = SystemTimeSource()
    let origin = origin ?? OriginID(.version7(unixMillis: time.nowMillis(), using: &generator))
    let replica = try Replica.initialize(
        storage: try SQLiteStorage(path: path, role: role, secret: protection), origin: origin, unit: unit, name: name,
        time: time)
    try replica.setSetting(ReplicaRole.setting, role.rawValue)
    return replica
}

/// Refuses what cannot be a unit code.
public func checkUnit(_ unit: String) throws {
    guard !unit.isEmpty, unit.utf8.count <= 32, unit.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7f }) else {
        throw CommandFailure(
            code: "bad_unit", message: "\"\(unit)\" is not a unit code",
            hint: "Give the official administrative code, e.g. 01001 for a commune.")
    }
}

/// Removes a replica file this command created and could not finish (with SQLite's side files).
public func removeReplicaFiles(at path: String) {
    for file in [path, path + "-wal", path + "-shm", path + "-journal"] {
        try? FileManager.default.removeItem(atPath: file)
    }
}

/// Refuses, before a one-time code is used, a path where the new replica could not be written:
/// its nearest existing folder must be writable.
public func checkWritable(_ path: String) throws {
    var folder = URL(fileURLWithPath: path).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: folder.path) && folder.path != "/" {
        folder = folder.deletingLastPathComponent()
    }
    guard FileManager.default.isWritableFile(atPath: folder.path) else {
        throw CommandFailure(
            code: "cannot_create", message: "cannot create \(path): \(folder.path) is not writable",
            hint: "Choose a path this user may write to; the enrolment code was not used.")
    }
}

/// Checks a hub URL given on the command line.
public func parseHubURL(_ text: String) throws -> URL {
    guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
    else {
        throw CommandFailure(
            code: "bad_url", message: "\"\(text)\" is not a hub URL",
            hint: "Give the hub's address, e.g. http://127.0.0.1:8080.")
    }
    return url
}

import ArgumentParser
import Foundation
import PostgresStore
import ReplicaCommands
import SyncCore

/// `tre-hub`: a district's or province's replica, which merges the units below it.
@main
struct TreHub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tre-hub",
        abstract: "A district or province Tre hub: merges its communes' changes and edits as one more origin.",
        version: TreVersion.line("tre-hub"),
        subcommands: [
            Init.self, UnitsCommand.self, Enroll.self, Nodes.self, Peers.self, Serve.self, SyncUpstream.self,
            Policy.self,
            Status.self,
            StateHash.self, RecordCommand<HubDatabase>.self, ConflictsCommand<HubDatabase>.self, Changes.self,
            SetAside.self, Report.self, BackupCommand<HubDatabase>.self, RestoreCommand<HubDatabase>.self,
            Restored.self,
        ])

    static func main() async { await asyncMainWithExitCodes() }
}

/// `--db PATH`: the hub's replica file, or the configuration file of a hub on PostgreSQL
/// (`HubConfiguration`); for a protected hub, `--key-file` or `--passphrase-file` (or
/// `TRE_PASSPHRASE`, or typing it) unlock it.
struct HubDatabase: ReplicaLocation {
    @Option(name: .long, help: "The hub's database file (or, for a hub on PostgreSQL, its configuration file).")
    var db: String

    @OptionGroup var unlock: UnlockOptions

    var databasePath: String { db }

    var replicaFolder: String { URL(fileURLWithPath: db).deletingLastPathComponent().path }

    static var worksInOwnUnit: Bool { false }

    static var role: ReplicaRole { .hub }

    /// Opens the hub, unlocked when it is protected: its SQLite file, or the PostgreSQL store
    /// its configuration names.
    func openHub() throws -> HubStore {
        guard FileManager.default.fileExists(atPath: db) else {
            throw StoreError(.notInitialized, path: db, operation: "open hub", detail: "there is no hub database here")
        }
        if let address = try storeAddress() {
            return try HubStore.open(
                postgres: try HubConfiguration.open(address, unlock: unlock, folder: replicaFolder))
        }
        return try HubStore.open(storage: try openStorage())
    }

    /// Opens the hub for a command that writes (`operation` names it for the operator): a hub
    /// on PostgreSQL whose configuration names a read replica is refused before anything is
    /// done, rather than failing at its first write (or, for `serve`, at its first push).
    func openHub(toWrite operation: String) throws -> HubStore {
        let hub = try openHub()
        if let postgres = hub.postgres, try postgres.isReadReplica() {
            throw CommandFailure(
                code: "read_only_replica",
                message: "\(postgres.address) is a read replica (the server is in recovery); \(operation) writes, "
                    + "and a replica refuses every write",
                hint: "Run \(operation) with a configuration file whose store line names the primary server; "
                    + "reports (`tre-hub report`, `report status`) and `status` may use the replica. Nothing was changed."
            )
        }
        return hub
    }

    /// The PostgreSQL store `--db` names (nil: `--db` is the hub's SQLite file).
    func storeAddress() throws -> PostgresAddress? { try HubConfiguration.storeAddress(at: db) }

    func openReplicaStorage() throws -> any ReplicaStorage {
        if let address = try storeAddress() {
            return try HubConfiguration.open(address, unlock: unlock, folder: replicaFolder)
        }
        return try openStorage()
    }

    func checkFileOperation(_ operation: String) throws {
        guard let address = try storeAddress() else { return }
        throw CommandFailure(
            code: "not_a_file",
            message: "this hub's data is on PostgreSQL (\(address)); \(operation) works on a hub's SQLite file",
            hint: "Back up and restore a hub on PostgreSQL with the server's tools (base backups and WAL archiving, "
                + "or pg_dump); see docs/POSTGRES.md for what to do after a restore. Nothing was changed.")
    }

    /// A restored hub's log reuses positions its callers may already hold: a new log epoch
    /// makes each of them start again from 0 (they skip what they have).
    static func prepareAfterRestore(_ replica: Replica) throws {
        try replica.setSetting(HubStore.logEpochSetting, nil)
    }
}

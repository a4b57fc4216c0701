import ArgumentParser
import Foundation
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
        ])

    static func main() async { await asyncMainWithExitCodes() }
}

/// `--db PATH`: the hub's replica file; for a protected hub, `--key-file` or `--passphrase-file`
/// (or `TRE_PASSPHRASE`, or typing it) unlock it.
struct HubDatabase: ReplicaLocation {
    @Option(name: .long, help: "The hub's database file.")
    var db: String

    @OptionGroup var unlock: UnlockOptions

    var databasePath: String { db }

    var replicaFolder: String { URL(fileURLWithPath: db).deletingLastPathComponent().path }

    static var worksInOwnUnit: Bool { false }

    static var role: ReplicaRole { .hub }

    /// Opens the hub, unlocked when it is protected.
    func openHub() throws -> HubStore {
        guard FileManager.default.fileExists(atPath: db) else {
            throw StoreError(.notInitialized, path: db, operation: "open hub", detail: "there is no hub database here")
        }
        return try HubStore.open(storage: try openStorage())
    }

    /// A restored hub's log reuses positions its callers may already hold: a new log epoch
    /// makes each of them start again from 0 (they skip what they have).
    static func prepareAfterRestore(_ replica: Replica) throws {
        try replica.setSetting(HubStore.logEpochSetting, nil)
    }
}

import ArgumentParser
import Foundation
import ReplicaCommands
import SyncCore

/// `tre-node`: a commune's replica, usable with no network.
@main
struct TreNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tre-node",
        abstract: "A commune's Tre node: its records, offline, and their sync with the district hub.",
        version: TreVersion.line("tre-node"),
        subcommands: [
            Init.self, Child.self, Intake.self, Case.self, Overdue.self, Activity.self, Sync.self, Status.self,
            Config.self, Report.self, RecordCommand<NodeDirectory>.self, ConflictsCommand<NodeDirectory>.self,
            StateHashCommand<NodeDirectory>.self, Changes.self, Rejected.self,
            BackupCommand<NodeDirectory>.self, RestoreCommand<NodeDirectory>.self, UI.self,
        ])

    static func main() async { await asyncMainWithExitCodes() }
}

/// `--dir DIR`: the node's folder, holding its replica; `--key-file` or `--passphrase-file`
/// (or `TRE_PASSPHRASE`, or typing it) unlock it.
struct NodeDirectory: ReplicaLocation {
    @Option(name: .long, help: "The node's folder.")
    var dir: String

    @OptionGroup var unlock: UnlockOptions

    var databasePath: String { URL(fileURLWithPath: dir).appendingPathComponent("replica.sqlite").path }

    var replicaFolder: String { dir }

    static var worksInOwnUnit: Bool { true }

    static var role: ReplicaRole { .node }
}

import ArgumentParser
import Foundation
import ReplicaCommands
import SyncCore

/// `tre-node`: a commune's replica, usable with no network.
@main
struct TreNode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tre-node",
        abstract: "A commune's Tre node: its records, offline, and their exchange with the district.",
        subcommands: [
            Init.self, RecordCommand<NodeDirectory>.self, ConflictsCommand<NodeDirectory>.self,
            StatusCommand<NodeDirectory>.self, StateHashCommand<NodeDirectory>.self, ChangesCommand<NodeDirectory>.self,
        ])

    static func main() { mainWithExitCodes() }
}

/// `--dir DIR`: the node's folder, holding its replica.
struct NodeDirectory: ReplicaLocation {
    @Option(name: .long, help: "The node's folder.")
    var dir: String

    var databasePath: String { URL(fileURLWithPath: dir).appendingPathComponent("replica.sqlite").path }
}

extension TreNode {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a node for a commune in an empty folder.")

        @OptionGroup var location: NodeDirectory
        @OptionGroup var output: OutputOptions

        @Option(help: "The commune's administrative code.")
        var unit: String

        @Option(help: "The commune's name.")
        var name: String = ""

        func run() throws {
            try reporting(json: output.json) {
                do {
                    try FileManager.default.createDirectory(atPath: location.dir, withIntermediateDirectories: true)
                } catch {
                    throw CommandFailure(
                        code: "cannot_create", message: "cannot create \(location.dir): \(error.localizedDescription)",
                        hint: "Check the path and permissions.")
                }
                let replica = try createReplica(at: location.databasePath, unit: unit, name: name)
                if output.json {
                    printJSON(["origin": replica.origin.description, "unit": unit, "dir": location.dir])
                } else {
                    print("node for \(name.isEmpty ? unit : "\(name) (\(unit))") ready in \(location.dir)")
                }
            }
        }
    }
}

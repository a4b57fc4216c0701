import ArgumentParser
import ReplicaCommands
import SyncCore

/// `tre-hub`: a district's or province's replica, which merges the units below it.
@main
struct TreHub: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tre-hub",
        abstract: "A district or province Tre hub: merges its communes' changes and edits as one more origin.",
        subcommands: [
            Init.self, RecordCommand<HubDatabase>.self, ConflictsCommand<HubDatabase>.self,
            StatusCommand<HubDatabase>.self, StateHashCommand<HubDatabase>.self, ChangesCommand<HubDatabase>.self,
        ])

    static func main() { mainWithExitCodes() }
}

/// `--db PATH`: the hub's replica file.
struct HubDatabase: ReplicaLocation {
    @Option(name: .long, help: "The hub's database file.")
    var db: String

    var databasePath: String { db }
}

extension TreHub {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a hub's database.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Option(help: "The administrative code of the district or province this hub serves.")
        var unit: String

        @Option(help: "Its name, e.g. \"Huyện Mường Lát\".")
        var name: String

        func run() throws {
            try reporting(json: output.json) {
                let replica = try createReplica(at: location.databasePath, unit: unit, name: name)
                if output.json {
                    printJSON(["origin": replica.origin.description, "unit": unit, "db": location.db])
                } else {
                    print("hub for \(name) (\(unit)) ready in \(location.db)")
                }
            }
        }
    }
}

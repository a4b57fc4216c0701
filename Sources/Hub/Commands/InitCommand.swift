import ArgumentParser
import Foundation
import ReplicaCommands
import SyncClient
import SyncCore

extension TreHub {
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a hub's database; with --upstream, enrol it at the hub above (a province).")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Option(help: "The administrative code of the district or province this hub serves.")
        var unit: String?

        @Option(help: "Its name, e.g. \"Huyện Kỳ Sơn\".")
        var name: String

        @Option(help: "The URL of the hub above this one.")
        var upstream: String?

        @Option(help: "The one-time enrolment code (of kind hub) the hub above gave for this hub's unit.")
        var enrolment: String?

        func validate() throws {
            if (upstream == nil) != (enrolment == nil) {
                throw ValidationError("--upstream and --enrolment go together.")
            }
            if upstream == nil && unit == nil {
                throw ValidationError("Give --unit CODE (or --upstream URL --enrolment CODE, which set it).")
            }
        }

        func run() async throws {
            try await reporting(json: output.json) {
                let path = location.databasePath
                if FileManager.default.fileExists(atPath: path) {
                    throw StoreError(
                        .alreadyInitialized, path: path, operation: "init", detail: "a replica exists already")
                }
                if let unit { try checkUnit(unit) }
                var enrolled: EnrolledUpstream?
                if let upstream, let enrolment {
                    // Nothing is written before the hub above accepts the code.
                    try checkWritable(path)
                    enrolled = try await enrol(
                        hub: upstream, code: enrolment, kind: "hub", name: name, expectedUnit: unit)
                }
                let replica: Replica
                do {
                    replica = try createReplica(
                        at: path, unit: enrolled?.unit ?? unit!, name: name, origin: enrolled?.origin, role: .hub)
                    try enrolled?.upstream.save(to: replica)
                    _ = try HubStore.create(replica: replica, storage: replica.storage as! SQLiteStorage)
                } catch {
                    if (error as? StoreError)?.kind != .alreadyInitialized { removeReplicaFiles(at: path) }
                    if let enrolled { throw enrolledButNotCreated(enrolled, path: path, error) }
                    throw error
                }
                if output.json {
                    printJSON(["origin": replica.origin.description, "unit": replica.unit, "db": location.db])
                } else {
                    print("hub for \(name) (\(replica.unit)) ready in \(location.db)")
                    if let upstream = enrolled?.upstream {
                        print("enrolled at \(upstream.url) (unit \(upstream.hubUnit)) as \(replica.origin)")
                    }
                }
            }
        }
    }
}

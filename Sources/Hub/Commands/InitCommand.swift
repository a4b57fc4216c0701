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

        @Option(help: "The one-time enrolment code the hub above gave for this hub's unit.")
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
                var connection: (Upstream, String)?
                var generator = SystemRandomNumberGenerator()
                let origin = OriginID(.version7(unixMillis: SystemTimeSource().nowMillis(), using: &generator))
                if let upstream, let enrolment {
                    guard FileManager.default.fileExists(atPath: location.db) == false else {
                        throw StoreError(
                            .alreadyInitialized, path: location.db, operation: "init",
                            detail: "a replica exists already")
                    }
                    let url = try parseHubURL(upstream)
                    let answer = try await HubClient.enrol(
                        baseURL: url, code: enrolment, origin: origin, kind: "hub", name: name)
                    if let unit, unit != answer.unit {
                        throw CommandFailure(
                            code: "unit_mismatch",
                            message: "the enrolment code is for unit \(answer.unit), not \(unit)",
                            hint: "Leave out --unit, or ask for a code for \(unit).")
                    }
                    guard let key = PeerKey(hex: answer.key), let hubOrigin = OriginID(string: answer.hubOrigin) else {
                        throw CommandFailure(
                            code: "bad_enrolment", message: "the hub's enrolment answer is unusable",
                            hint: "Check that the hub runs a matching version of Tre.")
                    }
                    connection = (
                        Upstream(url: url, hubOrigin: hubOrigin, hubUnit: answer.hubUnit, key: key), answer.unit
                    )
                }
                let replica = try createReplica(
                    at: location.databasePath, unit: connection?.1 ?? unit!, name: name, origin: origin)
                if let (upstream, _) = connection { try upstream.save(to: replica) }
                _ = try HubStore(replica: replica, storage: replica.storage as! SQLiteStorage)
                if output.json {
                    printJSON(["origin": replica.origin.description, "unit": replica.unit, "db": location.db])
                } else {
                    print("hub for \(name) (\(replica.unit)) ready in \(location.db)")
                    if let upstream = connection?.0 { print("enrolled at \(upstream.url) (unit \(upstream.hubUnit))") }
                }
            }
        }
    }
}

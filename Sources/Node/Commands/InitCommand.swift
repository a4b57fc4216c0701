import ArgumentParser
import Foundation
import ReplicaCommands
import SyncClient
import SyncCore

extension TreNode {
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a commune's node: enrolled at its hub (--hub, --enrolment), or standalone (--unit).")

        @OptionGroup var location: NodeDirectory
        @OptionGroup var output: OutputOptions

        @Option(help: "The hub's URL, e.g. http://district.example:8080.")
        var hub: String?

        @Option(help: "The one-time enrolment code the hub printed for this commune.")
        var enrolment: String?

        @Option(help: "Without a hub: the commune's administrative code.")
        var unit: String?

        @Option(help: "A name for this node (shown at the hub).")
        var name: String = ""

        func validate() throws {
            if (hub == nil) != (enrolment == nil) { throw ValidationError("--hub and --enrolment go together.") }
            if hub == nil && unit == nil {
                throw ValidationError("Give --hub URL --enrolment CODE, or --unit CODE for a node without a hub.")
            }
        }

        func run() async throws {
            try await reporting(json: output.json) {
                if FileManager.default.fileExists(atPath: location.databasePath) {
                    throw StoreError(
                        .alreadyInitialized, path: location.databasePath, operation: "init",
                        detail: "a replica exists already")
                }
                let origin = newOrigin()
                var upstream: Upstream?
                var communeUnit = unit
                var unitName = name
                if let hub, let enrolment {
                    let enrolled = try await enrol(
                        hub: hub, code: enrolment, origin: origin, kind: "node", name: name, expectedUnit: unit)
                    upstream = enrolled.upstream
                    communeUnit = enrolled.unit
                    if unitName.isEmpty { unitName = enrolled.unitName }
                }
                try createFolder()
                let replica = try createReplica(
                    at: location.databasePath, unit: communeUnit!, name: unitName, origin: origin, role: .node)
                try upstream?.save(to: replica)
                if output.json {
                    printJSON([
                        "origin": replica.origin.description, "unit": replica.unit, "dir": location.dir,
                        "hub": upstream?.url.absoluteString ?? "",
                    ])
                } else {
                    let label = unitName.isEmpty ? replica.unit : "\(unitName) (\(replica.unit))"
                    print(
                        "node for \(label) ready in \(location.dir)"
                            + (upstream.map { ", enrolled at \($0.url)" } ?? ""))
                }
            }
        }

        /// The node's folder, made readable by its owner only when this command creates it (a
        /// folder that exists keeps its mode; the replica in it is created 0600 either way).
        func createFolder() throws {
            guard !FileManager.default.fileExists(atPath: location.dir) else { return }
            do {
                try FileManager.default.createDirectory(atPath: location.dir, withIntermediateDirectories: true)
            } catch {
                throw CommandFailure(
                    code: "cannot_create", message: "cannot create \(location.dir): \(error.localizedDescription)",
                    hint: "Check the path and permissions.")
            }
            guard chmod(location.dir, 0o700) == 0 else {
                throw CommandFailure(
                    code: "cannot_create",
                    message: "cannot make \(location.dir) private: \(String(cString: strerror(errno)))",
                    hint: "Check the path and permissions.")
            }
        }
    }
}

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
                let path = location.databasePath
                if FileManager.default.fileExists(atPath: path) {
                    throw StoreError(
                        .alreadyInitialized, path: path, operation: "init", detail: "a replica exists already")
                }
                if let unit { try checkUnit(unit) }
                var enrolled: EnrolledUpstream?
                if let hub, let enrolment {
                    // Nothing is written before the hub accepts the code.
                    try checkWritable(path)
                    enrolled = try await enrol(hub: hub, code: enrolment, kind: "node", name: name, expectedUnit: unit)
                }
                let unitName = name.isEmpty ? enrolled?.unitName ?? "" : name
                let replica: Replica
                let createdFolder = !FileManager.default.fileExists(atPath: location.dir)
                do {
                    try createFolder()
                    replica = try createReplica(
                        at: path, unit: enrolled?.unit ?? unit!, name: unitName, origin: enrolled?.origin, role: .node)
                    try enrolled?.upstream.save(to: replica)
                } catch {
                    if (error as? StoreError)?.kind != .alreadyInitialized {
                        removeReplicaFiles(at: path)
                        if createdFolder { try? FileManager.default.removeItem(atPath: location.dir) }
                    }
                    if let enrolled { throw enrolledButNotCreated(enrolled, path: path, error) }
                    throw error
                }
                if output.json {
                    printJSON([
                        "origin": replica.origin.description, "unit": replica.unit, "dir": location.dir,
                        "hub": enrolled?.upstream.url.absoluteString ?? "",
                    ])
                } else {
                    let label = unitName.isEmpty ? replica.unit : "\(unitName) (\(replica.unit))"
                    print(
                        "node for \(label) ready in \(location.dir)"
                            + (enrolled.map { ", enrolled at \($0.upstream.url) as \($0.origin)" } ?? ""))
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

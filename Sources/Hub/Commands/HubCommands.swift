import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncClient
import SyncCore

extension TreHub {
    struct SyncUpstream: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync-upstream", abstract: "Sync with the upstream hub now, once: push then pull.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reporting(json: output.json) {
                let hub = try location.openHub(toWrite: "`sync-upstream`")
                guard let upstream = try Upstream.load(from: hub.replica) else {
                    throw CommandFailure(
                        code: "no_upstream", message: "this hub has no upstream",
                        hint: "A hub gets one at init with --upstream URL --enrolment CODE.")
                }
                let syncer = try hub.syncer(to: upstream)
                let report = try await syncer.run()
                if output.json {
                    printJSON([
                        "pushed": report.pushed, "pulled": report.pulled, "push_sets": report.pushSets,
                        "pull_pages": report.pullPages,
                    ])
                } else {
                    print("pushed \(report.pushed) changes, pulled \(report.pulled)")
                }
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the hub: identity, counts, peers, upstream.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub()
                let meta = try hub.replica.meta()
                let counts = try hub.replica.counts()
                let peers = try hub.peers()
                let upstream = try Upstream.load(from: hub.replica)
                // What will go: under `aggregates`, only the aggregates' changes are waiting.
                let policy = try upstream.map { _ in try hub.upstreamPolicy() }
                let sync = try upstream.map { upstream in
                    try SyncStatus.load(from: hub.replica, pushFilter: try hub.upstreamFilter(upstream))
                }
                if output.json {
                    printJSON([
                        "origin": meta.origin.description, "unit": meta.unit, "name": meta.name,
                        "records": String(counts.records), "conflicted_records": String(counts.conflictedRecords),
                        "parked_changes": String(counts.parked), "log_length": String(counts.lastSequence),
                        "units": String(try hub.unitCount()), "peers": String(peers.count),
                        "upstream": upstream?.url.absoluteString ?? "",
                        "waiting_upstream": sync.map { String($0.waiting) } ?? "",
                        "upstream_policy": policy?.rawValue ?? "",
                    ])
                    return
                }
                print(
                    """
                    hub       \(terminalSafe(meta.name)) (\(meta.unit))
                    origin    \(meta.origin)
                    records   \(counts.records), \(counts.conflictedRecords) with open conflicts, \(counts.parked) parked changes
                    log       \(counts.lastSequence) changes
                    units     \(try hub.unitCount()) known, \(try hub.subtree(of: meta.unit).count - 1) below this hub
                    peers     \(peers.count) enrolled, \(peers.filter { $0.peer.revokedAt != nil }.count) of them revoked (`nodes list`)
                    """)
                for record in peers {
                    let peer = record.peer
                    let last = record.lastSeen.map { "last seen \(displayTime($0))" } ?? "never synced"
                    let revoked = peer.revokedAt.map { ", revoked \(displayTime($0))" } ?? ""
                    print(
                        "  \(peer.kind) \(terminalSafe(peer.unit)) \(peer.name.isEmpty ? "" : "\(terminalSafe(peer.name)) ")\(last)\(revoked)"
                    )
                }
                if let upstream, let sync, let policy {
                    print("upstream  \(upstream.url) (\(upstream.hubUnit)): \(sync.waiting) changes waiting")
                    print("policy    \(policy.rawValue): \(policy.summary) (`policy set` to change)")
                }
            }
        }
    }

    struct StateHash: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "state-hash",
            abstract: "Print the digest of the hub's state, or of the records a unit's subtree owns.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Option(help: "Only records owned by this unit or a unit below it.")
        var unit: String?

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub()
                let hash: String
                if let unit {
                    let units = try hub.subtree(of: unit)
                    hash = try hub.replica.stateHash(unit: { $0.map(units.contains) == true })
                } else {
                    hash = try hub.replica.stateHash()
                }
                if output.json { printJSON(["state_hash": hash]) } else { print(hash) }
            }
        }
    }
}

import ArgumentParser
import Foundation
import ReplicaCommands
import SyncClient
import SyncCore

extension TreNode {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the node: last sync, changes waiting, parked changes, open conflicts, clock.")

        @OptionGroup var location: NodeDirectory
        @OptionGroup var output: OutputOptions

        /// Beyond this the node warns that its clock is off the hub's.
        static let clockWarningMillis: Int64 = 10 * 60 * 1000

        func run() throws {
            try reporting(json: output.json) {
                let storage = try location.openStorage()
                let replica = try Replica(storage: storage, time: SystemTimeSource())
                let meta = try replica.meta()
                let counts = try replica.counts()
                let upstream = try Upstream.load(from: replica)
                let sync = try SyncStatus.load(from: replica, pushFilter: LogFilter(onlyOrigin: replica.origin))
                let offset = sync.clockOffsetMillis ?? 0
                let clockWarning =
                    abs(offset) > Self.clockWarningMillis
                    ? "this machine's clock is \(abs(offset) / 60_000) minutes \(offset > 0 ? "behind" : "ahead of") the hub's: set it"
                    : nil
                if output.json {
                    printJSON([
                        "origin": meta.origin.description, "unit": meta.unit, "name": meta.name,
                        "hub": upstream?.url.absoluteString ?? "",
                        "last_sync": sync.lastSuccessMillis.map(formatTime) ?? "",
                        "last_error": sync.lastError ?? "",
                        "changes_waiting": String(sync.waiting), "parked_changes": String(counts.parked),
                        "conflicted_records": String(counts.conflictedRecords), "records": String(counts.records),
                        "clock_offset_ms": String(offset), "clock_warning": clockWarning ?? "",
                        "protection": storage.protection?.rawValue ?? "none",
                    ])
                    return
                }
                print(
                    """
                    node      \(meta.name.isEmpty ? meta.unit : "\(meta.name) (\(meta.unit))")
                    origin    \(meta.origin)
                    hub       \(upstream.map { "\($0.url) (\($0.hubUnit))" } ?? "none (standalone)")
                    last sync \(sync.lastSuccessMillis.map(displayTime) ?? "never")\(sync.lastError.map { "; last attempt failed: \($0)" } ?? "")
                    waiting   \(sync.waiting) changes to push
                    records   \(counts.records), \(counts.conflictedRecords) with open conflicts
                    parked    \(counts.parked) changes waiting for earlier ones
                    at rest   \(storage.protection.map { "protected by \($0)" } ?? "NOT protected (made with --unprotected)")
                    """)
                if let clockWarning { print("WARNING   \(clockWarning)") }
            }
        }
    }
}

import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncClient
import SyncCore

extension TreNode {
    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sync with the hub: push this node's changes, then pull the hub's.",
            discussion: """
                Resumable: each acknowledged set and each applied page is saved at once, so a \
                link that drops loses at most the set in flight. Exit codes: 0 done, 1 bad input, \
                2 hub unreachable (retry later), 3 refused by the hub.
                """)

        @OptionGroup var location: NodeDirectory
        @OptionGroup var output: OutputOptions

        @Flag(
            help:
                "Keep running: sync every day at --at (or every --every), retrying with backoff while the link is down."
        )
        var daemon = false

        @Option(help: "With --daemon: the time of the nightly sync, HH:MM, in Vietnam (or the zone of TZ).")
        var at: String = "02:00"

        @Option(
            help:
                "With --daemon: sync this often instead of nightly, e.g. 30m, 2h (for offices whose link comes and goes)."
        )
        var every: String?

        @Option(help: "Changes per pushed set: smaller sets lose less when a poor link drops.")
        var maxSetChanges = 2_000

        @Option(help: "Bytes per pulled page (before compression).")
        var maxPageBytes = 1 << 20

        @Option(
            help:
                "Seconds with no byte moving before an exchange with the hub is given up (exit 2); a slow link that keeps moving is never cut."
        )
        var stallTimeout = 60

        func validate() throws {
            if let every, parseSeconds(every) == nil {
                throw ValidationError("--every takes a duration such as 30s, 15m or 2h.")
            }
            guard maxSetChanges >= 1, maxPageBytes >= 1024 else {
                throw ValidationError("--max-set-changes must be at least 1 and --max-page-bytes at least 1024.")
            }
            guard (1...3600).contains(stallTimeout) else {
                throw ValidationError("--stall-timeout takes seconds from 1 to 3600 (60 by default).")
            }
            guard Self.parseTime(at) != nil else { throw ValidationError("--at takes a time HH:MM, e.g. 02:00.") }
        }

        static func parseTime(_ text: String) -> (hour: Int, minute: Int)? {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour),
                (0..<60).contains(minute)
            else { return nil }
            return (hour, minute)
        }

        func syncer() throws -> Syncer {
            let replica = try location.open()
            guard let upstream = try Upstream.load(from: replica) else {
                throw CommandFailure(
                    code: "no_hub", message: "this node is not enrolled at a hub",
                    hint:
                        "Create it with `tre-node init --dir DIR --hub URL --enrolment CODE`; change files work meanwhile."
                )
            }
            var limits = HTTPLimits()
            limits.stallSeconds = stallTimeout
            var syncer = try Syncer(
                replica: replica, upstream: upstream, pushFilter: LogFilter(onlyOrigin: replica.origin),
                dictionary: WireVocabulary.dictionary, definition: DomainDefinition.current.version,
                transport: HTTPTransport(baseURL: upstream.url, limits: limits))
            syncer.maxPushChanges = maxSetChanges
            syncer.maxPullBytes = maxPageBytes
            return syncer
        }

        func run() async throws {
            try await reporting(json: output.json) {
                let syncer = try syncer()
                if daemon {
                    try await runDaemon(syncer)
                    return
                }
                // One sync of a node at a time: a second one is refused, naming the first.
                let lock = try location.lock(purpose: .sync)
                let bar = ProgressBar(enabled: !output.json && isatty(STDOUT_FILENO) == 1)
                let report = try await syncer.run { progress in bar.show(progress) }
                bar.finish()
                withExtendedLifetime(lock) {}
                let bytes = syncer.client.bodyBytes
                if output.json {
                    printJSON([
                        "pushed": report.pushed, "pulled": report.pulled, "push_sets": report.pushSets,
                        "pull_pages": report.pullPages, "bytes_sent": bytes.sent, "bytes_received": bytes.received,
                    ])
                } else {
                    print(
                        "pushed \(report.pushed) changes, pulled \(report.pulled) (\(bytes.sent + bytes.received) bytes)"
                    )
                }
            }
        }

        /// Waits for the next --at (or --every), syncs, and on failure retries with a delay
        /// that doubles from 30 s up to 30 min (with --every: from a second up to the interval)
        /// until it succeeds; then waits for the next time.
        func runDaemon(_ syncer: Syncer) async throws {
            let (hour, minute) = Self.parseTime(at)!
            let interval = every.flatMap(parseSeconds)
            let firstRetry = interval.map { max(1, min(30, $0 / 2)) } ?? 30
            let longestRetry = interval.map { min($0, 1800) } ?? 1800
            while true {
                let wait = interval ?? Self.secondsUntil(hour: hour, minute: minute, from: Date())
                log("next sync in \(wait) s")
                try await Task.sleep(for: .seconds(wait))
                var delay = firstRetry
                while true {
                    do {
                        // Each sync takes the node's lock, and lets it go while waiting.
                        let lock = try location.lock(purpose: .sync)
                        let report = try await syncer.run()
                        withExtendedLifetime(lock) {}
                        log("synced: pushed \(report.pushed), pulled \(report.pulled)")
                        break
                    } catch let failure as CommandFailure where failure.code == "replica_busy" {
                        log("\(failure.message); retrying in \(delay) s")
                    } catch let failure as SyncFailure where failure.isRevoked {
                        // Permanent: retrying cannot help; stop with the hub's hint.
                        log("\(failure)")
                        throw failure
                    } catch let failure as SyncFailure where failure.exitCode == 2 {
                        log("hub unreachable (\(failure)); retrying in \(delay) s")
                    } catch {
                        log("sync failed: \(error); retrying in \(delay) s")
                    }
                    try await Task.sleep(for: .seconds(delay))
                    delay = min(delay * 2, longestRetry)
                }
            }
        }

        static func secondsUntil(hour: Int, minute: Int, from now: Date) -> Int {
            var calendar = Calendar.current
            calendar.timeZone = Instant.displayTimeZone
            let next =
                calendar.nextDate(
                    after: now, matching: DateComponents(hour: hour, minute: minute, second: 0),
                    matchingPolicy: .nextTime)
                ?? now.addingTimeInterval(86_400)
            return max(1, Int(next.timeIntervalSince(now).rounded(.up)))
        }

        func log(_ message: String) {
            FileHandle.standardError.write(
                Data("\(Instant.display(Date())) tre-node: \(message)\n".utf8))
        }
    }
}

extension SyncFailure {
    /// The hub revoked this node's enrolment.
    var isRevoked: Bool {
        if case .refused(_, "revoked", _, _) = self { return true }
        return false
    }
}

/// A one-line progress display, on a terminal only.
final class ProgressBar: @unchecked Sendable {
    let enabled: Bool
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: Syncer.Progress) {
        guard enabled else { return }
        shown = true
        let line =
            "\r\(progress.phase == "push" ? "pushing" : "pulling") \(progress.changes) changes, \(progress.bytes / 1024) KB"
        FileHandle.standardOutput.write(Data((line + "   ").utf8))
    }

    func finish() {
        if shown { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }
}

import ArgumentParser
import Domain
import Foundation
import Hummingbird
import Logging
import ReplicaCommands
import ServiceLifecycle
import SyncClient
import SyncCore

extension TreHub {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve nodes and lower hubs over HTTP; with an upstream, sync with it periodically.")

        @OptionGroup var location: HubDatabase

        @Option(help: "The address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "The port to listen on (0: any free port, printed once listening).")
        var port = 8080

        @Option(help: "Sync with the upstream hub this often, e.g. 30s, 15m, 1h (default: never; see sync-upstream).")
        var upstreamEvery: String?

        @Option(
            help: "Set aside changes stamped further than this ahead of this hub's clock, e.g. 12h, 1d, 7d (1m to 30d)."
        )
        var maxClockAhead = "1d"

        @Option(
            help: ArgumentHelp(
                "Who may read /metrics by address: a network or address such as 10.20.0.0/16 or 192.168.1.5, repeatable (default: this machine only, 127.0.0.0/8 and ::1; give 127.0.0.1 too to keep it).",
                valueName: "CIDR"))
        var metricsFrom: [String] = []

        @Option(
            help: ArgumentHelp(
                "Also let a request with `Authorization: Bearer TOKEN` read /metrics, TOKEN being this file's content (16 characters or more).",
                valueName: "FILE"))
        var metricsTokenFile: String?

        func validate() throws {
            for network in metricsFrom where IPNetwork(parsing: network) == nil {
                throw ValidationError(
                    "--metrics-from takes an IPv4 or IPv6 address or network such as 10.20.0.0/16 or fd00::/8, not \"\(network)\"."
                )
            }
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535.") }
            guard let ahead = parseSeconds(maxClockAhead), (60...30 * 86_400).contains(ahead) else {
                throw ValidationError("--max-clock-ahead takes a duration from 1m to 30d, such as 12h or 1d.")
            }
            if let upstreamEvery, parseSeconds(upstreamEvery) == nil {
                throw ValidationError("--upstream-every takes a duration such as 30s, 15m or 1h.")
            }
        }

        /// The line saying where the hub listens: a URL to reach it, except on every interface,
        /// whose address (0.0.0.0, ::) nodes cannot use: they need this machine's name or address.
        static func listening(host: String, port: Int) -> String {
            if ["0.0.0.0", "::", "[::]", "*"].contains(host) {
                return "tre-hub listening on \(host.contains(":") ? "[::]" : host):\(port) "
                    + "(all interfaces; nodes use http://THIS-MACHINE:\(port))"
            }
            return "tre-hub listening on http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        }

        /// Whether the server could not bind because the address is taken (EADDRINUSE), as
        /// SwiftNIO words it; its error type is not visible from here.
        static func isAddressInUse(_ error: any Error) -> Bool {
            let text = String(describing: error)
            return text.contains("Address already in use") || text.contains("errno: \(EADDRINUSE))")
        }

        /// Who may read /metrics: this machine, or `--metrics-from`'s networks instead; and
        /// `--metrics-token-file`'s token from anywhere.
        func metricsAccess() throws -> MetricsAccess {
            var access = MetricsAccess()
            if !metricsFrom.isEmpty { access.networks = metricsFrom.compactMap(IPNetwork.init(parsing:)) }
            if let metricsTokenFile {
                // Like ssh with a private key: a token others on the machine may read (or replace)
                // is no secret; refused before it is read.
                if let mode = (try? FileManager.default.attributesOfItem(atPath: metricsTokenFile))?[.posixPermissions]
                    as? Int, mode & 0o077 != 0
                {
                    throw CommandFailure(
                        code: "token_file_open",
                        message:
                            "the metrics token file \(metricsTokenFile) may be read or written by other users (mode "
                            + String(mode & 0o777, radix: 8) + ")",
                        hint: "Make it the hub user's only: `chmod 600 \(metricsTokenFile)`, then start the hub again.")
                }
                guard let data = FileManager.default.contents(atPath: metricsTokenFile) else {
                    throw CommandFailure(
                        code: "no_token_file", message: "cannot read the metrics token file \(metricsTokenFile)",
                        hint:
                            "Write a long random token in it (e.g. `openssl rand -hex 32 > FILE; chmod 600 FILE`), readable by the hub's user only."
                    )
                }
                let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard token.count >= 16, !token.contains(where: { $0.isWhitespace }) else {
                    throw CommandFailure(
                        code: "weak_token", message: "the metrics token must be one word of 16 characters or more",
                        hint:
                            "Write a long random token in it, e.g. `openssl rand -hex 32 > \(metricsTokenFile)` (mode 600)."
                    )
                }
                access.tokenDigest = sha256Hex(Array(token.utf8))
            }
            return access
        }

        func run() async throws {
            try await reporting(json: false) {
                // Read before the hub is opened: reading the file afterwards would drop SQLite's
                // locks on it (`HubConfiguration.storeAddress`).
                let onPostgres = try location.storeAddress() != nil
                let hub = try location.openHub(toWrite: "`serve`")
                // One server per SQLite file: a second one is refused, naming the first. A hub on
                // PostgreSQL may run several servers on one database (`PostgresStorage`).
                let lock = onPostgres ? nil : try location.lock(purpose: .serve)
                let access = try metricsAccess()
                // One logfmt line per message on standard error (`LogLine`, `LogfmtLogHandler`).
                LoggingSystem.bootstrap { LogfmtLogHandler(label: $0) }
                var logger = Logger(label: "tre-hub")
                logger.logLevel = .info
                let log = logger
                // A network of every address (0.0.0.0/0, ::/0) is taken, but said: /metrics tells
                // which communes synced when, to anyone who can reach the port.
                for network in access.networks where network.prefix == 0 {
                    log.warning(
                        "\(LogLine("metrics_open").with("network", network.description).with("warning", "--metrics-from \(network) opens /metrics to every address; give your monitoring network instead, or use --metrics-token-file"))"
                    )
                }
                let ahead = UInt64(parseSeconds(maxClockAhead) ?? 86_400) * 1000
                let service = HubService(
                    store: hub, dictionary: WireVocabulary.dictionary, maximumFutureMillis: ahead
                ) { message in
                    log.info("\(message)")
                }
                var services: [any Service] = []
                if let every = upstreamEvery.flatMap(parseSeconds).map({ Duration.seconds($0) }) {
                    guard let upstream = try Upstream.load(from: hub.replica) else {
                        throw CommandFailure(
                            code: "no_upstream", message: "this hub has no upstream",
                            hint: "Create it with --upstream URL --enrolment CODE, or leave out --upstream-every.")
                    }
                    services.append(
                        UpstreamSyncService(
                            hub: hub, upstream: upstream, every: every, maximumFutureMillis: ahead, service: service))
                }
                let application = Application(
                    router: HubServer.buildRouter(service: service, metricsAccess: access),
                    configuration: ApplicationConfiguration(
                        address: .hostname(host, port: port), serverName: "tre-hub"),
                    services: services,
                    onServerRunning: { [host] channel in
                        let port = channel.localAddress?.port ?? 0
                        FileHandle.standardOutput.write(Data("\(Self.listening(host: host, port: port))\n".utf8))
                    },
                    logger: logger)
                defer { withExtendedLifetime(lock) {} }
                do {
                    // SIGTERM (systemd's stop) or SIGINT: the server stops accepting, answers the
                    // requests in flight (a push applies whole, in one transaction, or not at
                    // all), then the process exits 0.
                    try await application.runService()
                } catch  where Self.isAddressInUse(error) {
                    throw CommandFailure(
                        code: "port_in_use",
                        message:
                            "port \(port) is in use (another tre-hub serve? `ss -ltnp 'sport = :\(port)'`); choose another with --port",
                        hint:
                            "Stop what listens there, or give another port (0: any free port, printed once listening).")
                }
            }
        }
    }
}

/// Syncs with the upstream hub every interval while the server runs; stops with it. Each run
/// writes one `event=sync dir=upstream` line and counts in the hub's metrics.
struct UpstreamSyncService: Service {
    let hub: HubStore
    let upstream: Upstream
    let every: Duration
    let maximumFutureMillis: UInt64
    let service: HubService

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await relay()
                // Cancelled by a graceful shutdown (SIGTERM): stopping is not a failure, and
                // `serve` exits 0 (it printed CancellationError and exited 1).
                do { try await Task.sleep(for: every) } catch { return }
            }
        }
    }

    func relay() async {
        let start = ContinuousClock.now
        var moved = SyncTally.Moved()
        var bytes = (sent: 0, received: 0)
        var outcome = "ok"
        var reason: String?
        do {
            let syncer = try hub.syncer(to: upstream, maximumFutureMillis: maximumFutureMillis)
            defer { bytes = syncer.client.bodyBytes }
            let report = try await syncer.run()
            moved.sent = report.pushed
            moved.received = report.pulled
        } catch let failure as SyncFailure {
            switch failure {
            case .refused(_, let code, _, _): (outcome, reason) = ("refused", code)
            case .unreachable: (outcome, reason) = ("error", "unreachable")
            case .protocolViolation: (outcome, reason) = ("error", "protocol")
            }
        } catch {
            (outcome, reason) = ("error", "internal")
        }
        let duration = ContinuousClock.now - start
        service.metrics.sentChanges(moved.sent, to: "upstream")
        service.metrics.merged(moved.received, from: "upstream")
        service.metrics.sync("upstream", outcome: outcome, duration: duration)
        service.log(
            HubServer.syncLine(
                direction: "upstream", peer: (upstream.hubOrigin.description, upstream.hubUnit, "hub"), moved: moved,
                bytesIn: bytes.received, bytesOut: bytes.sent, duration: duration, outcome: outcome, reason: reason
            ).description)
    }
}

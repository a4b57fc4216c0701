import Foundation
import Hummingbird
import SyncCore

/// Who made a request to the protocol's routes and what it moved: read by its log line and
/// the metrics once it is answered.
struct SyncTally: Sendable {
    /// Changes a push carried and what became of them, and changes a pull sent.
    struct Moved: Sendable {
        var received = 0
        var merged = 0
        var duplicates = 0
        var parked = 0
        var setAside = 0
        var sent = 0
    }

    /// The peer the request authenticated as; nil when it did not.
    var peer: HubStore.Peer?
    var moved = Moved()
    /// The refusal's code, when the hub refused (`internal` for an error of its own).
    var refusal: String?
    /// The hub failed (500), rather than refused.
    var failed = false
}

extension HubServer {
    /// The protocol's routes, as a log line may name them: any other path (the fuzz test sends
    /// them to `handle` directly) is `unmatched`, never its raw text.
    static let protocolRoutes: Set<String> = ["/v1/enrol", "/v1/push", "/v1/pull", "/v1/status"]

    /// Logs and counts an answered request: exactly one `event=sync` line for a push or a pull,
    /// whatever its outcome (before or after authentication); a line for a refused enrolment
    /// or status; the refusal under its code in `tre_hub_refusals_total`.
    static func observe(
        _ exchange: Exchange, reply: Reply, tally: SyncTally, duration: Duration, service: HubService
    ) {
        if let reason = tally.refusal, !tally.failed { service.metrics.refused(reason, level: .request) }
        let route = protocolRoutes.contains(exchange.path) ? exchange.path : "unmatched"
        let direction: String? =
            switch (exchange.method, exchange.path) {
            case ("POST", "/v1/push"): "push"
            case ("GET", "/v1/pull"): "pull"
            default: nil
            }
        guard let direction else {
            if let reason = tally.refusal, !tally.failed {
                let event = route == "/v1/enrol" ? LogLine("enrol").with("outcome", "refused") : LogLine("refused")
                service.log(event.with("route", route).with("reason", reason).description)
            }
            return
        }
        let outcome = tally.failed ? "error" : tally.refusal == nil ? "ok" : "refused"
        service.metrics.sync(direction, outcome: outcome, duration: duration)
        service.log(
            syncLine(
                direction: direction, peer: tally.peer.map { ($0.origin.description, $0.unit, $0.kind) },
                moved: tally.moved, bytesIn: exchange.body.count, bytesOut: reply.body.count, duration: duration,
                outcome: outcome, reason: tally.refusal
            ).description)
    }

    /// The one line of a sync, its keys always present and in this order:
    /// `event=sync dir=push|pull|upstream node=ORIGIN unit=CODE kind=node|hub changes_in=N
    /// merged=N duplicates=N parked=N set_aside=N changes_out=N bytes_in=N bytes_out=N
    /// duration_ms=N outcome=ok|refused|error reason=CODE` (`-` for a peer that did not
    /// authenticate and for the reason of a sync that went well).
    static func syncLine(
        direction: String, peer: (origin: String, unit: String, kind: String)?, moved: SyncTally.Moved,
        bytesIn: Int, bytesOut: Int, duration: Duration, outcome: String, reason: String?
    ) -> LogLine {
        let millis = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return LogLine("sync").with("dir", direction).with("node", peer?.origin ?? "-").with("unit", peer?.unit ?? "-")
            .with("kind", peer?.kind ?? "-").with("changes_in", moved.received).with("merged", moved.merged)
            .with("duplicates", moved.duplicates).with("parked", moved.parked).with("set_aside", moved.setAside)
            .with("changes_out", moved.sent).with("bytes_in", bytesIn).with("bytes_out", bytesOut)
            .with("duration_ms", Int(millis)).with("outcome", outcome).with("reason", reason ?? "-")
    }

    /// `GET /metrics`: the Prometheus text, to those `access` allows; 403 to anyone else.
    static func metrics(
        _ request: Request, context: HubRequestContext, service: HubService, access: MetricsAccess
    ) async throws -> Response {
        if case .refused(let why) = access.decide(remote: context.remoteAddress, headers: request.headers) {
            service.metrics.refused("metrics_forbidden", level: .request)
            service.log(LogLine("refused").with("route", "/metrics").with("reason", "metrics_forbidden").description)
            return bytes(
                HubRefusal(
                    statusCode: 403, code: "metrics_forbidden",
                    message: "\(why); /metrics is for this machine, the networks given with --metrics-from, "
                        + "or a request with the bearer token of --metrics-token-file",
                    hint:
                        "Scrape from the hub's machine, or start the hub with --metrics-from CIDR (your monitoring "
                        + "network) or --metrics-token-file FILE and send Authorization: Bearer TOKEN."
                ).json, status: 403, contentType: "application/json")
        }
        let text = try await blocking {
            // The conflicted records only (a partial index), not `counts()`, which also counts
            // every record: a province's scrape every 15 s must not scan 500,000 rows.
            let conflicts = try service.replica.storage.read { try $0.conflictedKeys().count }
            let peers = try service.store.peers().filter { $0.peer.revokedAt == nil }.map {
                HubMetrics.PeerSync(
                    origin: $0.peer.origin.description, unit: $0.peer.unit, kind: $0.peer.kind,
                    lastSeenMillis: $0.lastSeen)
            }
            return service.metrics.exposition(conflicts: conflicts, peers: peers)
        }
        return bytes(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}

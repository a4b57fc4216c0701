import CoreMetrics
import Foundation
import Synchronization

import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// The hub's metrics, recorded through swift-metrics' API into a Prometheus registry of this
/// hub's own and written out as Prometheus text by `/metrics`. Not the process-wide
/// `MetricsSystem` (which Hummingbird's `MetricsMiddleware` records into): it can be bootstrapped
/// once per process, and two hubs in one test process must keep their counts apart.
///
/// Every label value is a code from a closed list (a route pattern, a method, a status, a
/// refusal code, a direction) or an identifier that names no person (a node's origin, a unit
/// code): never a raw path, a node's name or a record's value.
final class HubMetrics: Sendable {
    enum Name {
        static let requests = "tre_hub_requests_total"
        static let bytesReceived = "tre_hub_bytes_received_total"
        static let bytesSent = "tre_hub_bytes_sent_total"
        static let changesMerged = "tre_hub_changes_merged_total"
        static let changesSent = "tre_hub_changes_sent_total"
        static let refusals = "tre_hub_refusals_total"
        static let syncs = "tre_hub_syncs_total"
        static let syncDuration = "tre_hub_sync_duration_seconds"
        static let conflictsOpen = "tre_hub_conflicts_open"
        static let peerLastSync = "tre_hub_peer_last_sync_timestamp_seconds"
        static let pullsFromStart = "tre_hub_pulls_restarted_total"
    }

    /// Where a refusal was decided: a whole request (its signature, its size, its positions…)
    /// or one change of a push, set aside (out of scope, invalid value, not permitted…).
    enum Level: String {
        case request, change
    }

    /// The methods counted by name; any other is counted as `other` (a client choosing methods
    /// must not make new series).
    static let methods: Set<String> = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "HEAD"]

    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// The peers with a last-sync gauge, by origin: a peer revoked since loses its series.
    private let peerGauges = Mutex<[String: CoreMetrics.Gauge]>([:])

    init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
        // The counters a dashboard reads from the start are there at 0 before anything happens.
        for from in ["peer", "upstream"] { counter(Name.changesMerged, [("from", from)]).increment(by: 0) }
        for to in ["peer", "upstream"] { counter(Name.changesSent, [("to", to)]).increment(by: 0) }
    }

    private func counter(_ name: String, _ labels: [(String, String)]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name, dimensions: labels, factory: factory)
    }

    /// One HTTP request answered: `route` is the router's pattern (`unmatched` when none).
    func request(route: String, method: String, status: Int) {
        let method = Self.methods.contains(method) ? method : "other"
        counter(Name.requests, [("route", route), ("method", method), ("status", String(status))]).increment()
    }

    /// Body bytes read from a request (what came over the wire, compressed change sets as sent).
    func received(route: String, bytes: Int) {
        guard bytes > 0 else { return }
        counter(Name.bytesReceived, [("route", route)]).increment(by: bytes)
    }

    /// Body bytes of an answer.
    func sent(route: String, bytes: Int) {
        guard bytes > 0 else { return }
        counter(Name.bytesSent, [("route", route)]).increment(by: bytes)
    }

    /// Changes applied to the hub's replica: pushed by a peer (`peer`) or pulled from the hub
    /// above (`upstream`).
    func merged(_ count: Int, from: String) {
        guard count > 0 else { return }
        counter(Name.changesMerged, [("from", from)]).increment(by: count)
    }

    /// Changes sent: pulled by a peer (`peer`) or pushed to the hub above (`upstream`).
    func sentChanges(_ count: Int, to: String) {
        guard count > 0 else { return }
        counter(Name.changesSent, [("to", to)]).increment(by: count)
    }

    /// A pull served from the start of the log because the caller's position is not in it
    /// (`beyond_log`: past its end; `other_entry`: another change holds it): the log went back in
    /// time without `tre-hub restored`, or the caller is confused.
    func pullRestarted(_ reason: String) {
        counter(Name.pullsFromStart, [("reason", reason)]).increment()
    }

    func refused(_ reason: String, level: Level) {
        counter(Name.refusals, [("level", level.rawValue), ("reason", reason)]).increment()
    }

    /// One sync (a push, a pull, an upstream relay) ended with `outcome` (ok, refused, error).
    func sync(_ direction: String, outcome: String, duration: Duration) {
        let labels = [("direction", direction)]
        counter(Name.syncs, labels + [("outcome", outcome)]).increment()
        let (seconds, attoseconds) = duration.components
        CoreMetrics.Timer(label: Name.syncDuration, dimensions: labels, factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// A peer as the last-sync gauge names it: its origin, unit code and kind (never its name,
    /// which the operator typed and may name a person).
    struct PeerSync {
        let origin: String
        let unit: String
        let kind: String
        let lastSeenMillis: UInt64?
    }

    /// The Prometheus text: the gauges read from the store now (`conflicts`: records with open
    /// conflicts; `peers`: the active peers), then every series.
    func exposition(conflicts: Int, peers: [PeerSync]) -> [UInt8] {
        CoreMetrics.Gauge(label: Name.conflictsOpen, factory: factory).record(conflicts)
        peerGauges.withLock { gauges in
            var current: [String: CoreMetrics.Gauge] = [:]
            for peer in peers {
                guard let seen = peer.lastSeenMillis else { continue }
                let gauge =
                    gauges[peer.origin]
                    ?? CoreMetrics.Gauge(
                        label: Name.peerLastSync,
                        dimensions: [("node", peer.origin), ("unit", peer.unit), ("kind", peer.kind)],
                        factory: factory)
                gauge.record(Double(seen) / 1000)
                current[peer.origin] = gauge
            }
            for (origin, gauge) in gauges where current[origin] == nil { gauge.destroy() }
            gauges = current
        }
        return registry.emitToBuffer()
    }
}

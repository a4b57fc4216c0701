import Foundation
import SyncCore
import TestSupport
import Testing

@testable import Hub

extension HubService {
    /// Enrols a new replica of `unit` as a client does: a one-time code of `kind`, the origin
    /// the hub assigns, a replica made with it. Returns the replica (in memory) and its peer.
    func enrolReplica(unit: String, kind: HubStore.Kind = .node, clock: ManualClock) throws -> (Replica, HubStore.Peer)
    {
        let code = try store.createEnrolment(unit: unit, kind: kind, hours: 24, now: clock.nowMillis()).code
        let answer =
            try JSONSerialization.jsonObject(
                with: Data(try enrol(body: jsonBytes(["code": code, "kind": kind.rawValue])))) as? [String: String]
        let origin = try #require(answer?["origin"].flatMap(OriginID.init(string:)))
        let replica = try Replica.initialize(storage: MemoryStorage(), origin: origin, unit: unit, time: clock)
        return (replica, try #require(try store.peer(origin)))
    }
}

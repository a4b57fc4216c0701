import Foundation
import SyncCore
import TestSupport
import Testing

@testable import Hub

extension HubService {
    /// District 415 (Kỳ Sơn) with communes 17605 and 17608, its hub on an SQLite file at
    /// `path` with origin 100 and the test's clock: the start of most hub tests.
    static func district(at path: String, clock: ManualClock) throws -> HubService {
        let storage = try SQLiteStorage(path: path)
        let replica = try Replica.initialize(
            storage: storage, origin: testOrigin(100), unit: "415", name: "Kỳ Sơn", time: clock)
        let store = try HubStore.create(replica: replica, storage: storage)
        _ = try store.importUnits([
            .init(code: "415", name: "Kỳ Sơn", level: "district", parentCode: "40"),
            .init(code: "17605", name: "Mường Lống", level: "commune", parentCode: "415"),
            .init(code: "17608", name: "Huồi Tụ", level: "commune", parentCode: "415"),
        ])
        return HubService(store: store, dictionary: nil) { _ in }
    }

    /// Enrols a new replica of `unit` as a client does: a one-time code of `kind`, the origin
    /// the hub assigns, a replica made with it. Returns the replica (in memory) and its peer.
    /// `origin`, when given, is assigned instead of a fresh one (what the protocol never does),
    /// for tests that must replay exactly from a seed.
    func enrolReplica(unit: String, kind: HubStore.Kind = .node, clock: ManualClock, origin fixed: OriginID? = nil)
        throws -> (Replica, HubStore.Peer)
    {
        let code = try store.createEnrolment(unit: unit, kind: kind, hours: 24, now: clock.nowMillis()).code
        let origin: OriginID
        if let fixed {
            guard
                case .success = try store.enrol(
                    code: code, kind: kind, name: "", expectedUnit: unit, now: clock.nowMillis(), assigning: fixed)
            else { throw StoreError(.other, path: "", operation: "enrol", detail: "refused") }
            origin = fixed
        } else {
            let answer =
                try JSONSerialization.jsonObject(
                    with: Data(try enrol(body: jsonBytes(["code": code, "kind": kind.rawValue])))) as? [String: String]
            origin = try #require(answer?["origin"].flatMap(OriginID.init(string:)))
        }
        let replica = try Replica.initialize(storage: MemoryStorage(), origin: origin, unit: unit, time: clock)
        return (replica, try #require(try store.peer(origin)))
    }
}

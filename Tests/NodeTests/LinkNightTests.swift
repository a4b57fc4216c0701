import Foundation
import SyncCore
import TestSupport
import Testing

/// `tre-bench link` on a small commune: a real hub and node through the bench's throttling
/// proxy, with connections cut from a seed. The test reads the files the night left behind
/// itself: node and hub hold the same commune, and the cut night ended where the clean one did.
@Suite(.serialized) struct LinkNightTests {
    @Test func aCutNightOnASlowLinkEndsWhereTheCleanOneDoes() throws {
        let directory = try TemporaryDirectory()
        let kept = directory.path("night")
        // A short round trip and a high cut chance keep it quick and make cuts certain enough.
        let result = try Executables.run(
            "tre-bench",
            [
                "link", "--quick", "--seed", "7", "--round-trip-ms", "100", "--cut-probability", "0.6",
                "--cut-within", "1500", "--retry-wait", "0.1", "--keep", kept,
            ], timeout: 240)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let clean = try #require(report["clean"] as? [String: Any])
        let cut = try #require(report["cut"] as? [String: Any])
        let idle = try #require(report["idle"] as? [String: Any])
        // The proxy did cut, and the node had to run again.
        #expect((cut["cuts"] as? Int ?? 0) >= 1)
        #expect((cut["tre_node_runs"] as? Int ?? 0) >= 2)
        #expect((clean["cuts"] as? Int) == 0)
        #expect((clean["tre_node_runs"] as? Int) == 1)
        // A night with changes both ways: one push, one pull; with nothing pending: one pull,
        // even though the night before pulled the district's edit (no empty push to say so).
        #expect((report["district_edits"] as? Int ?? 0) >= 1)
        #expect((clean["request_list"] as? [String]) == ["POST /v1/push", "GET /v1/pull"])
        #expect((idle["request_list"] as? [String]) == ["GET /v1/pull"])
        // Kept alive: the night's two requests on one connection (each on its own before).
        #expect((clean["requests_per_connection"] as? [Int]) == [2])
        #expect((clean["connections"] as? Int) == 1)
        #expect((cut["bytes"] as? Int ?? 0) > (clean["bytes"] as? Int ?? .max))

        // The files themselves, read here.
        let keyText = try String(contentsOfFile: kept + "/node.key", encoding: .utf8)
        let key = try #require(ReplicaKey(keyFileText: keyText))
        let cutNights = try #require(report["cut_nights"] as? Int)
        #expect(cutNights >= 2)
        var hubHashes: [String] = []
        for name in ["clean"] + (1...cutNights).map({ "cut-\($0)" }) {
            let hub = try Replica(
                storage: try SQLiteStorage(path: "\(kept)/\(name)/hub.sqlite"), time: SystemTimeSource())
            let node = try Replica(
                storage: try SQLiteStorage(path: "\(kept)/\(name)/node/replica.sqlite", secret: .key(key)),
                time: SystemTimeSource())
            let hubHash = try #require(try hub.stateHashesByUnit()["44001"])
            #expect(try node.stateHash(unit: { $0 == "44001" }) == hubHash, "\(name): node and hub differ")
            hubHashes.append(hubHash)
        }
        #expect(Set(hubHashes).count == 1, "every cut night must end where the clean one does")
        // And the night did move something: before it, the hub's copy differed from the end.
        let before = try Replica(
            storage: try SQLiteStorage(path: "\(kept)/base/hub.sqlite"), time: SystemTimeSource())
        #expect(try before.stateHashesByUnit()["44001"] != hubHashes[0])
    }
}

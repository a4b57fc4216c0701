import Foundation
import SyncClient
import SyncCore
import TestSupport
import Testing

/// The trust boundary over real HTTP: a real `tre-hub serve`, real nodes, and a tampered
/// node ("mallory", enrolled for commune 17608) that signs whatever it likes with its key.
@Suite(.serialized) struct TrustBoundaryProcessTests {
    /// The id printed by `record put --json`.
    static func put(_ arguments: String...) throws -> String {
        let result = try Executables.run("tre-node", ["record", "put"] + arguments + ["--json"]).ok()
        return (try json(result) as! [String: String])["id"]!
    }

    static func unitHash(_ db: String, _ unit: String) throws -> String {
        try Executables.hub("state-hash", "--db", db, "--unit", unit).ok().line
    }

    @Test func aTamperedNodeCannotTouchAnotherCommunesChildNorCrashTheHub() async throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let a = directory.path("a")
        try district.node("17605", in: a, url: hub.url)
        let mallory = directory.path("mallory")
        try district.node("17608", in: mallory, url: hub.url)
        let child = try Self.put(
            "--dir", a, "children", "--unit", "17605", "full_name=Vừ Thị Mỷ", "sex=F", "date_of_birth=2019-09-05",
            "village=Bản Mòn")
        try Executables.node("sync", "--dir", a).ok()
        let before = try Self.unitHash(district.database, "17605")
        #expect(before == (try Executables.node("state-hash", "--dir", a).ok().line))

        // Mallory's own key and origin, read from its replica, sign crafted sets.
        let replica = try openReplica(mallory + "/replica.sqlite")
        let upstream = try #require(try Upstream.load(from: replica))
        let client = HubClient(
            baseURL: upstream.url, origin: replica.origin, key: upstream.key, time: SystemTimeSource())
        let childID = try #require(RecordID(string: child))
        let creation = try #require(
            try openReplica(a + "/replica.sqlite")
                .record("children", id: childID))
        let now = SystemTimeSource().nowMillis()
        func forged(_ counter: UInt64, context: VersionVector, _ set: FieldMap<FieldValue>, wall: UInt64 = now)
            -> Change
        {
            Change(
                dot: Dot(origin: replica.origin, counter: counter), stamp: Stamp(wallMillis: wall, logical: 0),
                collection: "children", record: childID, unit: set[ReservedField.unit]?.stringValue ?? "17605",
                context: context, set: set)
        }
        let attacks = [
            forged(1, context: VersionVector(), [ReservedField.unit: "17608", "full_name": "kẻ mạo danh"]),
            forged(2, context: creation.version, ["full_name": "kẻ mạo danh"]),
            forged(3, context: creation.version, [ReservedField.deleted: true]),
            forged(4, context: VersionVector(), ["sex": "M"], wall: now + 3 * 86_400_000),
        ]
        let body = ChangeSet(kind: .push, sender: replica.origin, from: 0, to: 4, changes: attacks).encode(
            key: upstream.key)
        let response = try await client.send("POST", "/v1/push", body: body)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let codes = (answer["set_aside"] as? [[String: Any]] ?? []).map { $0["code"] as? String }
        // (Mallory's later changes leave its first, set aside, out of their contexts: that alone
        // refuses them; each attack on its own is `out_of_scope`, see TrustBoundaryTests.)
        #expect(codes == ["claims_existing_record", "inconsistent_context", "inconsistent_context", "future_time"])
        #expect(answer["applied"] as? Int == 0)

        // Numbers no log reaches: refused with a message, and the hub is still serving.
        let huge = ChangeSet(kind: .push, sender: replica.origin, from: 4, to: .max, changes: attacks).encode(
            key: upstream.key)
        await #expect(throws: SyncFailure.self) { _ = try await client.send("POST", "/v1/push", body: huge) }
        let page = try await client.send("GET", "/v1/pull", query: "after=18446744073709551615&max_bytes=-5")
        #expect(page.status == 200)
        await #expect(throws: SyncFailure.self) {
            _ = try await client.send("GET", "/v1/pull", query: "after=99999999999999999999999")
        }
        let status = try await client.send("GET", "/v1/status")
        #expect(status.status == 200)

        #expect(try Self.unitHash(district.database, "17605") == before)
        let listed =
            try json(Executables.hub("set-aside", "--db", district.database, "--json").ok()) as! [[String: Any]]
        #expect(listed.count == 4)
        #expect(listed.allSatisfy { $0["peer"] as? String == replica.origin.description })
        #expect(
            try Executables.hub("set-aside", "discard", "--db", district.database, "--all").ok().line == "discarded 4")
        try Executables.node("sync", "--dir", a).ok()
        #expect(try Executables.node("state-hash", "--dir", a).ok().line == before)
    }

    @Test func anEditTheHubRefusesIsSetAsideAndEverythingElseKeepsFlowing() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let db = district.database
        let a = directory.path("a")
        try district.node("17605", in: a, url: hub.url)
        let child = try Self.put(
            "--dir", a, "children", "--unit", "17605", "full_name=Lò Văn Páo", "sex=M", "date_of_birth=2016-02-11",
            "village=Bản Mòn")
        try Executables.node("sync", "--dir", a).ok()
        // The district moves the child to Huồi Tụ; commune A hears of it, then edits anyway.
        try Executables.hub("record", "put", "--db", db, "children", "--id", child, "--unit", "17608").ok()
        try Executables.node("sync", "--dir", a).ok()
        try Executables.node("record", "put", "--dir", a, "children", "--id", child, "notes=Ghi chú riêng 4711").ok()
        let other = try Self.put(
            "--dir", a, "children", "--unit", "17605", "full_name=Giàng A Tủa", "sex=M", "date_of_birth=2018-07-30",
            "village=Bản Lầu")
        let synced = try Executables.node("sync", "--dir", a)
        #expect(synced.status == 0, "a refused change must not block the node: \(synced.stderr)")
        #expect(try Executables.hub("record", "get", "--db", db, "children", other).status == 0)

        let rejected = try json(Executables.node("rejected", "--dir", a, "--json").ok()) as! [[String: Any]]
        #expect(rejected.count == 1)
        #expect(rejected.first?["code"] as? String == "out_of_scope")
        #expect(rejected.first?["record"] as? String == child)
        let text = try Executables.node("rejected", "--dir", a).ok().stdout
        #expect(text.contains("Báo huyện"))
        #expect(!text.contains("Ghi chú riêng 4711"), "the worker's list names fields, never values")
        let status = try json(Executables.node("status", "--dir", a, "--json").ok()) as! [String: String]
        #expect(status["changes_waiting"] == "0")

        // The district's staff accept it; the commune dismisses it from its list.
        let accepted = try json(Executables.hub("set-aside", "accept", "--db", db, "--all", "--json").ok())
        #expect((accepted as? [String: Int])?["applied"] == 1)
        let record = try Executables.hub("record", "get", "--db", db, "children", child, "--json").ok().stdout
        #expect(record.contains("Ghi chú riêng 4711"))
        let change = rejected.first?["change"] as! String
        #expect(try Executables.node("rejected", "dismiss", "--dir", a, change).ok().line == "dismissed 1")
        #expect(try Executables.node("rejected", "--dir", a).ok().stdout.contains("accepted every change"))
    }

    /// Peak resident memory of a process, from its /proc entry.
    static func peakMegabytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }

    @Test func aSmallRequestDeclaringHugeArraysCannotMakeTheHubAllocate() async throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let mallory = directory.path("mallory")
        try district.node("17608", in: mallory, url: hub.url)
        let replica = try openReplica(mallory + "/replica.sqlite")
        let upstream = try #require(try Upstream.load(from: replica))
        let client = HubClient(
            baseURL: upstream.url, origin: replica.origin, key: upstream.key, time: SystemTimeSource())
        let before = try Self.peakMegabytes(hub.process.processIdentifier)
        // Sixteen million nulls in nested arrays: a few tens of kilobytes once compressed.
        let nulls = FieldValue.array(Array(repeating: .array(Array(repeating: .null, count: 4_000)), count: 4_000))
        let change = Change(
            dot: Dot(origin: replica.origin, counter: 1),
            stamp: Stamp(wallMillis: SystemTimeSource().nowMillis(), logical: 0),
            collection: "children", record: testRecord(1), unit: "17608", context: VersionVector(),
            set: ["notes": nulls, ReservedField.unit: "17608"])
        let body = ChangeSet(kind: .push, sender: replica.origin, from: 0, to: 1, changes: [change]).encode(
            key: upstream.key)
        #expect(body.count < 100_000)
        do {
            _ = try await client.send("POST", "/v1/push", body: body)
            Issue.record("the hub accepted a set that inflates a thousandfold")
        } catch SyncFailure.refused(let status, let code, _, _) {
            #expect(status == 413)
            #expect(code == "decompression_bomb")
        }
        let after = try Self.peakMegabytes(hub.process.processIdentifier)
        #expect(after - before < 50, "the hub's peak memory grew from \(before) to \(after) MB")
        #expect(try await client.send("GET", "/v1/status").status == 200)
    }

    @Test func aHugeDurationOnTheCommandLineIsRefusedNotTrapped() throws {
        let directory = try TemporaryDirectory()
        let node = try Executables.node(
            "sync", "--dir", directory.path("n"), "--daemon", "--every", "99999999999999999h")
        #expect(node.status == 1, "exited \(node.status): a trap ends with a signal's number")
        #expect(node.stderr.contains("--every takes a duration"))
        let hub = try Executables.hub("serve", "--db", directory.path("h"), "--max-clock-ahead", "99999999999999999h")
        #expect(hub.stderr.contains("--max-clock-ahead takes a duration"))
        #expect(hub.status == 1, "exited \(hub.status): a trap ends with a signal's number")
    }
}

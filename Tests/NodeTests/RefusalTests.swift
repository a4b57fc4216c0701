import Foundation
import SyncCore
import TestSupport
import Testing

/// What a node tells its user when the hub will not have it, or is not there.
@Suite(.serialized) struct RefusalTests {
    @Test func unreachableHubExitsTwoAndAnUnknownNodeExitsThree() throws {
        let directory = try TemporaryDirectory()
        var (district, hub) = try DistrictHub.start(in: directory)
        let db = district.database
        let port = hub.port
        let dir = directory.path("node")
        let code = try Executables.hub("enroll", "--db", db, "--unit", "17605", "--json").ok()
        let enrolment = try JSONSerialization.jsonObject(with: Data(code.stdout.utf8)) as! [String: String]
        try Executables.node("init", "--dir", dir, "--hub", hub.url, "--enrolment", enrolment["code"]!).ok()
        let reused = try Executables.node(
            "init", "--dir", directory.path("other"), "--hub", hub.url, "--enrolment", enrolment["code"]!)
        #expect(reused.status == 3)
        #expect(reused.stderr.contains("already used"))
        try Executables.node(["record", "put", "--dir", dir, "children", "--unit", "17605"] + Sample.child()).ok()

        hub.stop()
        let down = try Executables.node("sync", "--dir", dir)
        #expect(down.status == 2)
        #expect(down.stderr.contains("hint: Check the link"))
        let status =
            try JSONSerialization.jsonObject(
                with: Data(try Executables.node("status", "--dir", dir, "--json").ok().stdout.utf8))
            as! [String: String]
        #expect(status["changes_waiting"] == "1")
        #expect(status["last_error"]?.isEmpty == false)

        // The hub is reinstalled from scratch at the same address: it no longer knows the node.
        try FileManager.default.removeItem(atPath: db)
        try Executables.hub("init", "--db", db, "--unit", "415", "--name", "Kỳ Sơn").ok()
        hub = try HubProcess(database: db, logFile: district.log, port: port)
        defer { hub.stop() }
        let refused = try Executables.node("sync", "--dir", dir, "--json")
        #expect(refused.status == 3)
        let answer = try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as! [String: String]
        #expect(answer["error"] == "sync_failed")
        #expect(answer["message"]?.contains("unknown_origin") == true)
        #expect(try Executables.node("record", "list", "--dir", dir, "children").ok().line.isEmpty == false)
    }
}

/// `status` warns when the machine's clock is far off the hub's (as last measured by a sync).
@Suite struct ClockWarningTests {
    @Test func statusWarnsBeyondTenMinutes() throws {
        let directory = try TemporaryDirectory()
        let dir = directory.path("node")
        try Executables.node("init", "--dir", dir, "--unit", "17605").ok()
        func warning() throws -> String {
            let status =
                try JSONSerialization.jsonObject(
                    with: Data(try Executables.node("status", "--dir", dir, "--json").ok().stdout.utf8))
                as! [String: String]
            return status["clock_warning"] ?? ""
        }
        #expect(try warning().isEmpty)
        let replica = try openReplica(dir + "/replica.sqlite")
        try replica.setSetting("sync.clock_offset_ms", String(5 * 60_000))
        #expect(try warning().isEmpty)
        try replica.setSetting("sync.clock_offset_ms", String(-25 * 60_000))
        #expect(try warning().contains("25 minutes ahead of the hub's"))
        #expect(try Executables.node("status", "--dir", dir).ok().stdout.contains("WARNING"))
    }
}

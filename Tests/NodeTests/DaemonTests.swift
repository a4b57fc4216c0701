import Foundation
import TestSupport
import Testing

/// `tre-node sync --daemon`: keeps retrying, with backoff, while the hub is down, and syncs as
/// soon as it is back.
@Suite(.serialized) struct DaemonTests {
    @Test func daemonRetriesUntilTheHubComesBack() throws {
        let directory = try TemporaryDirectory()
        var (district, hub) = try DistrictHub.start(in: directory)
        let db = district.database
        let port = hub.port
        let dir = directory.path("node")
        try district.node("17605", in: dir, url: hub.url)
        let id = try Executables.node(["record", "put", "--dir", dir, "children", "--unit", "17605"] + Sample.child())
            .ok().line
        hub.stop()

        let daemon = Process()
        daemon.executableURL = Executables.binDirectory.appendingPathComponent("tre-node")
        daemon.arguments = Executables.nodeArguments(["sync", "--dir", dir, "--daemon", "--every", "2s"])
        let log = directory.path("daemon.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        defer {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        // Down for a while: it must keep trying.
        Thread.sleep(forTimeInterval: 5)
        let early = try String(contentsOfFile: log, encoding: .utf8)
        #expect(early.components(separatedBy: "hub unreachable").count - 1 >= 2, "\(early)")
        hub = try HubProcess(database: db, logFile: district.log, port: port)
        defer { hub.stop() }
        var arrived = false
        for _ in 0..<40 where !arrived {
            Thread.sleep(forTimeInterval: 0.25)
            arrived = try Executables.hub("record", "get", "--db", db, "children", id).status == 0
        }
        var late = try String(contentsOfFile: log, encoding: .utf8)
        for _ in 0..<20 where !late.contains("synced:") {
            Thread.sleep(forTimeInterval: 0.25)
            late = try String(contentsOfFile: log, encoding: .utf8)
        }
        #expect(arrived, "the daemon did not sync once the hub was back: \(late)")
        #expect(late.contains("synced: pushed 1"))
    }
}

import Foundation
import TestSupport
import Testing

/// `tre-node sync` against an address that misbehaves in front of (or instead of) its real hub:
/// each failure is an exit code and a sentence, never a crash or a hang, nothing stored is lost,
/// and once the node is pointed back at its hub the night completes.
@Suite(.serialized) struct LinkFailureProcessTests {
    @Test func aMisbehavingLinkFailsClearlyAndLosesNothing() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let node = directory.path("node")
        try district.node("17605", in: node, url: hub.url)
        for index in 0..<3 {
            try Executables.node(
                ["record", "put", "--dir", node, "children", "--unit", "17605"] + Sample.child("Trẻ \(index)")
            ).ok()
        }
        let hashBefore = try Executables.node("state-hash", "--dir", node).ok().line

        let closing = try ScriptedServer { _ in .closeBeforeAnswer }
        let stalling = try ScriptedServer { _ in .stall }
        let oversized = try ScriptedServer { _ in
            .stream(head: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", bodyBytes: 100 << 20)
        }
        // The real hub's answers, each in six pieces 2 s apart: 10 s an answer, never still for
        // the 8 s stall timeout (the hub's own work before the first piece counts as stillness).
        let dripping = try ScriptedServer { _ in .relay(port: hub.port, pieces: 6, gap: 2) }
        defer {
            for server in [closing, stalling, oversized, dripping] { server.stop() }
        }
        for (server, status, words) in [
            (closing, Int32(2), "closed before any answer"), (stalling, 2, "no byte moved for 2 s"),
            (oversized, 3, "over 8388608 bytes"),
        ] {
            try Executables.node("config", "set-hub", server.url, "--dir", node).ok()
            let result = try Executables.run(
                "tre-node", ["sync", "--dir", node, "--stall-timeout", "2"], timeout: 120)
            #expect(result.status == status, "\(server.url): \(result.stderr)")
            #expect(result.stderr.contains(words), "\(result.stderr)")
            #expect(try Executables.node("state-hash", "--dir", node).ok().line == hashBefore)
        }
        #expect(!closing.seen.isEmpty && !stalling.seen.isEmpty && !oversized.seen.isEmpty)

        // A bad stall timeout is refused before anything is sent.
        let refused = try Executables.node("sync", "--dir", node, "--stall-timeout", "0")
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("--stall-timeout takes seconds"), "\(refused.stderr)")

        // Slow but moving: the night completes through the drip.
        try Executables.node("config", "set-hub", dripping.url, "--dir", node).ok()
        let slow = try Executables.run("tre-node", ["sync", "--dir", node, "--stall-timeout", "8"], timeout: 120)
        #expect(slow.status == 0, "\(slow.stderr) after \(dripping.seen.map(\.path))")
        #expect(
            dripping.seen.map(\.path).map { $0.split(separator: "?").first.map(String.init) ?? "" } == [
                "/v1/push", "/v1/pull",
            ])
        #expect(Set(dripping.seen.map(\.connection)).count == 1, "one connection for the sync's requests")
        try Executables.node("config", "set-hub", hub.url, "--dir", node).ok()
        try Executables.node("sync", "--dir", node).ok()
        #expect(try Executables.hub("state-hash", "--db", district.database, "--unit", "17605").ok().line == hashBefore)
    }
}

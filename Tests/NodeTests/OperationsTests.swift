import Foundation
import TestSupport
import Testing

/// What a district's IT officer meets running the programs: `--version`, times in the local
/// zone, moving a node to a new hub address, `serve`'s address and a port in use, and a hub
/// stopped (SIGTERM, as systemd does) in the middle of a push.
@Suite struct OperationsTests {
    @Test func bothProgramsSayTheirVersion() throws {
        for program in ["tre-node", "tre-hub"] {
            let result = try Executables.run(program, ["--version"])
            #expect(result.status == 0, "\(result.stderr)")
            // The release, then what two replicas must agree on; change with a new release.
            let pattern = "^\(program) [0-9]+\\.[0-9]+\\.[0-9]+ \\(schema 4, definition 2, wire format 3\\)$"
            #expect(result.line.range(of: pattern, options: .regularExpression) != nil, "\(result.line)")
        }
    }

    /// `dd/mm/yyyy HH:mm` as a person in `zone` reads `rfc3339`.
    static func shown(_ rfc3339: String, in zone: TimeZone) throws -> String {
        let parser = ISO8601DateFormatter()
        let date = try #require(parser.date(from: rfc3339), "\(rfc3339) is not RFC 3339")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "dd/MM/yyyy HH:mm"
        return formatter.string(from: date)
    }

    @Test func timesAreShownInVietnamOrInTheZoneOfTZAndJSONKeepsUTC() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let node = directory.path("node")
        try district.node("17605", in: node, url: hub.url)
        try Executables.node("sync", "--dir", node).ok()
        _ = try district.enrolment("17608")

        let vietnam = TimeZone(secondsFromGMT: 7 * 3600)!
        // TZ empty is TZ unset: Vietnam's time, whatever the machine's zone.
        for (tz, zone) in [("", vietnam), ("UTC", TimeZone(secondsFromGMT: 0)!)] {
            let env = ["TZ": tz]
            let codes = try #require(
                try json(try Executables.run("tre-hub", ["enroll", "list", "--db", district.database, "--json"]))
                    as? [[String: String]])
            let code = try #require(codes.first)
            // JSON: RFC 3339 in UTC, for scripts, whatever TZ says.
            #expect(code["created"]?.hasSuffix("Z") == true)
            let listed = try Executables.run(
                "tre-hub", ["enroll", "list", "--db", district.database], environment: env
            ).ok().line
            #expect(listed.contains("created \(try Self.shown(code["created"]!, in: zone))"), "\(listed)")
            #expect(listed.contains("expires \(try Self.shown(code["expires"]!, in: zone))"), "\(listed)")

            let peers = try #require(
                try json(try Executables.hub("nodes", "list", "--db", district.database, "--json"))
                    as? [[String: String]])
            let peer = try #require(peers.first)
            let nodes = try Executables.run(
                "tre-hub", ["nodes", "list", "--db", district.database], environment: env
            ).ok().line
            #expect(nodes.contains("enrolled \(try Self.shown(peer["enrolled"]!, in: zone))"), "\(nodes)")
            #expect(nodes.contains("last seen \(try Self.shown(peer["last_seen"]!, in: zone))"), "\(nodes)")

            let status = try #require(
                try json(try Executables.node("status", "--dir", node, "--json")) as? [String: String])
            let lastSync = try #require(status["last_sync"])
            #expect(lastSync.hasSuffix("Z"))
            let text = try Executables.run("tre-node", ["status", "--dir", node], environment: env).ok().stdout
            #expect(text.contains("last sync \(try Self.shown(lastSync, in: zone))"), "\(text)")
        }
    }
}

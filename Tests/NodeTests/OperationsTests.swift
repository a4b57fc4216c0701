import Foundation
import SyncCore
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
            let pattern = "^\(program) [0-9]+\\.[0-9]+\\.[0-9]+ \\(schema 6, definition 2, wire format 4\\)$"
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

    /// A node's status, as `--json` prints it.
    static func status(_ node: String) throws -> [String: String] {
        try #require(try json(try Executables.node("status", "--dir", node, "--json")) as? [String: String])
    }

    @Test func setHubMovesANodeToTheSameHubAtANewAddressOnly() throws {
        let directory = try TemporaryDirectory()
        let (district, first) = try DistrictHub.start(in: directory)
        let node = directory.path("node")
        try district.node("17605", in: node, url: first.url)
        try Executables.node(["record", "put", "--dir", node, "children", "--unit", "17605"] + Sample.child()).ok()
        try Executables.node("sync", "--dir", node).ok()
        // The hub moves: the same database served at another address (one server per database).
        first.stop()
        let moved = try HubProcess(database: district.database, logFile: district.log)
        defer { moved.stop() }

        // Not a hub URL: refused, nothing stored.
        let refused = try Executables.node("config", "set-hub", "ftp://kyson:8081", "--dir", node, "--lang", "en")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is not a hub URL"), "\(refused.stderr)")
        #expect(try Self.status(node)["hub"] == first.url)

        let set = try Executables.node("config", "set-hub", moved.url, "--dir", node, "--lang", "en").ok()
        #expect(set.line == "hub = \(moved.url) (was \(first.url))")
        #expect(set.stderr.contains("must reach the same hub 415"), "\(set.stderr)")
        #expect(try Self.status(node)["hub"] == moved.url)
        try Executables.node(["record", "put", "--dir", node, "children", "--unit", "17605"] + Sample.child("B"))
            .ok()
        try Executables.node("sync", "--dir", node).ok("a sync with the same hub at its new address")
        let hash = try Executables.node("state-hash", "--dir", node).ok().line
        #expect(try Executables.hub("state-hash", "--db", district.database, "--unit", "17605").ok().line == hash)

        // Another hub (its own identity and keys) at the new address: the sync is refused and
        // changes nothing, on either side; moving back to the right hub, it goes through.
        let other = try TemporaryDirectory()
        let (stranger, strangerServer) = try DistrictHub.start(in: other)
        defer { strangerServer.stop() }
        try Executables.node("config", "set-hub", strangerServer.url, "--dir", node).ok()
        try Executables.node(["record", "put", "--dir", node, "children", "--unit", "17605"] + Sample.child("C"))
            .ok()
        let before = try Self.status(node)
        let hashBefore = try Executables.node("state-hash", "--dir", node).ok().line
        let strangerBefore = try Executables.hub("state-hash", "--db", stranger.database).ok().line
        let wrong = try Executables.node("sync", "--dir", node)
        #expect(wrong.status == 3, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("not enrolled at this hub"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("`tre-node config set-hub URL`"), "\(wrong.stderr)")
        #expect(try Executables.node("state-hash", "--dir", node).ok().line == hashBefore)
        #expect(try Self.status(node)["changes_waiting"] == before["changes_waiting"])
        #expect(before["changes_waiting"] == "1")
        #expect(try Executables.hub("state-hash", "--db", stranger.database).ok().line == strangerBefore)

        try Executables.node("config", "set-hub", moved.url, "--dir", node).ok()
        try Executables.node("sync", "--dir", node).ok("a sync back at the right hub")
        #expect(try Self.status(node)["changes_waiting"] == "0")
    }

    @Test func serveOnEveryInterfaceSaysHowNodesReachIt() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("hub.sqlite")
        try Executables.hub("init", "--db", db, "--unit", "415", "--name", "Kỳ Sơn").ok()
        let process = Process()
        process.executableURL = Executables.binDirectory.appendingPathComponent("tre-hub")
        process.arguments = ["serve", "--db", db, "--host", "0.0.0.0", "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        process.terminate()
        process.waitUntilExit()
        let text = String(decoding: line, as: UTF8.self)
        let pattern =
            "^tre-hub listening on 0\\.0\\.0\\.0:([0-9]+) \\(all interfaces; nodes use http://THIS-MACHINE:\\1\\)$"
        #expect(
            text.trimmingCharacters(in: .newlines).range(of: pattern, options: .regularExpression) != nil, "\(text)")
        #expect(process.terminationStatus == 0)
    }

    @Test func aPortInUseSaysWhichAndWhatToDo() throws {
        let directory = try TemporaryDirectory()
        let (_, running) = try DistrictHub.start(in: directory)
        defer { running.stop() }
        let other = directory.path("other.sqlite")
        try Executables.hub("init", "--db", other, "--unit", "416", "--name", "Tương Dương").ok()
        let port = String(running.port)
        let refused = try Executables.run(
            "tre-hub", ["serve", "--db", other, "--host", "127.0.0.1", "--port", port], timeout: 30)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(
            refused.stderr.contains(
                "error: port \(port) is in use (another tre-hub serve? `ss -ltnp 'sport = :\(port)'`); choose another with --port"
            ), "\(refused.stderr)")
        #expect(refused.stderr.contains("hint: "))
        #expect(running.process.isRunning)
    }

    /// A district hub serving with `--upstream-every` (its periodic sync between two rounds)
    /// stops on SIGTERM with exit 0, as systemd expects: the wait for the next round ended with
    /// an error (exit 1, "CancellationError()") found by running the README's round trip.
    @Test func aDistrictSyncingUpstreamPeriodicallyExitsZeroOnSIGTERM() throws {
        let directory = try TemporaryDirectory()
        let provinceDB = directory.path("province.sqlite")
        let units = directory.path("units.csv")
        try "code,name,level,parent_code\n40,Tỉnh Nghệ An,province,\n415,Kỳ Sơn,district,40\n".write(
            toFile: units, atomically: true, encoding: .utf8)
        try Executables.hub("init", "--db", provinceDB, "--unit", "40", "--name", "Nghệ An").ok()
        try Executables.hub("units", "import", "--db", provinceDB, units).ok()
        let province = try HubProcess(database: provinceDB, logFile: directory.path("province.log"))
        defer { province.stop() }
        let code = try Executables.hub("enroll", "--db", provinceDB, "--unit", "415", "--kind", "hub").ok().line
        let districtDB = directory.path("district.sqlite")
        try Executables.hub(
            "init", "--db", districtDB, "--name", "Kỳ Sơn", "--upstream", province.url, "--enrolment", code
        ).ok()
        let log = directory.path("district.log")
        let district = try HubProcess(database: districtDB, logFile: log, extra: ["--upstream-every", "1h"])
        // Stopped after its first upstream round, while it waits for the next.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline,
            !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("event=sync dir=upstream")
        {
            usleep(100_000)
        }
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("event=sync dir=upstream"))
        let status = district.stop()
        let said = try String(contentsOfFile: log, encoding: .utf8)
        #expect(status == 0, "exited \(status): \(said)")
    }

    /// systemd stops the hub with SIGTERM, perhaps in the middle of a node's push: the hub
    /// answers what it is applying (or, killed, rolls it back), exits 0, and a push is found
    /// applied whole or not at all; the next night's sync completes it.
    @Test func aHubStoppedMidPushExitsZeroWithThePushWholeOrAbsent() throws {
        let directory = try TemporaryDirectory()
        var (district, hub) = try DistrictHub.start(in: directory)
        let node = directory.path("node")
        try district.node("17605", in: node, url: hub.url)
        defer { hub.stop() }
        let batch = 6_000
        var held = try #require(
            Int(
                (try json(try Executables.hub("status", "--db", district.database, "--json")) as? [String: String])?[
                    "records"] ?? ""))
        let initial = held
        var alone: TimeInterval = 0
        var interrupted = 0
        // Round 0 times an undisturbed sync; the others stop the hub partway through one.
        for (round, fraction) in [nil, 0.5, 0.7, 0.85].enumerated() {
            // A set of `batch` new children: a push the hub takes a moment to apply.
            let replica = try openReplica(URL(fileURLWithPath: node).appendingPathComponent("replica.sqlite").path)
            try replica.transaction { editor in
                for index in 0..<batch {
                    try editor.put(
                        "children", id: replica.newRecordID(), unit: "17605",
                        set: [
                            "full_name": .string("Trẻ \(round)-\(index)"), "sex": .string("F"),
                            "date_of_birth": .string("2019-09-05"), "village": .string("Bản Mòn"),
                        ])
                }
            }
            let sync = Process()
            sync.executableURL = Executables.binDirectory.appendingPathComponent("tre-node")
            sync.arguments = Executables.nodeArguments([
                "sync", "--dir", node, "--max-set-changes", String(batch),
            ])
            sync.standardOutput = FileHandle.nullDevice
            sync.standardError = FileHandle.nullDevice
            let started = Date()
            try sync.run()
            guard let fraction else {
                sync.waitUntilExit()
                alone = Date().timeIntervalSince(started)
                #expect(sync.terminationStatus == 0)
                held += batch
                continue
            }
            usleep(UInt32(alone * fraction * 1_000_000))
            let status = hub.stop()
            sync.waitUntilExit()
            #expect(status == 0, "round \(round): the hub exited \(status) on SIGTERM")
            if sync.terminationStatus != 0 { interrupted += 1 }
            let records = try #require(
                try json(try Executables.hub("status", "--db", district.database, "--json")) as? [String: String])
            let count = try #require(Int(records["records"] ?? ""))
            #expect(
                count == held || count == held + batch,
                "round \(round): the hub holds \(count) records, neither \(held) nor \(held + batch)")
            held = count
            hub = try HubProcess(database: district.database, logFile: district.log, port: hub.port)
        }
        // The stops did land while syncs ran (else this test shows nothing).
        #expect(interrupted >= 1, "no SIGTERM landed during a sync")
        try Executables.node("sync", "--dir", node).ok("the sync after the stops")
        #expect(
            try Executables.hub("state-hash", "--db", district.database, "--unit", "17605").ok().line
                == (try Executables.node("state-hash", "--dir", node).ok().line))
        let records = try #require(
            try json(try Executables.hub("status", "--db", district.database, "--json")) as? [String: String])
        #expect(records["records"] == String(initial + 4 * batch))
    }
}

import Foundation
import SyncCore
import TestSupport
import Testing

/// The hub's /metrics, its sync log lines and `tre-hub peers`, through the real binaries on
/// 127.0.0.1: every number checked against what the test counted itself (the node's own log,
/// the node's own byte counts), never against another output of the hub.
@Suite struct ObservabilityTests {
    /// One series of a Prometheus text: its name, labels and value.
    struct Series: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    /// `name{a="x",b="y"} 12` lines (comments skipped). Label values here never hold `"` or `,`.
    static func parse(_ text: String) -> [Series] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[space...].dropFirst())
            else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                return Series(name: String(series), labels: [:], value: value)
            }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",")
            {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return Series(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    /// The sum of the series of `name` whose labels include `labels` (0 when there is none).
    static func value(_ samples: [Series], _ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }.map(\.value).reduce(0, +)
    }

    /// GET /metrics as this test's own HTTP client sends it.
    static func scrape(_ hub: HubProcess, headers: [String: String] = [:]) throws -> (status: Int, text: String) {
        let answer = try HTTP.send("GET", port: Int(hub.port), path: "/metrics", headers: headers)
        return (answer.status, String(decoding: answer.body, as: UTF8.self))
    }

    static func metrics(_ hub: HubProcess) throws -> [Series] {
        let (status, text) = try scrape(hub)
        #expect(status == 200, "\(text)")
        return parse(text)
    }

    /// The node's log length: each `record put` of a new record is one change.
    static func ownChanges(_ node: String) throws -> UInt64 {
        try openReplica(node + "/replica.sqlite").lastSequence()
    }

    /// The hub's log lines (logfmt) whose event is `event`, parsed.
    static func lines(_ log: String, event: String) throws -> [[String: String]] {
        try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { fields(String($0)) }
            .filter { $0["event"] == event }
    }

    /// A logfmt line's fields, parsed here (not by the hub's parser): `key=value` or
    /// `key="quoted \" value"`.
    static func fields(_ line: String) -> [String: String] {
        var result: [String: String] = [:]
        var rest = Substring(line)
        while let equals = rest.firstIndex(of: "=") {
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\", let escaped = rest.first {
                        value.append(escaped)
                        rest = rest.dropFirst()
                    } else {
                        value.append(character)
                    }
                }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                value = String(rest[..<end])
                rest = rest[end...]
            }
            result[key] = value
        }
        return result
    }

    static let planted = "Lò Thị Mai Ngọc Hân"

    @Test func aSyncMovesTheCountersByWhatTheNodeSentAndLogsOneLinePerRequest() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let node = directory.path("node")
        try district.node("17605", in: node, url: hub.url)
        let origin = try openReplica(node + "/replica.sqlite").origin.description
        let before = try Self.metrics(hub)

        let count = 7
        let logBefore = try Self.ownChanges(node)
        for index in 0..<count {
            try Executables.node(
                ["record", "put", "--dir", node, "children", "--unit", "17605"]
                    + Sample.child("\(Self.planted) \(index)")
            ).ok()
        }
        let changes = Int(try Self.ownChanges(node) - logBefore)
        #expect(changes == count)
        let started = Date()
        let synced = try #require(
            try json(try Executables.node("sync", "--dir", node, "--json").ok()) as? [String: Int])
        let ended = Date()
        let after = try Self.metrics(hub)

        func delta(_ name: String, _ labels: [String: String] = [:]) -> Double {
            Self.value(after, name, labels) - Self.value(before, name, labels)
        }
        #expect(delta("tre_hub_changes_merged_total", ["from": "peer"]) == Double(changes))
        #expect(delta("tre_hub_changes_sent_total", ["to": "peer"]) == 0)
        let pushes = delta("tre_hub_requests_total", ["route": "/v1/push", "method": "POST", "status": "200"])
        let pulls = delta("tre_hub_requests_total", ["route": "/v1/pull", "method": "GET", "status": "200"])
        #expect(pushes >= 1 && pulls >= 1)
        #expect(delta("tre_hub_syncs_total", ["direction": "push", "outcome": "ok"]) == pushes)
        #expect(delta("tre_hub_syncs_total", ["direction": "pull", "outcome": "ok"]) == pulls)
        // Wire bytes: what the node counted sending and receiving, body for body.
        let sent = try #require(synced["bytes_sent"])
        let received = try #require(synced["bytes_received"])
        #expect(sent > 0)
        #expect(delta("tre_hub_bytes_received_total", ["route": "/v1/push"]) == Double(sent))
        let answered =
            delta("tre_hub_bytes_sent_total", ["route": "/v1/push"])
            + delta("tre_hub_bytes_sent_total", ["route": "/v1/pull"])
            + delta("tre_hub_bytes_sent_total", ["route": "/v1/status"])
        #expect(answered >= Double(received) && received > 0)
        // The node's last sync: its origin and unit, at a time within the sync.
        let last = Self.value(after, "tre_hub_peer_last_sync_timestamp_seconds", ["node": origin, "unit": "17605"])
        #expect(last >= started.timeIntervalSince1970.rounded(.down) - 1 && last <= ended.timeIntervalSince1970 + 1)
        #expect(Self.value(after, "tre_hub_conflicts_open") == 0)
        // Routes are patterns: a probe's random path is `unmatched`, never its text.
        _ = try HTTP.send("GET", port: Int(hub.port), path: "/v1/no-such-\(UUID().uuidString)")
        let probed = try Self.scrape(hub).text
        #expect(!probed.contains("no-such-"))
        #expect(Self.value(Self.parse(probed), "tre_hub_requests_total", ["route": "unmatched", "status": "404"]) >= 1)

        // One sync line per push and per pull, with the node's numbers.
        let log = try Self.lines(district.log, event: "sync")
        let pushLines = log.filter { $0["dir"] == "push" }
        let pullLines = log.filter { $0["dir"] == "pull" }
        #expect(Double(pushLines.count) == pushes)
        #expect(Double(pullLines.count) == pulls)
        for line in log {
            #expect(
                Set(line.keys) == [
                    "ts", "level", "event", "dir", "node", "unit", "kind", "changes_in", "merged", "duplicates",
                    "parked", "set_aside", "changes_out", "bytes_in", "bytes_out", "duration_ms", "outcome", "reason",
                ], "\(line)")
            #expect(line["node"] == origin && line["unit"] == "17605" && line["kind"] == "node")
            #expect(line["outcome"] == "ok" && line["reason"] == "-")
            #expect(Int(line["duration_ms"] ?? "") != nil)
        }
        #expect(pushLines.compactMap { Int($0["changes_in"] ?? "") }.reduce(0, +) == changes)
        #expect(pushLines.compactMap { Int($0["merged"] ?? "") }.reduce(0, +) == changes)
        #expect(pushLines.compactMap { Int($0["bytes_in"] ?? "") }.reduce(0, +) == sent)
        #expect(pullLines.compactMap { Int($0["changes_out"] ?? "") }.reduce(0, +) == 0)

        // The child's name is in neither the log nor the metrics (nor the node's name there).
        let everything = try String(contentsOfFile: district.log, encoding: .utf8) + probed
        for needle in [Self.planted, "Lò Thị", Self.planted.decomposedStringWithCanonicalMapping, "Ngọc Hân"] {
            #expect(!everything.contains(needle), "\(needle) leaked")
        }
    }

    @Test func refusalsAreCountedUnderTheirReasonAndLogged() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let db = district.database
        let node = directory.path("node")
        try district.node("17605", in: node, url: hub.url)
        let put = try Executables.run(
            "tre-node",
            ["record", "put", "--dir", node, "children", "--unit", "17605", "--json"] + Sample.child(Self.planted)
        ).ok()
        let child = try #require((try json(put) as? [String: String])?["id"])
        try Executables.node("sync", "--dir", node).ok()
        // The district moves the child away; the commune hears of it, then edits anyway: the
        // hub sets that one change aside as out_of_scope.
        try Executables.hub("record", "put", "--db", db, "children", "--id", child, "--unit", "17608").ok()
        try Executables.node("sync", "--dir", node).ok()
        let before = try Self.metrics(hub)
        try Executables.node("record", "put", "--dir", node, "children", "--id", child, "notes=Ghi chú 4711").ok()
        try Executables.node("sync", "--dir", node).ok()
        let after = try Self.metrics(hub)
        let reason = ["level": "change", "reason": "out_of_scope"]
        #expect(
            Self.value(after, "tre_hub_refusals_total", reason) - Self.value(before, "tre_hub_refusals_total", reason)
                == 1)
        let setAside = try Self.lines(district.log, event: "set_aside")
        #expect(setAside.count == 1)
        #expect(setAside.first?["reason"] == "out_of_scope" && setAside.first?["record"] == child)
        #expect(try Self.lines(district.log, event: "sync").contains { $0["dir"] == "push" && $0["set_aside"] == "1" })

        // A revoked node's push is refused as a whole: counted under `revoked`, one sync line.
        let origin = try openReplica(node + "/replica.sqlite").origin.description
        try Executables.hub("nodes", "revoke", "--db", db, origin).ok()
        try Executables.node("record", "put", "--dir", node, "children", "--id", child, "notes=Ghi chú 4712").ok()
        let refusedSync = try Executables.node("sync", "--dir", node)
        #expect(refusedSync.status != 0)
        let revoked = Self.value(
            try Self.metrics(hub), "tre_hub_refusals_total", ["level": "request", "reason": "revoked"])
        let refusedLines = try Self.lines(district.log, event: "sync").filter { $0["outcome"] == "refused" }
        #expect(revoked >= 1 && Double(refusedLines.count) == revoked)
        #expect(refusedLines.allSatisfy { $0["reason"] == "revoked" && $0["node"] == origin })
        // A push too large to read (9 MiB; a set is at most 8 on the wire) is refused before it
        // authenticates: still one sync line, counted under too_large.
        let large = try HTTP.send(
            "POST", port: Int(hub.port), path: "/v1/push", body: Data(repeating: 0x41, count: 9 << 20))
        #expect(large.status == 413)
        let tooLarge = try Self.lines(district.log, event: "sync").filter { $0["reason"] == "too_large" }
        #expect(tooLarge.count == 1 && tooLarge.first?["dir"] == "push" && tooLarge.first?["node"] == "-")
        let counted = try Self.metrics(hub)
        #expect(Self.value(counted, "tre_hub_refusals_total", ["level": "request", "reason": "too_large"]) == 1)
        #expect(
            Self.value(counted, "tre_hub_requests_total", ["route": "/v1/push", "method": "POST", "status": "413"])
                == 1)
        let text = try String(contentsOfFile: district.log, encoding: .utf8) + (try Self.scrape(hub).text)
        #expect(!text.contains(Self.planted) && !text.contains("Ghi chú"))
    }

    @Test func onlyAllowedPeersReadTheMetrics() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        // By default: this machine, but not through a proxy that forwards for someone else.
        #expect(try Self.scrape(hub).status == 200)
        let proxied = try Self.scrape(hub, headers: ["X-Forwarded-For": "203.0.113.9"])
        #expect(proxied.status == 403 && proxied.text.contains("metrics_forbidden"), "\(proxied.text)")
        hub.stop()

        // Only the monitoring network (not this machine), or the token from anywhere.
        let token = "0123456789abcdef-metrics-token"
        let tokenFile = directory.path("metrics.token")
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        #expect(chmod(tokenFile, 0o600) == 0)  // a token file others may read is refused (OpsReviewTests)
        let restricted = try HubProcess(
            database: district.database, logFile: district.log,
            extra: ["--metrics-from", "10.20.0.0/16", "--metrics-token-file", tokenFile])
        defer { restricted.stop() }
        let refused = try Self.scrape(restricted)
        #expect(refused.status == 403, "\(refused.text)")
        #expect(!refused.text.contains("tre_hub_"))
        #expect(try Self.scrape(restricted, headers: ["Authorization": "Bearer \(token)"]).status == 200)
        #expect(try Self.scrape(restricted, headers: ["Authorization": "Bearer \(token)x"]).status == 403)
        // The refusals are counted (read with the token).
        let samples = Self.parse(try Self.scrape(restricted, headers: ["Authorization": "Bearer \(token)"]).text)
        #expect(
            Self.value(samples, "tre_hub_refusals_total", ["level": "request", "reason": "metrics_forbidden"]) == 2)

        // A network that is not one is refused at start, saying what to give.
        let bad = try Executables.hub(
            "serve", "--db", district.database, "--port", "0", "--metrics-from", "10.20.0.0/33")
        #expect(bad.status != 0 && bad.stderr.contains("--metrics-from"), "\(bad.stderr)")
    }

    @Test func peersShowsEachNodeLongestWithoutSyncFirst() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let empty = try Executables.hub("peers", "--db", district.database, "--lang", "en").ok()
        #expect(empty.stdout.contains("No node is enrolled"), "\(empty.stdout)")
        #expect(try Executables.hub("peers", "--db", district.database).ok().stdout.contains("Chưa có máy nào"))

        let synced = directory.path("synced")
        let silent = directory.path("silent")
        try district.node("17605", in: synced, url: hub.url)
        try district.node("17608", in: silent, url: hub.url)
        try Executables.node("sync", "--dir", synced).ok()
        let syncedOrigin = try openReplica(synced + "/replica.sqlite").origin.description
        let silentOrigin = try openReplica(silent + "/replica.sqlite").origin.description

        let rows = try #require(
            try json(try Executables.hub("peers", "--db", district.database, "--json").ok()) as? [[String: Any]])
        // The one that never synced first, then the other.
        #expect(rows.map { $0["origin"] as? String } == [silentOrigin, syncedOrigin])
        #expect(rows.map { $0["unit"] as? String } == ["17608", "17605"])
        #expect(rows.map { $0["unit_name"] as? String } == ["Xã Huồi Tụ", "Xã Mường Lống"])
        #expect(rows[0]["last_sync"] is NSNull && rows[0]["lag_seconds"] is NSNull)
        let lastSync = try #require(rows[1]["last_sync"] as? String)
        let lag = try #require(rows[1]["lag_seconds"] as? Int)
        #expect(lag >= 0 && lag < 120)

        let text = try Executables.run(
            "tre-hub", ["peers", "--db", district.database, "--lang", "en"], environment: ["TZ": ""]
        ).ok().stdout.split(separator: "\n").map(String.init)
        #expect(text.count == 3, "\(text)")
        #expect(text[0].hasPrefix("UNIT") && text[0].contains("LAST SYNC") && text[0].contains("LAG"))
        #expect(text[1].hasPrefix("17608") && text[1].contains("Xã Huồi Tụ") && text[1].contains("never"))
        let shown = try OperationsTests.shown(lastSync, in: TimeZone(secondsFromGMT: 7 * 3600)!)
        #expect(text[2].hasPrefix("17605") && text[2].contains(shown) && text[2].contains(" min"), "\(text[2])")
        let vietnamese = try Executables.hub("peers", "--db", district.database).ok().stdout
        #expect(vietnamese.contains("chưa bao giờ") && vietnamese.contains("phút"), "\(vietnamese)")
    }

    @Test func eachUpstreamRelayIsOneLineCountedAtBothHubsAndServeStopsCleanly() throws {
        let directory = try TemporaryDirectory()
        let csv = directory.path("units.csv")
        try UpstreamPolicyProcessTests.units.write(toFile: csv, atomically: true, encoding: .utf8)
        let provinceDB = directory.path("province.sqlite")
        try Executables.hub("init", "--db", provinceDB, "--unit", "40", "--name", "Nghệ An").ok()
        try Executables.hub("units", "import", "--db", provinceDB, csv).ok()
        let province = try HubProcess(database: provinceDB, logFile: directory.path("province.log"))
        defer { province.stop() }
        let provinceOrigin = try #require(
            (try json(try Executables.hub("status", "--db", provinceDB, "--json").ok()) as? [String: String])?[
                "origin"])
        let code = try Executables.hub("enroll", "--db", provinceDB, "--unit", "415", "--kind", "hub").ok().line
        let districtDB = directory.path("district.sqlite")
        try Executables.hub(
            "init", "--db", districtDB, "--name", "Kỳ Sơn", "--upstream", province.url, "--enrolment", code
        ).ok()
        try Executables.hub("units", "import", "--db", districtDB, csv).ok()
        let districtLog = directory.path("district.log")
        let district = try HubProcess(database: districtDB, logFile: districtLog, extra: ["--upstream-every", "1s"])
        let node = directory.path("node")
        let nodeCode = try Executables.hub("enroll", "--db", districtDB, "--unit", "17605").ok().line
        try Executables.node("init", "--dir", node, "--hub", district.url, "--enrolment", nodeCode).ok()
        let logBefore = try Self.ownChanges(node)
        for index in 0..<4 {
            try Executables.node(
                ["record", "put", "--dir", node, "children", "--unit", "17605"]
                    + Sample.child("\(Self.planted) \(index)")
            ).ok()
        }
        let changes = Int(try Self.ownChanges(node) - logBefore)
        try Executables.node("sync", "--dir", node).ok()

        // The relays push what the node sent, once (the district's own log has only those).
        var relays: [[String: String]] = []
        for _ in 0..<100 {
            relays = try Self.lines(districtLog, event: "sync").filter { $0["dir"] == "upstream" }
            if relays.compactMap({ Int($0["changes_out"] ?? "") }).reduce(0, +) >= changes { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(relays.compactMap { Int($0["changes_out"] ?? "") }.reduce(0, +) == changes)
        #expect(relays.allSatisfy { $0["node"] == provinceOrigin && $0["unit"] == "40" && $0["kind"] == "hub" })
        #expect(relays.allSatisfy { $0["outcome"] == "ok" && $0["reason"] == "-" })
        let districtMetrics = try Self.metrics(district)
        #expect(Self.value(districtMetrics, "tre_hub_changes_sent_total", ["to": "upstream"]) == Double(changes))
        #expect(
            Self.value(districtMetrics, "tre_hub_syncs_total", ["direction": "upstream", "outcome": "ok"])
                >= Double(relays.count))
        // The province took them from the district, and counted the bytes the district sent.
        let provinceMetrics = try Self.metrics(province)
        #expect(Self.value(provinceMetrics, "tre_hub_changes_merged_total", ["from": "peer"]) == Double(changes))
        #expect(
            Self.value(provinceMetrics, "tre_hub_bytes_received_total", ["route": "/v1/push"])
                == Double(relays.compactMap { Int($0["bytes_out"] ?? "") }.reduce(0, +)))
        // SIGTERM while relaying every second: a clean stop, exit 0.
        #expect(district.stop() == 0)
        let text = try String(contentsOfFile: districtLog, encoding: .utf8)
        #expect(!text.contains("CancellationError") && !text.contains(Self.planted))
    }

    @Test func openConflictsAreReadFromTheStoreAtEachScrape() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let node = directory.path("node")
        try district.node("17605", in: node, url: hub.url)
        let put = try Executables.run(
            "tre-node",
            ["record", "put", "--dir", node, "children", "--unit", "17605", "--json"] + Sample.child(Self.planted)
        ).ok()
        let child = try #require((try json(put) as? [String: String])?["id"])
        try Executables.node("sync", "--dir", node).ok()
        #expect(Self.value(try Self.metrics(hub), "tre_hub_conflicts_open") == 0)
        // The district and the commune change the same field of the same child while apart:
        // one record with an open conflict at the hub once the node pushes.
        try Executables.hub("record", "put", "--db", district.database, "children", "--id", child, "notes=Quận 1")
            .ok()
        try Executables.node("record", "put", "--dir", node, "children", "--id", child, "notes=Xã 2").ok()
        try Executables.node("sync", "--dir", node).ok()
        #expect(Self.value(try Self.metrics(hub), "tre_hub_conflicts_open") == 1)
        // Resolved by the operator (another process, no request to the server): the next scrape says so.
        try Executables.hub(
            "conflicts", "resolve", "--db", district.database, child, "notes", "--value", "Xã 2"
        ).ok()
        #expect(Self.value(try Self.metrics(hub), "tre_hub_conflicts_open") == 0)
    }
}

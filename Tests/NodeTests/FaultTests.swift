import Foundation
import TestSupport
import Testing

/// Sync over a hostile link: a proxy that drops, truncates, resets and delays connections
/// sits between a node and its hub. The night must complete over retries with nothing lost,
/// nothing applied twice, and at most 1.3× the bytes of the same night over a clean link.
@Suite(.serialized) struct FaultTests {
    static let units = """
        code,name,level,parent_code
        415,Huyện Kỳ Sơn,district,
        17605,Xã Mường Lống,commune,415
        17608,Xã Huồi Tụ,commune,415

        """

    /// Syncs until it succeeds; every failure must be "unreachable, retry" (exit 2).
    static func syncUntilDone(_ dir: String, attempts: Int = 80) throws -> Int {
        for attempt in 1...attempts {
            let started = Date()
            let result = try Executables.node(
                "sync", "--dir", dir, "--max-set-changes", "4", "--max-page-bytes", "1024")
            #expect(Date().timeIntervalSince(started) < 20, "a sync over a damaged link must fail fast, not hang")
            if result.status == 0 { return attempt }
            #expect(result.status == 2, "a damaged link must read as unreachable: \(result.stderr)")
        }
        throw HarnessError("the night did not complete in \(attempts) attempts")
    }

    @Test func nightCompletesOverAFaultyLinkWithNothingLostOrDoubled() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("district.sqlite")
        let csv = directory.path("units.csv")
        try Self.units.write(toFile: csv, atomically: true, encoding: .utf8)
        try Executables.hub("init", "--db", db, "--unit", "415", "--name", "Kỳ Sơn").ok()
        try Executables.hub("units", "import", "--db", db, csv).ok()
        let hub = try HubProcess(database: db, logFile: directory.path("hub.log"))
        defer { hub.stop() }
        let hubPort = UInt16(hub.url.split(separator: ":").last!)!
        let clean = try FaultProxy(targetPort: hubPort, seed: 1)
        let faulty = try FaultProxy(targetPort: hubPort, seed: 20_261_123)
        defer {
            clean.stop()
            faulty.stop()
        }
        var nodes: [(commune: String, dir: String, proxy: FaultProxy)] = []
        for (commune, proxy) in [("17605", clean), ("17608", faulty)] {
            let code = try Executables.hub("enroll", "--db", db, "--unit", commune).ok().line
            let dir = directory.path("node-\(commune)")
            try Executables.node("init", "--dir", dir, "--hub", proxy.url, "--enrolment", code).ok()
            nodes.append((commune, dir, proxy))
        }
        // The same night for both communes: 60 local changes each, and 30 hub edits each to pull.
        for (commune, dir, _) in nodes {
            for index in 0..<30 {
                let id = try Executables.node(
                    ["record", "put", "--dir", dir, "children", "--unit", commune]
                        + Sample.child("Trẻ số \(index)", village: "Thôn \(index % 7)")
                        + ["notes=Ghi chú về hoàn cảnh gia đình số \(index)"]
                ).ok().line
                try Executables.node("record", "put", "--dir", dir, "children", "--id", id, "school_status=primary")
                    .ok()
                try Executables.hub(
                    [
                        "record", "put", "--db", db, "cases", "--unit", commune, "case_type=neglect",
                        "source=hotline_111",
                    ]
                        + Sample.protectionCase(of: id) + ["plan=Kế hoạch hỗ trợ số \(index)"]
                ).ok()
            }
        }
        clean.resetCount()
        faulty.resetCount()
        faulty.setFaults(true)

        let cleanAttempts = try Self.syncUntilDone(nodes[0].dir)
        let faultyAttempts = try Self.syncUntilDone(nodes[1].dir)
        #expect(cleanAttempts == 1)
        let injected = faulty.faults
        let destructive = (injected[.dropRequest] ?? 0) + (injected[.truncateResponse] ?? 0) + (injected[.reset] ?? 0)
        #expect(destructive > 0, "the proxy injected no fault: \(injected)")
        let ratio = Double(faulty.bytesRelayed) / Double(clean.bytesRelayed)
        print(
            "fault night: \(faultyAttempts) attempts, faults \(injected.map { "\($0.key.rawValue)=\($0.value)" }.sorted()), "
                + "bytes \(faulty.bytesRelayed) vs clean \(clean.bytesRelayed) (×\(String(format: "%.2f", ratio)))")
        #expect(ratio <= 1.3, "a faulty night cost \(ratio)× a clean one")

        // Nothing lost, nothing applied twice: both nodes equal their part of the hub, and the
        // hub's log holds each change exactly once (120 pushed + 60 of its own).
        for (commune, dir, _) in nodes {
            let nodeHash = try Executables.node("state-hash", "--dir", dir).ok().line
            #expect(try Executables.hub("state-hash", "--db", db, "--unit", commune).ok().line == nodeHash)
            let status =
                try JSONSerialization.jsonObject(
                    with: Data(try Executables.node("status", "--dir", dir, "--json").ok().stdout.utf8))
                as! [String: String]
            #expect(status["changes_waiting"] == "0")
            #expect(status["records"] == "60")
        }
        let hubStatus =
            try JSONSerialization.jsonObject(
                with: Data(try Executables.hub("status", "--db", db, "--json").ok().stdout.utf8))
            as! [String: String]
        #expect(hubStatus["log_length"] == "180")
        #expect(hubStatus["records"] == "120")
    }
}

import Foundation
import PostgresNIO
import PostgresStore
import SyncCore
import TestSupport
import Testing

/// Reports pointed at a real read replica: a protected hub on the test server (the primary)
/// with a node's pushed children, and `tre-hub report` run with a configuration file whose
/// `store` line names the same schema on a hot standby of it (`scripts/test-postgres replica`,
/// streaming replication). Once the standby has replayed the primary's WAL up to the primary's
/// position when the data was in (waited for by LSN), the report is the primary's, figure for
/// figure; every command that writes is refused there, saying it is a replica, and nothing
/// changes on the primary.
@Suite(.serialized, .enabled(if: !PostgresTestServer.isOptedOut, "TRE_SKIP_POSTGRES=1 (outside CI)"))
struct PostgresReplicaReportTests {
    static let units = """
        code,name,level,parent_code
        415,Huyện Kỳ Sơn,district,
        17605,Xã Mường Lống,commune,415
        17608,Xã Huồi Tụ,commune,415

        """

    /// Waits until the standby has replayed everything the primary had written when called:
    /// the primary's current WAL position, then the standby's replay position until it passes
    /// it (bounded: a standby 60 s behind on loopback is broken).
    static func waitForReplay(primary: PostgresAddress, replica: PostgresAddress) throws {
        let target = try PostgresStorage(address: primary, role: .hub).transaction(writing: false) { session in
            try session.query("SELECT pg_current_wal_lsn()::text").first?[0].decode(String.self) ?? ""
        }
        let standby = try PostgresStorage(address: replica, role: .hub)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let caughtUp = try standby.transaction(writing: false) { session in
                try session.query(
                    "SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= $1::pg_lsn", [.text(target)]
                ).first?[0].decode(Bool.self) ?? false
            }
            if caughtUp { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw HarnessError("the standby did not replay up to \(target) within 60 s")
    }

    /// A report as JSON, without the moment it was made.
    static func report(_ config: String, key: String, unit: String) throws -> [String: Any] {
        let result = try Executables.hub(
            "report", "--db", config, "--key-file", key, "--unit", unit, "--period", "2026-H1", "--format", "json")
        #expect(result.status == 0, "\(config): \(result.stderr)")
        var document = (try json(result) as? [String: Any]) ?? [:]
        document["generated"] = nil
        return document
    }

    /// The document's JSON with its keys sorted: two reports compare as text.
    static func canonical(_ document: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
    }

    static func total(_ document: [String: Any], indicator: String) -> Int? {
        let sections = document["sections"] as? [[String: Any]] ?? []
        let rows = sections.first { $0["code"] as? String == indicator }?["rows"] as? [[String: Any]] ?? []
        return rows.first { $0["key"] as? String == "" }?["value"] as? Int
    }

    @Test func aReportOnTheReplicaIsThePrimarysAndWritesAreRefusedThere() throws {
        let primary = try PostgresTestServer.freshAddress()
        let standby = try PostgresTestServer.replicaAddress(of: primary)
        let directory = try TemporaryDirectory()
        // The configuration files in a folder of their own: the key file must be outside it.
        try FileManager.default.createDirectory(atPath: directory.path("etc"), withIntermediateDirectories: true)
        let config = directory.path("etc/hub.conf")
        let key = directory.path("hub.key")
        let csv = directory.path("units.csv")
        try Self.units.write(toFile: csv, atomically: true, encoding: .utf8)
        try Executables.hub(
            "init", "--db", config, "--store", primary.description, "--unit", "415", "--name", "Kỳ Sơn",
            "--protect-with-key-file", key
        ).required("init --store")
        try Executables.hub("units", "import", "--db", config, "--key-file", key, csv).required("units import")

        // A node pushes three children; the hub's staff add one in the other commune.
        let server = try HubProcess(database: config, logFile: directory.path("hub.log"), extra: ["--key-file", key])
        defer { server.stop() }
        let code = try Executables.hub("enroll", "--db", config, "--key-file", key, "--unit", "17605").required(
            "enroll"
        ).line
        let node = directory.path("node")
        try Executables.node("init", "--dir", node, "--hub", server.url, "--enrolment", code).required("node init")
        for name in ["Vừ Thị Mỷ", "Lò Văn Páo", "Hà Thị Nga"] {
            try Executables.node(["record", "put", "--dir", node, "children"] + Sample.child(name)).required("put")
        }
        try Executables.node("sync", "--dir", node).required("sync")
        try Executables.hub(
            ["record", "put", "--db", config, "--key-file", key, "children", "--unit", "17608"]
                + Sample.child("Lầu Bá Chơ", sex: "M")
        ).required("hub record put")

        // The replica's configuration file: the same schema on the standby.
        let replicaConfig = directory.path("etc/hub-reports.conf")
        try
            "# tre-hub: this hub's data is on a PostgreSQL server (tre-hub init --store).\nstore = \(standby.description)\n"
            .write(toFile: replicaConfig, atomically: true, encoding: .utf8)
        try Self.waitForReplay(primary: primary, replica: standby)

        for unit in ["415", "17605", "17608"] {
            let onPrimary = try Self.report(config, key: key, unit: unit)
            let onReplica = try Self.report(replicaConfig, key: key, unit: unit)
            #expect(!onPrimary.isEmpty)
            #expect(try Self.canonical(onReplica) == Self.canonical(onPrimary), "unit \(unit): the primary's report")
            #expect(Self.total(onReplica, indicator: "0201") == ["415": 4, "17605": 3, "17608": 1][unit])
        }

        // What else only reads works there too.
        for arguments in [
            ["status", "--db", replicaConfig, "--key-file", key],
            ["report", "status", "--db", replicaConfig, "--key-file", key, "--period", "2026-H1"],
        ] {
            let read = try Executables.hub(arguments)
            #expect(read.status == 0, "\(arguments.prefix(2)): \(read.stderr)")
        }

        // Writing commands: refused up front, saying why and where to run them.
        let hashBefore = try Executables.hub("state-hash", "--db", config, "--key-file", key).required("state-hash")
            .line
        let enrolmentsBefore = try Executables.hub("enroll", "list", "--db", config, "--key-file", key).line
        for arguments in [
            ["serve", "--db", replicaConfig, "--key-file", key, "--host", "127.0.0.1", "--port", "0"],
            ["enroll", "--db", replicaConfig, "--key-file", key, "--unit", "17608"],
            [
                "report", "submit", "--db", replicaConfig, "--key-file", key, "--unit", "17608", "--by", "Xã",
                "--period", "2026-H1",
            ],
            [
                "report", "approve", "--db", replicaConfig, "--key-file", key, "--unit", "17605", "--by", "Huyện",
                "--period", "2026-H1",
            ],
            ["policy", "set", "--db", replicaConfig, "--key-file", key, "aggregates"],
            ["units", "import", "--db", replicaConfig, "--key-file", key, csv],
        ] {
            let refused = try Executables.run("tre-hub", arguments, timeout: 60)
            #expect(refused.status == 1, "\(arguments.prefix(2)): \(refused.stdout) \(refused.stderr)")
            #expect(refused.stderr.contains("read replica"), "\(arguments.prefix(2)): \(refused.stderr)")
            #expect(refused.stderr.contains("primary"), "\(arguments.prefix(2)): \(refused.stderr)")
        }
        // A write the up-front check does not cover still fails on the server's refusal.
        let put = try Executables.hub(
            ["record", "put", "--db", replicaConfig, "--key-file", key, "children", "--unit", "17608"]
                + Sample.child("Giàng A Tủa", sex: "M"))
        #expect(put.status != 0 && put.stderr.contains("read replica"), "\(put.stderr)")

        try Self.waitForReplay(primary: primary, replica: standby)
        #expect(
            try Executables.hub("state-hash", "--db", config, "--key-file", key).required("state-hash").line
                == hashBefore)
        #expect(try Executables.hub("enroll", "list", "--db", config, "--key-file", key).line == enrolmentsBefore)
        #expect(try Executables.hub("state-hash", "--db", replicaConfig, "--key-file", key).line == hashBefore)
    }
}

import Foundation
import SyncCore
import TestSupport
import Testing

/// Enrolment and revocation as an operator and a commune worker meet them: the built
/// `tre-hub` and `tre-node`, a hub serving on 127.0.0.1.
@Suite(.serialized) struct TrustTests {
    static func object(_ result: CommandResult) throws -> [String: String] {
        try #require(try json(result) as? [String: String], "\(result.stdout) \(result.stderr)")
    }

    static func rows(_ result: CommandResult) throws -> [[String: String]] {
        try #require(try json(result) as? [[String: String]], "\(result.stdout) \(result.stderr)")
    }

    static func origin(ofNode dir: String) throws -> String {
        try object(try Executables.node("status", "--dir", dir, "--json").ok())["origin"] ?? ""
    }

    @Test func aCodeEnrolsOnlyItsKindAndAFailedEnrolmentCreatesNothing() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let db = district.database
        let nodeDir = directory.path("commune/node")
        let lowerDB = directory.path("lower.sqlite")
        let hubCode = try Executables.hub("enroll", "--db", db, "--unit", "17608", "--kind", "hub").ok().line
        let nodeCode = try Executables.hub("enroll", "--db", db, "--unit", "17605").ok().line

        let hubCodeForNode = try Executables.node("init", "--dir", nodeDir, "--hub", hub.url, "--enrolment", hubCode)
        #expect(hubCodeForNode.status == 3)
        #expect(hubCodeForNode.stderr.contains("this enrolment code is for a hub, not a node"))
        #expect(hubCodeForNode.stderr.contains("tre-hub init --upstream"))
        let nodeCodeForHub = try Executables.hub(
            "init", "--db", lowerDB, "--name", "Lower", "--upstream", hub.url, "--enrolment", nodeCode)
        #expect(nodeCodeForHub.status == 3)
        #expect(nodeCodeForHub.stderr.contains("this enrolment code is for a node, not a hub"))
        let unknown = try Executables.node(
            "init", "--dir", nodeDir, "--hub", hub.url, "--enrolment", "AAAA-BBBB-CCCC-DDDD")
        #expect(unknown.status == 3)
        let otherUnit = try Executables.node(
            "init", "--dir", nodeDir, "--hub", hub.url, "--enrolment", nodeCode, "--unit", "17608")
        #expect(otherUnit.status == 3)
        #expect(otherUnit.stderr.contains("this enrolment code is for unit 17605"))
        let unreachable = try Executables.node(
            "init", "--dir", nodeDir, "--hub", "http://127.0.0.1:1", "--enrolment", nodeCode)
        #expect(unreachable.status == 2)
        // None of them created anything, or used a code.
        #expect(!FileManager.default.fileExists(atPath: directory.path("commune")))
        #expect(!FileManager.default.fileExists(atPath: lowerDB))
        #expect(try Self.object(try Executables.hub("status", "--db", db, "--json").ok())["peers"] == "0")
        #expect(try Self.rows(try Executables.hub("enroll", "list", "--db", db, "--json").ok()).count == 2)

        // Each code enrols its own kind, with the origin the hub assigned.
        let lower = try Self.object(
            try Executables.hub(
                "init", "--db", lowerDB, "--name", "Lower", "--upstream", hub.url, "--enrolment", hubCode, "--json"
            ).ok())
        let node = try Self.object(
            try Executables.node("init", "--dir", nodeDir, "--hub", hub.url, "--enrolment", nodeCode, "--json").ok())
        #expect(try Self.object(try Executables.hub("status", "--db", db, "--json").ok())["peers"] == "2")
        #expect(lower["unit"] == "17608")
        #expect(try Self.origin(ofNode: nodeDir) == node["origin"])
        #expect(try Self.rows(try Executables.hub("enroll", "list", "--db", db, "--json").ok()).isEmpty)

        // Codes last 1 to 336 hours; --days is gone.
        for bad in [["--hours", "0"], ["--hours", "337"], ["--days", "7"]] {
            let refused = try Executables.run("tre-hub", ["enroll", "--db", db, "--unit", "17605"] + bad)
            #expect(refused.status == 1, "\(bad)")
        }
        let made = try Self.object(
            try Executables.hub("enroll", "--db", db, "--unit", "17605", "--hours", "336", "--json").ok())
        #expect(made["valid_hours"] == "336")
        #expect(made["kind"] == "node")
    }

    @Test func pendingCodesAreListedWithoutTheirCodeAndCanBeRevoked() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let db = district.database
        let kept = try Self.object(try Executables.hub("enroll", "--db", db, "--unit", "17605", "--json").ok())
        let dropped = try Self.object(
            try Executables.hub("enroll", "--db", db, "--unit", "17608", "--kind", "hub", "--hours", "2", "--json").ok()
        )
        let listed = try Self.rows(try Executables.hub("enroll", "list", "--db", db, "--json").ok())
        #expect(listed.map { $0["id"] ?? "" } == [kept["id"] ?? "", dropped["id"] ?? ""])
        #expect(listed.last?["kind"] == "hub")
        #expect(listed.last?["unit"] == "17608")
        #expect(listed.last?["unit_name"] == "Xã Huồi Tụ")
        #expect(listed.allSatisfy { $0["created"]?.isEmpty == false && $0["expires"]?.isEmpty == false })
        let text = try Executables.hub("enroll", "list", "--db", db).ok().stdout
        for code in [kept["code"]!, dropped["code"]!] {
            #expect(!text.contains(code))
            #expect(!listed.description.contains(code))
        }
        let revoked = try Executables.hub("enroll", "revoke", "--db", db, dropped["id"]!).ok()
        #expect(revoked.stdout.contains("revoked: enrolment code \(dropped["id"]!)"))
        #expect(
            try Self.rows(try Executables.hub("enroll", "list", "--db", db, "--json").ok()).map { $0["id"] ?? "" } == [
                kept["id"] ?? ""
            ])
        let used = try Executables.hub(
            "init", "--db", directory.path("lower.sqlite"), "--name", "Lower", "--upstream", hub.url, "--enrolment",
            dropped["code"]!)
        #expect(used.status == 3)
        #expect(used.stderr.contains("this enrolment code was revoked"))
        let unknown = try Executables.hub("enroll", "revoke", "--db", db, "0000000000")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("hint: `tre-hub enroll list` shows the pending codes' ids."))
    }

    /// The folder listing and every file's bytes: what "changes nothing" means.
    static func snapshot(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return files
    }

    @Test func aCommandPointedAtTheOtherKindOfFileRefusesAndChangesNothing() throws {
        let directory = try TemporaryDirectory()
        let node = directory.path("node")
        try Executables.node("init", "--dir", node, "--unit", "17605").ok()
        try Executables.node("record", "put", "--dir", node, "children", "full_name=Lò Thị Mai").ok()
        let hubDB = directory.path("hub.sqlite")
        try Executables.hub("init", "--db", hubDB, "--unit", "415", "--name", "Kỳ Sơn").ok()
        let csv = directory.path("units.csv")
        try DistrictHub.units.write(toFile: csv, atomically: true, encoding: .utf8)
        try Executables.hub("units", "import", "--db", hubDB, csv).ok()
        try Executables.hub("record", "put", "--db", hubDB, "children", "--unit", "17605", "sex=M").ok()
        let file = directory.path("node.changes")
        try Executables.node("changes", "export", "--dir", node, "--out", file).ok()

        let nodeFile = node + "/replica.sqlite"
        let nodeBefore = try Self.snapshot(node)
        for command in [
            ["status"], ["state-hash"], ["record", "list", "children"],
            ["record", "put", "children", "--unit", "17605", "sex=F"],
            ["units", "import", csv], ["enroll", "--unit", "17605"], ["enroll", "list"],
            ["changes", "import", file], ["serve", "--port", "0"], ["sync-upstream"],
        ] {
            let refused = try Executables.run("tre-hub", command + ["--db", nodeFile], timeout: 30)
            #expect(refused.status == 1, "tre-hub \(command)")
            #expect(
                refused.stderr.contains(
                    "this is a commune node's replica, not a hub database; use tre-node with --dir \(node)"),
                "tre-hub \(command): \(refused.stderr)")
            #expect(refused.stderr.contains("The file was not changed"))
            #expect(try Self.snapshot(node) == nodeBefore, "tre-hub \(command) changed the node's folder")
        }

        // A hub's database where a node's replica should be.
        let misplaced = directory.path("misplaced")
        try FileManager.default.createDirectory(atPath: misplaced, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: hubDB, toPath: misplaced + "/replica.sqlite")
        let hubBefore = try Self.snapshot(misplaced)
        for command in [
            ["status"], ["state-hash"], ["record", "list", "children"], ["record", "put", "children", "sex=F"],
            ["conflicts"], ["changes", "import", file], ["sync"],
        ] {
            let refused = try Executables.run("tre-node", command + ["--dir", misplaced], timeout: 30)
            #expect(refused.status == 1, "tre-node \(command)")
            #expect(
                refused.stderr.contains(
                    "this is a hub's database, not a commune node's replica; use tre-hub with --db"),
                "tre-node \(command): \(refused.stderr)")
            #expect(try Self.snapshot(misplaced) == hubBefore, "tre-node \(command) changed the hub's file")
        }
        // Each still opens as what it is.
        try Executables.node("status", "--dir", node).ok()
        try Executables.hub("status", "--db", hubDB).ok()
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o777
    }

    @Test func replicasAndNodeFoldersAreTheOwnersOnly() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let db = district.database
        // While serving: the database, its -wal and -shm.
        for file in [db, db + "-wal", db + "-shm"] {
            #expect(try Self.mode(file) == 0o600, "\(file)")
        }
        let dir = directory.path("offices/commune/node")
        try district.node("17605", in: dir, url: hub.url)
        #expect(try Self.mode(dir) == 0o700)
        #expect(try Self.mode(dir + "/replica.sqlite") == 0o600)
        try Executables.node("sync", "--dir", dir).ok()
        let standalone = directory.path("standalone")
        try Executables.node("init", "--dir", standalone, "--unit", "17605").ok()
        #expect(try Self.mode(standalone) == 0o700)
        #expect(try Self.mode(standalone + "/replica.sqlite") == 0o600)
        let upstreamDB = directory.path("lower.sqlite")
        let code = try Executables.hub("enroll", "--db", db, "--unit", "17608", "--kind", "hub").ok().line
        try Executables.hub("init", "--db", upstreamDB, "--name", "Lower", "--upstream", hub.url, "--enrolment", code)
            .ok()
        #expect(try Self.mode(upstreamDB) == 0o600)

        // A replica made with a looser mode (by the previous release) is tightened when opened.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: standalone + "/replica.sqlite")
        try Executables.node("status", "--dir", standalone).ok()
        #expect(try Self.mode(standalone + "/replica.sqlite") == 0o600)
    }
}

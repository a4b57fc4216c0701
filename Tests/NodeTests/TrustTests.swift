import Foundation
import SyncClient
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

    @Test func aReinstalledLaptopGetsItsCommuneAndTheRevokedOneIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let db = district.database
        let laptopA = directory.path("laptop-a")
        let laptopB = directory.path("laptop-b")

        // Laptop A records the commune's children and syncs; the district adds a case.
        try district.node("17605", in: laptopA, url: hub.url)
        var ids: [String] = []
        for index in 0..<5 {
            ids.append(
                try Executables.node(
                    ["record", "put", "--dir", laptopA, "children", "school_status=primary"]
                        + Sample.child("Trẻ \(index)")
                ).ok().line)
        }
        try Executables.node(
            "record", "put", "--dir", laptopA, "children", "--id", ids[0], "at_risk=true", "at_risk_reason=Bỏ học"
        ).ok()
        try Executables.node("sync", "--dir", laptopA).ok()
        try Executables.hub(
            ["record", "put", "--db", db, "cases", "--unit", "17605", "case_type=neglect"]
                + Sample.protectionCase(of: ids[0])
        ).ok()
        try Executables.hub(["record", "put", "--db", db, "children", "--unit", "17608"] + Sample.child("Khác")).ok()
        try Executables.node("sync", "--dir", laptopA).ok()
        let originA = try Self.origin(ofNode: laptopA)

        // Laptop A is replaced: B enrols for the same commune with a new code, a new origin.
        try district.node("17605", in: laptopB, url: hub.url)
        let originB = try Self.origin(ofNode: laptopB)
        #expect(OriginID(string: originB) != nil)
        #expect(originB != originA)
        func sync(_ dir: String) throws -> [String: Int] {
            try #require(try json(try Executables.node("sync", "--dir", dir, "--json").ok()) as? [String: Int])
        }
        // The first sync brings the commune's whole state: 5 children, an edit, the district's case.
        let first = try sync(laptopB)
        #expect(first["pushed"] == 0)
        #expect(first["pulled"] == 7)
        #expect(try sync(laptopB)["pulled"] == 0)
        let hashA = try Executables.node("state-hash", "--dir", laptopA).ok().line
        #expect(hashA.count == 64)
        #expect(try Executables.node("state-hash", "--dir", laptopB).ok().line == hashA)
        #expect(try Executables.hub("state-hash", "--db", db, "--unit", "17605").ok().line == hashA)
        let children = try Executables.node("record", "list", "--dir", laptopB, "children").ok().stdout
        #expect(children.split(separator: "\n").count == 5)
        #expect(!children.contains("Khác"), "another commune's child reached the laptop")

        var peers = try Self.rows(try Executables.hub("nodes", "list", "--db", db, "--json").ok())
        #expect(peers.map { $0["origin"] ?? "" }.sorted() == [originA, originB].sorted())
        #expect(peers.allSatisfy { $0["state"] == "active" && $0["unit"] == "17605" && $0["kind"] == "node" })
        #expect(peers.allSatisfy { $0["unit_name"] == "Xã Mường Lống" && $0["last_seen"]?.isEmpty == false })

        // The operator revokes the old laptop by a prefix of its origin.
        let revoked = try Executables.hub("nodes", "revoke", "--db", db, String(originA.prefix(28))).ok()
        #expect(revoked.stdout.contains("revoked: \(originA)"))
        peers = try Self.rows(try Executables.hub("nodes", "list", "--db", db, "--json").ok())
        #expect(peers.first { $0["origin"] == originA }?["state"] == "revoked")
        #expect(peers.first { $0["origin"] == originA }?["revoked"]?.isEmpty == false)
        #expect(peers.first { $0["origin"] == originB }?["state"] == "active")

        // The old laptop is refused at once, with what to do.
        try Executables.node("record", "put", "--dir", laptopA, "children", "--id", ids[1], "village=Bản Mới").ok()
        let refused = try Executables.node("sync", "--dir", laptopA)
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("(401 revoked)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("enrolment (origin \(originA)) was revoked at the hub"))
        #expect(refused.stderr.contains("hint: Enrol again with a new code from the hub's operator"))
        // On every signed route, over HTTP.
        let replica = try openReplica(laptopA + "/replica.sqlite")
        let key = try #require(try replica.setting("upstream.key").flatMap(PeerKey.init(hex:)))
        let client = HubClient(
            baseURL: URL(string: hub.url)!, origin: OriginID(string: originA)!, key: key, time: SystemTimeSource())
        for (method, path, query) in [
            ("POST", "/v1/push", nil), ("GET", "/v1/pull", "after=0"), ("GET", "/v1/status", nil),
        ] {
            let failure: SyncFailure?
            do {
                _ = try await client.send(method, path, query: query, body: method == "POST" ? [1] : [])
                failure = nil
            } catch {
                failure = error
            }
            guard case .refused(let status, let code, _, let hint) = failure else {
                Issue.record("\(method) \(path) was not refused: \(String(describing: failure))")
                continue
            }
            #expect(status == 401)
            #expect(code == "revoked")
            #expect(hint.contains("new code"))
        }
        // Nothing of A's new edit arrived; B still syncs.
        #expect(try Executables.hub("state-hash", "--db", db, "--unit", "17605").ok().line == hashA)
        try Executables.node("sync", "--dir", laptopB).ok()
        let log = try String(contentsOfFile: district.log, encoding: .utf8)
        // One logfmt line per refused sync, naming the node (its signature verified) and why.
        #expect(
            log.split(separator: "\n").contains {
                $0.contains("event=sync") && $0.contains("node=\(originA)") && $0.contains("reason=revoked")
            }, "\(log)")
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
        #expect(try Self.rows(try Executables.hub("nodes", "list", "--db", db, "--json").ok()).isEmpty)
        #expect(try Self.rows(try Executables.hub("enroll", "list", "--db", db, "--json").ok()).count == 2)

        // Each code enrols its own kind, with the origin the hub assigned.
        let lower = try Self.object(
            try Executables.hub(
                "init", "--db", lowerDB, "--name", "Lower", "--upstream", hub.url, "--enrolment", hubCode, "--json"
            ).ok())
        let node = try Self.object(
            try Executables.node("init", "--dir", nodeDir, "--hub", hub.url, "--enrolment", nodeCode, "--json").ok())
        let peers = try Self.rows(try Executables.hub("nodes", "list", "--db", db, "--json").ok())
        #expect(peers.first { $0["kind"] == "hub" }?["origin"] == lower["origin"])
        #expect(peers.first { $0["kind"] == "hub" }?["unit"] == "17608")
        #expect(peers.first { $0["kind"] == "node" }?["origin"] == node["origin"])
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

    @Test func aSecondServerOnOneDatabaseIsRefusedAndShortCommandsStillWork() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        let db = district.database
        let second = try Executables.run(
            "tre-hub", ["serve", "--db", db, "--host", "127.0.0.1", "--port", "0"], timeout: 30)
        #expect(second.status == 1, "the second server ran: \(second.stdout)")
        let pid = hub.process.processIdentifier
        #expect(second.stderr.contains("\(db) is in use: process \(pid) ("), "\(second.stderr)")
        #expect(second.stderr.contains("tre-hub serve --db \(db)"))
        #expect(second.stderr.contains("hint: Only one tre-hub serve may run on a database"))
        #expect(second.stderr.contains("kill \(pid)"))
        let lock = try String(contentsOfFile: db + ".lock", encoding: .utf8)
        #expect(lock.hasPrefix("\(pid)\n"))

        // Short commands work beside the server.
        try Executables.hub(["record", "put", "--db", db, "children", "--unit", "17605"] + Sample.child(sex: "M")).ok()
        try Executables.hub("status", "--db", db).ok()
        try Executables.hub("enroll", "--db", db, "--unit", "17605").ok()
        try Executables.hub("nodes", "list", "--db", db).ok()
        try district.node("17605", in: directory.path("node"), url: hub.url)
        try Executables.node("sync", "--dir", directory.path("node")).ok()

        // Once the first is gone, the lock is free again.
        #expect(hub.stop() == 0)
        let again = try HubProcess(database: db, logFile: district.log)
        #expect(again.stop() == 0)
    }

    @Test func twoSyncsOfOneNodeAtOnceAreRefused() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let dir = directory.path("node")
        try district.node("17605", in: dir, url: hub.url)
        try Executables.node(["record", "put", "--dir", dir, "children"] + Sample.child()).ok()

        // The hub stops answering (SIGSTOP): the first sync waits on it, holding the node's lock.
        let hubPID = hub.process.processIdentifier
        kill(hubPID, SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(hubPID, SIGCONT) } }
        let first = Process()
        first.executableURL = Executables.binDirectory.appendingPathComponent("tre-node")
        first.arguments = Executables.nodeArguments(["sync", "--dir", dir])
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        let lockFile = dir + "/replica.sqlite.lock"
        var held = false
        for _ in 0..<100 where !held {
            Thread.sleep(forTimeInterval: 0.1)
            held =
                (try? String(contentsOfFile: lockFile, encoding: .utf8))?.hasPrefix("\(first.processIdentifier)\n")
                == true
        }
        #expect(held, "the first sync did not take the lock")

        let second = try Executables.run("tre-node", ["sync", "--dir", dir], timeout: 30)
        #expect(second.status == 1)
        #expect(second.stderr.contains("is in use: process \(first.processIdentifier) ("), "\(second.stderr)")
        #expect(second.stderr.contains("tre-node sync --dir \(dir) --key-file "))
        #expect(second.stderr.contains(") is syncing this replica"))
        #expect(second.stderr.contains("hint: Wait for that sync to finish"))

        // The daemon takes the lock for each sync too: it waits its turn.
        let log = directory.path("daemon.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let daemon = Process()
        daemon.executableURL = Executables.binDirectory.appendingPathComponent("tre-node")
        daemon.arguments = Executables.nodeArguments(["sync", "--dir", dir, "--daemon", "--every", "1s"])
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try daemon.run()
        defer {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        var waited = ""
        for _ in 0..<100 where !waited.contains("is in use: process \(first.processIdentifier)") {
            Thread.sleep(forTimeInterval: 0.1)
            waited = try String(contentsOfFile: log, encoding: .utf8)
        }
        #expect(waited.contains("is in use: process \(first.processIdentifier)"), "\(waited)")

        kill(hubPID, SIGCONT)
        resumed = true
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        var synced = ""
        for _ in 0..<100 where !synced.contains("synced:") {
            Thread.sleep(forTimeInterval: 0.1)
            synced = try String(contentsOfFile: log, encoding: .utf8)
        }
        #expect(synced.contains("synced:"), "\(synced)")
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
        try Executables.node(["record", "put", "--dir", node, "children"] + Sample.child()).ok()
        let hubDB = directory.path("hub.sqlite")
        try Executables.hub("init", "--db", hubDB, "--unit", "415", "--name", "Kỳ Sơn").ok()
        let csv = directory.path("units.csv")
        try DistrictHub.units.write(toFile: csv, atomically: true, encoding: .utf8)
        try Executables.hub("units", "import", "--db", hubDB, csv).ok()
        try Executables.hub(["record", "put", "--db", hubDB, "children", "--unit", "17605"] + Sample.child(sex: "M"))
            .ok()
        // Any file: the replica's kind is checked before the file is read.
        let file = directory.path("node.changes")
        try Data("TRECHG not really".utf8).write(to: URL(fileURLWithPath: file))

        let nodeFile = node + "/replica.sqlite"
        let nodeBefore = try Self.snapshot(node)
        for command in [
            ["status"], ["state-hash"], ["record", "list", "children"],
            ["record", "put", "children", "--unit", "17605", "sex=F"],
            ["units", "import", csv], ["enroll", "--unit", "17605"], ["enroll", "list"], ["nodes", "list"],
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

    @Test func replicasLocksAndNodeFoldersAreTheOwnersOnly() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let db = district.database
        // While serving: the database, its -wal and -shm, and the lock.
        for file in [db, db + "-wal", db + "-shm", db + ".lock"] {
            #expect(try Self.mode(file) == 0o600, "\(file)")
        }
        let dir = directory.path("offices/commune/node")
        try district.node("17605", in: dir, url: hub.url)
        #expect(try Self.mode(dir) == 0o700)
        #expect(try Self.mode(dir + "/replica.sqlite") == 0o600)
        try Executables.node("sync", "--dir", dir).ok()
        #expect(try Self.mode(dir + "/replica.sqlite.lock") == 0o600)
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

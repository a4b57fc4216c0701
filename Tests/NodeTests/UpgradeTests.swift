import Foundation
import GRDB
import SyncCore
import TestSupport
import Testing

/// Files the previous release made with its own binaries (`Tests/Fixtures/release-0.4`, made by
/// `scripts/make-upgrade-fixtures`), opened by this release's `tre-node` and `tre-hub`: a
/// commune node's replica protected by a passphrase, with children, an intake, a case with
/// steps, an open conflict and changes it had not pushed; the district hub's database it is
/// enrolled at; the hub as it was at the node's enrolment and the requests the node sent in its
/// first sync. The state hashes they are compared with were printed by the previous release.
@Suite(.serialized) struct UpgradeTests {
    /// One release's fixtures and what its binaries printed (`expected.env`).
    struct Fixture {
        let folder: URL
        let expected: [String: String]

        static let previous = "0.4"

        static func load(_ label: String = previous) throws -> Fixture {
            let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/release-\(label)")
            let text = try String(contentsOf: folder.appendingPathComponent("expected.env"), encoding: .utf8)
            var expected: [String: String] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                expected[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return Fixture(folder: folder, expected: expected)
        }

        func value(_ name: String) throws -> String {
            guard let value = expected[name], !value.isEmpty else { throw HarnessError("expected.env has no \(name)") }
            return value
        }

        /// Copies one of the fixture's files to `path` (the fixture itself is never opened).
        func copy(_ name: String, to path: String) throws {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try FileManager.default.copyItem(atPath: folder.appendingPathComponent(name).path, toPath: path)
        }
    }

    /// `tre-node` on the fixture's node, unlocked by its passphrase.
    static func oldNode(_ fixture: Fixture, _ arguments: [String]) throws -> CommandResult {
        try Executables.run("tre-node", arguments, environment: ["TRE_PASSPHRASE": try fixture.value("passphrase")])
    }

    static func hubHash(_ database: String, unit: String = "17605") throws -> String {
        try Executables.hub("state-hash", "--db", database, "--unit", unit).ok("hub state-hash").line
    }

    /// The migrations a file records, and its `user_version`, read without a Tre program.
    static func migrations(_ path: String) throws -> (applied: [String], version: Int) {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            let applied =
                try db.tableExists("grdb_migrations")
                ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") : []
            return (applied, try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0)
        }
    }

    /// The fixture files as the previous release left them: user_version 4, no migrator's table.
    @Test func theFixturesAreThePreviousReleasesFiles() throws {
        let fixture = try Fixture.load()
        let directory = try TemporaryDirectory()
        for name in ["node-replica.sqlite", "district-hub.sqlite", "district-hub-at-enrolment.sqlite"] {
            let copy = directory.path(name)
            try fixture.copy(name, to: copy)
            let found = try Self.migrations(copy)
            #expect(found.applied.isEmpty, "\(name)")
            #expect(found.version == 4, "\(name)")
        }
        var total = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path) {
            let size = try FileManager.default.attributesOfItem(
                atPath: fixture.folder.appendingPathComponent(name).path)
            total += (size[.size] as? Int) ?? 0
        }
        #expect(total < 1_000_000, "the fixtures weigh \(total) bytes")
    }

    /// The previous release's node and hub, both opened by this release: each migrates on open
    /// with nothing lost (the same state hashes the previous release printed), then the node's
    /// unsent changes reach the hub and the two agree; the open conflict is still open on both.
    @Test func aPreviousNodeAndItsHubMigrateAndSyncWithNothingLost() throws {
        let fixture = try Fixture.load()
        let directory = try TemporaryDirectory()
        let folder = directory.path("node")
        let node = folder + "/replica.sqlite"
        let database = directory.path("district.sqlite")
        try fixture.copy("node-replica.sqlite", to: node)
        try fixture.copy("district-hub.sqlite", to: database)

        let nodeHash = try Self.oldNode(fixture, ["state-hash", "--dir", folder]).ok("node state-hash").line
        #expect(nodeHash == (try fixture.value("node_state_hash")))
        #expect(try Self.hubHash(database) == (try fixture.value("hub_state_hash_17605")))
        #expect(try Self.migrations(node).applied == SchemaMigrations.replica)
        #expect(try Self.migrations(database).applied == SchemaMigrations.replica + SchemaMigrations.hub)
        #expect(try Self.migrations(node).version == 6)

        let hub = try HubProcess(database: database, logFile: directory.path("hub.log"))
        defer { hub.stop() }
        try Self.oldNode(fixture, ["config", "set-hub", hub.url, "--dir", folder]).ok("set-hub")
        try Self.oldNode(fixture, ["sync", "--dir", folder]).ok("sync")

        let after = try Self.oldNode(fixture, ["state-hash", "--dir", folder]).ok().line
        #expect(after == nodeHash, "the node lost or gained something in its sync")
        #expect(try Self.hubHash(database) == after)
        #expect(try Self.hubHash(database) != (try fixture.value("hub_state_hash_17605")))
        // What was not pushed is at the hub, as the previous release's worker typed it.
        let unsent = try Executables.hub(
            "record", "get", "--db", database, "children", try fixture.value("child_unsent")
        ).ok("record get").stdout
        #expect(unsent.contains("Phạm Văn Chưa Gửi"))
        let noted = try Executables.hub(
            "record", "get", "--db", database, "children", try fixture.value("child_with_unsent_note")
        ).ok().stdout
        #expect(noted.contains("Ghi chú chưa gửi"))
        let conflicted = try fixture.value("child_with_conflict")
        #expect(try Executables.hub("conflicts", "--db", database).ok().stdout.contains(conflicted))
        #expect(try Self.oldNode(fixture, ["conflicts", "--dir", folder]).ok().stdout.contains(conflicted))
        // Still protected by its passphrase: a command without it cannot read a child.
        let locked = try Executables.run(
            "tre-node", ["record", "get", "--dir", folder, "children", conflicted], keyFile: false)
        #expect(locked.status != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: node)).range(of: Data("Chưa Gửi".utf8)) == nil)
    }

    /// The previous release's hub, opened by this release's `tre-hub serve`: a node of this
    /// release enrols and receives exactly what the hub held (the previous release's hash of
    /// its commune); then the previous release's node, migrated, syncs with both and all three
    /// agree.
    @Test func aPreviousHubMigratesAndServesNewAndPreviousNodes() throws {
        let fixture = try Fixture.load()
        let directory = try TemporaryDirectory()
        let database = directory.path("district.sqlite")
        try fixture.copy("district-hub.sqlite", to: database)
        let hub = try HubProcess(database: database, logFile: directory.path("hub.log"))
        defer { hub.stop() }
        #expect(try Self.migrations(database).applied == SchemaMigrations.replica + SchemaMigrations.hub)

        let fresh = directory.path("fresh")
        let code = try Executables.hub("enroll", "--db", database, "--unit", "17605").ok("enroll").line
        try Executables.node("init", "--dir", fresh, "--hub", hub.url, "--enrolment", code).ok("init")
        try Executables.node("sync", "--dir", fresh).ok("fresh sync")
        #expect(
            try Executables.node("state-hash", "--dir", fresh).ok().line == (try fixture.value("hub_state_hash_17605")))
        let added = try Executables.node(
            ["record", "put", "--dir", fresh, "children"] + Sample.child("Đỗ Thị Mới", village: "Bản Thử Ba")
        ).ok("put").line
        try Executables.node("sync", "--dir", fresh).ok()

        let folder = directory.path("previous")
        try fixture.copy("node-replica.sqlite", to: folder + "/replica.sqlite")
        try Self.oldNode(fixture, ["config", "set-hub", hub.url, "--dir", folder]).ok("set-hub")
        try Self.oldNode(fixture, ["sync", "--dir", folder]).ok("previous node's sync")
        try Executables.node("sync", "--dir", fresh).ok()
        let hashes = [
            try Self.oldNode(fixture, ["state-hash", "--dir", folder]).ok().line,
            try Executables.node("state-hash", "--dir", fresh).ok().line, try Self.hubHash(database),
        ]
        #expect(Set(hashes).count == 1, "\(hashes)")
        #expect(added.isEmpty == false)
        let seen = try Self.oldNode(fixture, ["record", "get", "--dir", folder, "children", added]).ok().stdout
        #expect(seen.contains("Đỗ Thị Mới"))
    }

    /// The bytes the previous release's node sent in its first sync (recorded when the fixtures
    /// were made, signed again now with the node's key: a hub refuses a stale or replayed
    /// signature) are accepted by this release's hub, opened on the previous release's hub as
    /// it was before that sync, and bring it to the state the previous release's hub reached.
    @Test func aPreviousNodesRequestsAreAcceptedByANewHub() throws {
        let fixture = try Fixture.load()
        let directory = try TemporaryDirectory()
        let database = directory.path("district.sqlite")
        try fixture.copy("district-hub-at-enrolment.sqlite", to: database)
        let (origin, key) = try DatabaseQueue(path: database).read { db -> (OriginID, PeerKey) in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT origin, key FROM hub_peers WHERE unit = '17605'"))
            let bytes: Data = row["origin"]
            return (OriginID(UUID128(bytes: bytes)), try #require(PeerKey(hex: row["key"])))
        }
        let lines = try String(
            contentsOf: fixture.folder.appendingPathComponent("node-first-sync.jsonl"), encoding: .utf8
        ).split(separator: "\n")
        #expect(lines.count >= 2)
        let hub = try HubProcess(database: database, logFile: directory.path("hub.log"))
        var pushes = 0
        for line in lines {
            let request = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let method = try #require(request["method"] as? String)
            let path = try #require(request["path"] as? String)
            let encoded = try #require(request["body"] as? String)
            let body = try #require(Data(base64Encoded: encoded))
            var headers = RequestSignature.headers(
                origin: origin, key: key, method: method, pathAndQuery: path,
                timeMillis: SystemTimeSource().nowMillis(), body: [UInt8](body))
            if let type = request["content_type"] as? String { headers["Content-Type"] = type }
            let answer = try HTTP.send(method, port: Int(hub.port), path: path, headers: headers, body: body)
            #expect(answer.status == request["status"] as? Int, "\(method) \(path)")
            if path.hasPrefix("/v1/push") { pushes += 1 }
        }
        #expect(pushes >= 1)
        #expect(hub.stop() == 0)
        #expect(try Self.hubHash(database) == (try fixture.value("hub_state_hash_17605_after_first_sync")))
    }

    /// A file a later release migrated (a migration this program does not know) is refused by
    /// both programs, saying which release to install, and its bytes are left as they were.
    @Test func aFileFromANewerReleaseIsRefusedUnchanged() throws {
        let fixture = try Fixture.load()
        let directory = try TemporaryDirectory()
        let folder = directory.path("node")
        let node = folder + "/replica.sqlite"
        let database = directory.path("district.sqlite")
        try fixture.copy("node-replica.sqlite", to: node)
        try fixture.copy("district-hub.sqlite", to: database)
        for path in [node, database] {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                try db.execute(
                    sql: "INSERT INTO grdb_migrations VALUES (?), (?)",
                    arguments: [SchemaMigrations.replicaSchema4, "9.1.0: replica schema 7"])
            }
            try queue.close()
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        }
        let nodeBytes = try Data(contentsOf: URL(fileURLWithPath: node))
        let hubBytes = try Data(contentsOf: URL(fileURLWithPath: database))

        let refusedNode = try Self.oldNode(fixture, ["status", "--dir", folder])
        let refusedHub = try Executables.hub("status", "--db", database)
        let refusedServe = try Executables.run(
            "tre-hub", ["serve", "--db", database, "--port", "0"], timeout: 30)
        for refused in [refusedNode, refusedHub, refusedServe] {
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("newer Tre"), "\(refused.stderr)")
            #expect(refused.stderr.contains("\"9.1.0: replica schema 7\""), "\(refused.stderr)")
            #expect(refused.stderr.contains("install Tre 9.1.0 or later"), "\(refused.stderr)")
            #expect(refused.stderr.contains("The file was not changed"), "\(refused.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: node)) == nodeBytes)
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == hubBytes)
        for leftover in [node + "-wal", database + "-wal"] {
            #expect(!FileManager.default.fileExists(atPath: leftover), "\(leftover)")
        }
    }
}

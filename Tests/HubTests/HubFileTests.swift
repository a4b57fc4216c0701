import Foundation
import GRDB
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// Which files a hub opens: its own (made by `init`, or by the first release without a role
/// marker), never a node's replica, which is refused and left as it was.
@Suite struct HubFileTests {
    /// The hub tables of the first release, exactly as it created them.
    static let firstReleaseSchema = """
        CREATE TABLE IF NOT EXISTS hub_units (
            code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent_code TEXT
        );
        CREATE INDEX IF NOT EXISTS hub_units_parent ON hub_units (parent_code);
        CREATE TABLE IF NOT EXISTS hub_peers (
            origin BLOB PRIMARY KEY, unit TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
            key TEXT NOT NULL, enrolled_at INTEGER NOT NULL, last_seen INTEGER
        );
        CREATE TABLE IF NOT EXISTS hub_enrolments (
            code_hash TEXT PRIMARY KEY, unit TEXT NOT NULL, created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL, used_by BLOB
        );
        """

    /// The file's bytes and the folder's listing: what "unchanged" means.
    static func snapshot(_ path: String) throws -> (Data, [String]) {
        let folder = (path as NSString).deletingLastPathComponent
        return (
            try Data(contentsOf: URL(fileURLWithPath: path)),
            try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        )
    }

    static func expectWrongRole(_ open: () throws -> Void, saying text: String) {
        do {
            try open()
            Issue.record("the file was opened")
        } catch let error as StoreError {
            #expect(error.kind == .wrongRole)
            #expect(error.description.contains(text), "\(error)")
            #expect(error.hint.contains("The file was not changed"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aHubOfTheFirstReleaseStillOpensAsAHub() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("district.sqlite")
        let node = testOrigin(50)
        let key = PeerKey.random()
        let now = SystemTimeSource().nowMillis()
        let code = "OLDC-ODEA-BCDE-FGHJ"
        do {
            let storage = try SQLiteStorage(path: path)
            _ = try Replica.initialize(
                storage: storage, origin: testOrigin(100), unit: "415", name: "Kỳ Sơn", time: ManualClock())
            try storage.writer.write { db in
                try db.execute(sql: Self.firstReleaseSchema)
                try db.execute(
                    sql: "INSERT INTO hub_peers (origin, unit, kind, name, key, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [Data(node.uuid.bytes), "17605", "node", "", key.hex, Int64(now)])
                try db.execute(
                    sql: "INSERT INTO hub_enrolments (code_hash, unit, created_at, expires_at) VALUES (?, ?, ?, ?)",
                    arguments: [HubStore.hash(code), "17608", Int64(now), Int64(now + 7 * 86_400_000)])
            }
        }
        // No marker: its tables make it a hub's, so a node's command refuses it unchanged.
        let before = try Self.snapshot(path)
        Self.expectWrongRole({ _ = try SQLiteStorage(path: path, role: .node) }, saying: "this is a hub's database")
        #expect(try Self.snapshot(path) == before)

        let hub = try HubStore.open(path: path)
        let peer = try #require(try hub.peer(node))
        #expect(peer.key == key)
        #expect(peer.revokedAt == nil)
        let pending = try hub.pendingEnrolments(now: now)
        #expect(pending.map(\.unit) == ["17608"])
        // Its codes were made for nodes, the first release's default.
        #expect(pending.map(\.kind) == ["node"])
        let service = HubService(store: hub, dictionary: nil) { _ in }
        let answer =
            try JSONSerialization.jsonObject(
                with: Data(try service.enrol(body: jsonBytes(["code": code, "kind": "node"])))) as! [String: String]
        #expect(answer["unit"] == "17608")
        guard case .revoked = try hub.revokePeer(node.description, now: now) else {
            Issue.record("the first release's peer could not be revoked")
            return
        }
        // Marked as a hub's now: still refused by a node's command, opened again as a hub.
        Self.expectWrongRole({ _ = try SQLiteStorage(path: path, role: .node) }, saying: "this is a hub's database")
        #expect(try HubStore.open(path: path).peers().count == 2)
    }

    @Test func aNodesReplicaIsNeitherOpenedNorChangedAsAHub() throws {
        let directory = try TemporaryDirectory()
        for marked in [true, false] {
            let folder = directory.path(marked ? "node" : "first-release-node")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = folder + "/replica.sqlite"
            do {
                let replica = try Replica.initialize(
                    storage: try SQLiteStorage(path: path, role: .node), origin: testOrigin(1), unit: "17605",
                    time: ManualClock())
                if marked { try replica.setSetting(ReplicaRole.setting, ReplicaRole.node.rawValue) }
                try replica.put("children", id: testRecord(1), unit: "17605", set: ["full_name": "Lò Thị Mai"])
            }
            let before = try Self.snapshot(path)
            Self.expectWrongRole(
                { _ = try HubStore.open(path: path) },
                saying: "this is a commune node's replica, not a hub database; use tre-node with --dir \(folder)")
            #expect(try Self.snapshot(path) == before, "the node's file was changed")
            let tables = try DatabaseQueue(path: path).read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE 'hub_%'")
            }
            #expect(tables.isEmpty)
        }
    }

    @Test func aNewHubIsMarkedAndAnUnknownRoleIsRefusedByBoth() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("hub.sqlite")
        do {
            let storage = try SQLiteStorage(path: path, role: .hub)
            let replica = try Replica.initialize(
                storage: storage, origin: testOrigin(100), unit: "415", time: ManualClock())
            _ = try HubStore.create(replica: replica, storage: storage)
            #expect(try replica.setting(ReplicaRole.setting) == "hub")
            try replica.setSetting(ReplicaRole.setting, "relay")
        }
        Self.expectWrongRole({ _ = try HubStore.open(path: path) }, saying: "role is \"relay\"")
        Self.expectWrongRole({ _ = try SQLiteStorage(path: path, role: .node) }, saying: "role is \"relay\"")
    }
}

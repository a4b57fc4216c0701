import Foundation
import SyncCore
import TestSupport
import Testing

/// Backups and restores that never lose an edit: a commune laptop restored from an old backup,
/// and a district hub restored from one, each caught up by a sync.
@Suite(.serialized) struct RestoreTests {
    static func put(_ dir: String, _ name: String) throws -> String {
        let result = try Executables.node(
            ["record", "put", "--dir", dir, "children", "--unit", "17605", "--json"] + Sample.child(name)
        ).ok()
        return (try json(result) as! [String: String])["id"]!
    }

    static func childCount(hub db: String) throws -> Int {
        (try json(Executables.hub("record", "list", "--db", db, "children", "--json").ok()) as! [Any]).count
    }

    @Test func aRestoredNodeNeverReusesAChangeIdAndGetsBackWhatItHadSent() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let laptop = directory.path("laptop")
        try district.node("17605", in: laptop, url: hub.url)
        _ = try Self.put(laptop, "Vừ Thị Mỷ")
        try Executables.node("sync", "--dir", laptop).ok()
        let backup = directory.path("commune-backup.sqlite")
        try Executables.node("backup", "--dir", laptop, "--out", backup).ok()
        #expect(try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int == 0o600)
        // Work after the backup reaches the hub; then the laptop's disk dies.
        let afterBackup = try Self.put(laptop, "Lò Văn Páo")
        try Executables.node("sync", "--dir", laptop).ok()

        // The backup is sealed like the laptop's replica: whatever replaces the laptop keeps the
        // commune's key file (here, a copy of it for each folder the backup is put in).
        for folder in ["as-is", "new-laptop"] {
            try FileManager.default.copyItem(
                atPath: Executables.keyFile(forNode: laptop),
                toPath: Executables.keyFile(forNode: directory.path(folder)))
        }
        // The backup file is not a live replica: commands on it say how to restore.
        try FileManager.default.createDirectory(atPath: directory.path("as-is"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: backup, toPath: directory.path("as-is") + "/replica.sqlite")
        let direct = try Executables.node("state-hash", "--dir", directory.path("as-is"))
        #expect(direct.status == 1)
        #expect(direct.stderr.contains("tre-node restore --dir"))

        let restored = directory.path("new-laptop")
        try Executables.node("restore", "--dir", restored, "--from", backup).ok()
        #expect(try Executables.node("restore", "--dir", restored, "--from", backup).status == 1)
        // A new edit on the restored node: under the old counters it would have been taken for
        // "Lò Văn Páo"'s change and dropped by the hub as a duplicate.
        let newEdit = try Self.put(restored, "Giàng A Tủa")
        try Executables.node("sync", "--dir", restored).ok()
        #expect(try Self.childCount(hub: district.database) == 3)
        #expect(try Executables.hub("record", "get", "--db", district.database, "children", newEdit).status == 0)
        // What it had sent after the backup came back from the hub.
        #expect(try Executables.node("record", "get", "--dir", restored, "children", afterBackup).status == 0)
        #expect(
            try Executables.node("state-hash", "--dir", restored).ok().line
                == Executables.hub("state-hash", "--db", district.database, "--unit", "17605").ok().line)
    }

    @Test func aRestoredHubIsCaughtUpByItsNodes() throws {
        let directory = try TemporaryDirectory()
        let started = try DistrictHub.start(in: directory)
        let district = started.0
        var hub = started.1
        let db = district.database
        let a = directory.path("a")
        let b = directory.path("b")
        try district.node("17605", in: a, url: hub.url)
        try district.node("17605", in: b, url: hub.url)
        _ = try Self.put(a, "Vừ Thị Mỷ")
        try Executables.node("sync", "--dir", a).ok()
        try Executables.node("sync", "--dir", b).ok()
        let backup = directory.path("district-backup.sqlite")
        // Taken while the hub serves.
        try Executables.hub("backup", "--db", db, "--out", backup).ok()
        let lost = try Self.put(a, "Lò Văn Páo")
        try Executables.node("sync", "--dir", a).ok()
        try Executables.node("sync", "--dir", b).ok()
        let port = hub.port
        hub.stop()

        try Executables.hub("restore", "--db", db, "--from", backup, "--replace").ok()
        hub = try HubProcess(database: db, logFile: district.log, port: port)
        defer { hub.stop() }
        #expect(try Self.childCount(hub: db) == 1)
        // A's next sync re-sends what the restored hub lost; new work flows both ways, and B,
        // whose pull cursor points past the restored log, starts again and misses nothing.
        try Executables.node("sync", "--dir", a).ok()
        #expect(try Executables.hub("record", "get", "--db", db, "children", lost).status == 0)
        _ = try Self.put(a, "Giàng A Tủa")
        try Executables.node("sync", "--dir", a).ok()
        try Executables.node("sync", "--dir", b).ok()
        try Executables.node("sync", "--dir", a).ok()
        let hubHash = try Executables.hub("state-hash", "--db", db, "--unit", "17605").ok().line
        #expect(try Self.childCount(hub: db) == 3)
        #expect(try Executables.node("state-hash", "--dir", a).ok().line == hubHash)
        #expect(try Executables.node("state-hash", "--dir", b).ok().line == hubHash)
    }

    /// A district hub's disk rolled back to a snapshot (a VM snapshot, a file copied back) with
    /// no `tre-hub restore`: its log forgets a push its nodes had pulled, and numbers new changes
    /// where the forgotten ones stood. Each node's pull names the change its position stands on;
    /// the hub sees another one there and serves it from the start, so neither node skips the
    /// child the district registered after the rollback, and the forgotten push comes back.
    @Test func aHubRolledBackWithoutRestoreStillGivesEveryNodeEverything() throws {
        let directory = try TemporaryDirectory()
        let started = try DistrictHub.start(in: directory)
        let district = started.0
        var hub = started.1
        let db = district.database
        let a = directory.path("a")
        let b = directory.path("b")
        try district.node("17605", in: a, url: hub.url)
        try district.node("17605", in: b, url: hub.url)
        _ = try Self.put(a, "Vừ Thị Mỷ")
        try Executables.node("sync", "--dir", a).ok()
        try Executables.node("sync", "--dir", b).ok()
        let port = hub.port
        let snapshot = directory.path("snapshot.sqlite")
        hub.stop()
        // The disk as a snapshot takes it: the database with its write-ahead log, if any.
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: db + suffix) {
            try FileManager.default.copyItem(atPath: db + suffix, toPath: snapshot + suffix)
        }
        hub = try HubProcess(database: db, logFile: district.log, port: port)
        let forgotten = try Self.put(a, "Lò Văn Páo")
        try Executables.node("sync", "--dir", a).ok()
        try Executables.node("sync", "--dir", b).ok()
        #expect(try Executables.node("record", "get", "--dir", b, "children", forgotten).status == 0)
        hub.stop()

        // The rollback: the old file back, nothing told.
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: db + suffix)
            if FileManager.default.fileExists(atPath: snapshot + suffix) {
                try FileManager.default.copyItem(atPath: snapshot + suffix, toPath: db + suffix)
            }
        }
        hub = try HubProcess(database: db, logFile: district.log, port: port)
        defer { hub.stop() }
        #expect(try Self.childCount(hub: db) == 1)
        // The district registers a child: its log entry takes the position the forgotten push had.
        let registered = try json(
            Executables.hub(
                ["record", "put", "--db", db, "children", "--unit", "17605", "--json"] + Sample.child("Hạng A Dế")
            ).ok())
        let newChild = (registered as! [String: String])["id"]!

        try Executables.node("sync", "--dir", a).ok()
        try Executables.node("sync", "--dir", b).ok()
        #expect(try Executables.hub("record", "get", "--db", db, "children", forgotten).status == 0)
        for node in [a, b] {
            #expect(
                try Executables.node("record", "get", "--dir", node, "children", newChild).status == 0,
                "\(node) skipped the child numbered where the forgotten push stood")
        }
        let hubHash = try Executables.hub("state-hash", "--db", db, "--unit", "17605").ok().line
        #expect(try Self.childCount(hub: db) == 3)
        #expect(try Executables.node("state-hash", "--dir", a).ok().line == hubHash)
        #expect(try Executables.node("state-hash", "--dir", b).ok().line == hubHash)
        // The operator is told, once per node: the next syncs stand on the new marks.
        try Executables.node("sync", "--dir", a).ok()
        try Executables.node("sync", "--dir", b).ok()
        hub.stop()
        let log = try String(contentsOfFile: district.log, encoding: .utf8)
        let told = log.split(separator: "\n").filter { $0.contains("pull_from_start") }
        #expect(told.count == 2, "\(told)")
        #expect(told.allSatisfy { $0.contains("tre-hub restored") })
    }
}

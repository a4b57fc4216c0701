import Foundation
import SyncCore
import TestSupport
import Testing

/// Change files carried by hand (a USB stick) when no link comes up, through the built
/// binaries: sealed like the sync's sets, authorised at the hub like a push, applied at the
/// node like a pulled page; and every file that is forged, foreign or not for the replica at
/// hand refused with nothing stored.
@Suite(.serialized) struct ChangeFileTests {
    /// A district hub (415) and two enrolled communes, 17605 (`a`) and 17608 (`b`); the link
    /// is down from then on: the hub does not serve.
    struct District {
        let directory: TemporaryDirectory
        let hub: DistrictHub
        let a: String
        let b: String
        /// Where the hub served, and the nodes expect it when the link comes back.
        let port: UInt16

        init() throws {
            directory = try TemporaryDirectory()
            let (hub, process) = try DistrictHub.start(in: directory)
            defer { process.stop() }
            self.hub = hub
            port = process.port
            a = directory.path("node-17605")
            b = directory.path("node-17608")
            try hub.node("17605", in: a, url: process.url)
            try hub.node("17608", in: b, url: process.url)
        }

        var db: String { hub.database }
        func file(_ name: String) -> String { directory.path(name) }
    }

    /// What a refused file must leave as it was: the state, the log and the sync positions.
    struct Snapshot: Equatable, CustomStringConvertible {
        let hash: String
        let log: UInt64
        let settings: [String]

        var description: String { "hash \(hash.prefix(12)), log \(log), settings \(settings)" }
    }

    static func snapshot(_ path: String, settings: [String] = []) throws -> Snapshot {
        let replica = try openReplica(path)
        return Snapshot(
            hash: try replica.stateHash(), log: try replica.counts().lastSequence,
            settings: try settings.map { "\($0)=\(try replica.setting($0) ?? "-")" })
    }

    static func nodeSnapshot(_ dir: String) throws -> Snapshot {
        try snapshot("\(dir)/replica.sqlite", settings: ["sync.push_cursor", "sync.pull_cursor"])
    }

    static func hubSnapshot(_ db: String, peers: [OriginID]) throws -> Snapshot {
        try snapshot(db, settings: peers.map { "peer.\($0).pushed" })
    }

    /// A setting of the replica at `path`: an enrolled node's key, its hub's origin.
    static func setting(_ name: String, of path: String) throws -> String {
        let replica = try openReplica(path)
        return try #require(try replica.setting(name))
    }

    static func origin(ofNode dir: String) throws -> OriginID {
        let status = try #require(
            try json(try Executables.node("status", "--dir", dir, "--json").ok()) as? [String: String])
        return try #require(status["origin"].flatMap(OriginID.init(string:)))
    }

    static func key(ofNode dir: String) throws -> PeerKey {
        try #require(PeerKey(hex: try setting("upstream.key", of: "\(dir)/replica.sqlite")))
    }

    /// Runs a command that must be refused with `code` and exit `status`.
    static func expectRefused(
        _ result: CommandResult, _ code: String, status: Int32 = 1, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(result.status == status, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        let answer = try json(result) as? [String: String]
        #expect(answer?["error"] == code, "\(result.stdout)", sourceLocation: sourceLocation)
        #expect(answer?["hint"]?.isEmpty == false, sourceLocation: sourceLocation)
    }

    /// A creation of a child in `unit` by `origin`: what a forger would like the hub to store.
    static func forgedChange(by origin: OriginID, unit: String = "17605") -> Change {
        Change(
            dot: Dot(origin: origin, counter: 1), stamp: Stamp(wallMillis: 1_764_000_000_000, logical: 0),
            collection: "children", record: RecordID(UUID128(high: 0x0190_0000_0000_7000, low: 77)), unit: unit,
            context: VersionVector(), set: ["@unit": .string(unit), "full_name": "Kẻ Mạo Danh"])
    }

    static func write(_ sets: [[UInt8]], to path: String) throws {
        try Data(ChangeFile(sets: sets).encoded()).write(to: URL(fileURLWithPath: path))
    }

    @Test func anHonestRoundTripCommuneToDistrictAndBackConverges() throws {
        let world = try District()
        let child = try Executables.node(
            ["record", "put", "--dir", world.a, "children", "school_status=primary"] + Sample.child("Vừ Thị Mỷ")
        ).ok().line
        try Executables.node(
            "record", "put", "--dir", world.a, "children", "--id", child, "at_risk=true", "at_risk_reason=Bỏ học"
        ).ok()
        let other = try Executables.node(["record", "put", "--dir", world.b, "children"] + Sample.child("Lò Văn Páo"))
            .ok().line

        // Commune → district: the node's push, authorised and applied at the hub.
        let push = world.file("a.push")
        let exported = try #require(
            try json(try Executables.node("changes", "export", "--dir", world.a, "--out", push, "--json").ok())
                as? [String: Int])
        #expect(exported["changes"] == 2 && exported["sets"] == 1)
        let imported = try #require(
            try json(try Executables.hub("changes", "import", "--db", world.db, push, "--json").ok()) as? [String: Int])
        #expect(imported == ["acknowledged": 2, "applied": 2, "duplicates": 0, "parked": 0, "set_aside": 0])
        try Executables.node("changes", "export", "--dir", world.b, "--out", world.file("b.push")).ok()
        try Executables.hub("changes", "import", "--db", world.db, world.file("b.push")).ok()

        // The district edits the child and opens a case; commune 17608's record stays out of 17605's file.
        try Executables.hub("record", "put", "--db", world.db, "children", "--id", child, "school_status=out_of_school")
            .ok()
        try Executables.hub(
            ["record", "put", "--db", world.db, "cases", "--unit", "17605", "case_type=neglect"]
                + Sample.protectionCase(of: child)
        ).ok()

        // District → commune: what the node would pull, sealed for it. A file that starts past
        // the node's pull cursor (0) applies, but leaves the cursor: what lies between is still due.
        let later = world.file("a-after-3.pull")
        try Executables.hub("changes", "export", "--db", world.db, "--unit", "17605", "--after", "3", "--out", later)
            .ok()
        let partial = try #require(
            try json(try Executables.node("changes", "import", "--dir", world.a, later, "--json").ok())
                as? [String: Int])
        #expect(partial["applied"] == 2 && partial["pull_cursor"] == 0)
        let pull = world.file("a.pull")
        try Executables.hub("changes", "export", "--db", world.db, "--unit", "17605", "--out", pull).ok()
        let applied = try #require(
            try json(try Executables.node("changes", "import", "--dir", world.a, pull, "--json").ok()) as? [String: Int]
        )
        #expect(applied["applied"] == 0 && applied["duplicates"] == 2)
        let hubStatus = try #require(
            try json(try Executables.hub("status", "--db", world.db, "--json").ok()) as? [String: String])
        #expect(hubStatus["log_length"] == "5")
        #expect(applied["pull_cursor"] == 5, "the file continues the cursor (0): it moves to the hub's log end")
        let hash = try Executables.node("state-hash", "--dir", world.a).ok().line
        #expect(try Executables.hub("state-hash", "--db", world.db, "--unit", "17605").ok().line == hash)
        #expect(try Executables.node("record", "get", "--dir", world.a, "children", other).status == 1)

        // Carried twice: nothing moves.
        let again = try #require(
            try json(try Executables.node("changes", "import", "--dir", world.a, pull, "--json").ok()) as? [String: Int]
        )
        #expect(again["applied"] == 0 && again["duplicates"] == 2 && again["pull_cursor"] == 5)
        let hubBefore = try Self.hubSnapshot(world.db, peers: [])
        let twice = try #require(
            try json(try Executables.hub("changes", "import", "--db", world.db, push, "--json").ok()) as? [String: Int])
        #expect(twice["applied"] == 0 && twice["duplicates"] == 2)
        #expect(try Self.hubSnapshot(world.db, peers: []) == hubBefore)

        // The link comes back: the sync finds nothing missing on either side.
        let process = try HubProcess(database: world.db, logFile: world.hub.log, port: world.port)
        defer { process.stop() }
        let synced = try #require(
            try json(try Executables.node("sync", "--dir", world.a, "--json").ok()) as? [String: Int])
        #expect(synced["pulled"] == 0)
        #expect(try Self.hubSnapshot(world.db, peers: []) == hubBefore)
        #expect(try Executables.node("state-hash", "--dir", world.a).ok().line == hash)
    }

    /// Files a hub must refuse whole, storing nothing: written with no key, with another
    /// node's key (or another node's file, relabelled) claiming a commune's origin, by a node
    /// this hub never enrolled, and a commune's honest file of another commune's records.
    @Test func forgedOrForeignFilesAreRefusedAtTheHubAndStoreNothing() throws {
        let world = try District()
        let a = try Self.origin(ofNode: world.a)
        let b = try Self.origin(ofNode: world.b)
        try Executables.node(["record", "put", "--dir", world.b, "children"] + Sample.child("Lò Văn Páo")).ok()
        try Executables.node("changes", "export", "--dir", world.b, "--out", world.file("b.push")).ok()
        var before = try Self.hubSnapshot(world.db, peers: [a, b])
        func refusedAtHub(_ file: String, _ code: String, status: Int32 = 1) throws {
            try Self.expectRefused(
                try Executables.hub("changes", "import", "--db", world.db, file, "--json"), code, status: status)
            #expect(try Self.hubSnapshot(world.db, peers: [a, b]) == before, "after \(file)")
        }

        // No key at all: a set claiming commune 17605's origin, sealed with a key of one's own.
        let forged = ChangeSet(kind: .push, sender: a, from: 0, to: 1, changes: [Self.forgedChange(by: a)])
        try Self.write([forged.encode(key: .random())], to: world.file("nokey.push"))
        try refusedAtHub(world.file("nokey.push"), "bad_signature")

        // Commune 17608's key, claiming to be 17605.
        try Self.write([forged.encode(key: try Self.key(ofNode: world.b))], to: world.file("otherkey.push"))
        try refusedAtHub(world.file("otherkey.push"), "bad_signature")

        // 17608's honest file, its header's sender rewritten to 17605 (bytes 7..<23 of the set).
        var relabelled = try ChangeFile(
            bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: world.file("b.push")))))
        relabelled.sets[0].replaceSubrange(7..<23, with: a.uuid.bytes)
        try Data(relabelled.encoded()).write(to: URL(fileURLWithPath: world.file("relabelled.push")))
        try refusedAtHub(world.file("relabelled.push"), "bad_signature")

        // A sender this hub never enrolled: a random origin, and a real node of another district.
        let stranger = OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0xdead))
        try Self.write(
            [
                ChangeSet(kind: .push, sender: stranger, from: 0, to: 1, changes: [Self.forgedChange(by: stranger)])
                    .encode(key: .random())
            ], to: world.file("stranger.push"))
        try refusedAtHub(world.file("stranger.push"), "unknown_sender")
        let elsewhere = try Self.nodeOfAnotherDistrict(in: world.directory)
        try Executables.node(["record", "put", "--dir", elsewhere, "children"] + Sample.child("Và Bá Tủa")).ok()
        try Executables.node("changes", "export", "--dir", elsewhere, "--out", world.file("416.push")).ok()
        try refusedAtHub(world.file("416.push"), "unknown_sender")

        // Commune 17605's own key and origin, but a record of commune 17608: judged by the same
        // authorisation as a push over HTTP, so set aside (the rest of a file would apply), and
        // nothing of the record is stored.
        try Executables.node(["record", "put", "--dir", world.a, "children", "--unit", "17608"] + Sample.child()).ok()
        try Executables.node("changes", "export", "--dir", world.a, "--out", world.file("scope.push")).ok()
        let scope = try #require(
            try json(
                try Executables.hub("changes", "import", "--db", world.db, world.file("scope.push"), "--json").ok())
                as? [String: Int])
        #expect(scope["applied"] == 0 && scope["set_aside"] == 1)
        #expect(try Self.hubSnapshot(world.db, peers: []).hash == before.hash)
        let setAside = try json(Executables.hub("set-aside", "--db", world.db, "--json").ok()) as? [[String: Any]]
        #expect(setAside?.first?["code"] as? String == "out_of_scope")
        before = try Self.hubSnapshot(world.db, peers: [a, b])

        // A damaged file: one bit of a sealed body.
        var damaged = [UInt8](try Data(contentsOf: URL(fileURLWithPath: world.file("b.push"))))
        damaged[damaged.count - 20] ^= 0x01
        try Data(damaged).write(to: URL(fileURLWithPath: world.file("damaged.push")))
        try refusedAtHub(world.file("damaged.push"), "bad_signature")

        // An honest file that starts past what the hub has of 17608 (it has nothing yet).
        try Executables.node("changes", "export", "--dir", world.b, "--after", "1", "--out", world.file("gap.push"))
            .ok()
        try refusedAtHub(world.file("gap.push"), "gap", status: 3)

        // A file written for a node, brought to the hub.
        try Executables.hub("changes", "export", "--db", world.db, "--unit", "17605", "--out", world.file("a.pull"))
            .ok()
        try refusedAtHub(world.file("a.pull"), "no_upstream")

        // And the honest file still goes in afterwards.
        try Executables.hub("changes", "import", "--db", world.db, world.file("b.push")).ok()
        #expect(
            try Executables.hub("state-hash", "--db", world.db, "--unit", "17608").ok().line
                == Executables.node("state-hash", "--dir", world.b).ok().line)

        // Once 17608's laptop is revoked, its files are refused as its link is.
        try Executables.node(["record", "put", "--dir", world.b, "children"] + Sample.child("Giàng A Tủa")).ok()
        try Executables.node("changes", "export", "--dir", world.b, "--out", world.file("revoked.push")).ok()
        try Executables.hub("nodes", "revoke", "--db", world.db, b.description).ok()
        before = try Self.hubSnapshot(world.db, peers: [a, b])
        try refusedAtHub(world.file("revoked.push"), "revoked", status: 3)
    }

    /// A node enrolled at another district hub (416), which the district 415 never enrolled.
    static func nodeOfAnotherDistrict(in directory: TemporaryDirectory) throws -> String {
        let db = directory.path("district-416.sqlite")
        let csv = directory.path("units-416.csv")
        try "code,name,level,parent_code\n416,Huyện Tương Dương,district,\n17700,Xã Tam Quang,commune,416\n".write(
            toFile: csv, atomically: true, encoding: .utf8)
        try Executables.hub("init", "--db", db, "--unit", "416", "--name", "Tương Dương").ok()
        try Executables.hub("units", "import", "--db", db, csv).ok()
        let process = try HubProcess(database: db, logFile: directory.path("hub-416.log"))
        defer { process.stop() }
        let dir = directory.path("node-17700")
        let code = try Executables.hub("enroll", "--db", db, "--unit", "17700").ok().line
        try Executables.node("init", "--dir", dir, "--hub", process.url, "--enrolment", code).ok()
        return dir
    }

    /// Files a node must refuse, storing nothing and keeping its cursors: another commune's
    /// file, one sealed by someone without the key, one claiming to be from another hub, its
    /// own push, damaged or old-format files.
    @Test func filesNotFromItsHubOrNotForItAreRefusedAtTheNode() throws {
        let world = try District()
        let a = try Self.origin(ofNode: world.a)
        try Executables.node(["record", "put", "--dir", world.a, "children"] + Sample.child("Vừ Thị Mỷ")).ok()
        try Executables.hub(
            ["record", "put", "--db", world.db, "children", "--unit", "17605"] + Sample.child("Hờ A Dình")
        )
        .ok()
        try Executables.hub(
            ["record", "put", "--db", world.db, "children", "--unit", "17608"] + Sample.child("Lò Văn Páo")
        )
        .ok()
        let before = try Self.nodeSnapshot(world.a)
        func refusedAtNode(_ file: String, _ code: String) throws {
            try Self.expectRefused(try Executables.node("changes", "import", "--dir", world.a, file, "--json"), code)
            #expect(try Self.nodeSnapshot(world.a) == before, "after \(file)")
        }

        // Commune 17608's file: the hub's, but sealed for 17608's node.
        try Executables.hub("changes", "export", "--db", world.db, "--unit", "17608", "--out", world.file("b.pull"))
            .ok()
        try refusedAtNode(world.file("b.pull"), "bad_signature")

        // Someone without the key, writing as the hub.
        let hubOrigin = try #require(
            OriginID(string: try Self.setting("upstream.origin", of: "\(world.a)/replica.sqlite")))
        let page = ChangeSet(kind: .pull, sender: hubOrigin, from: 0, to: 1, changes: [Self.forgedChange(by: a)])
        try Self.write([page.encode(key: .random())], to: world.file("forged.pull"))
        try refusedAtNode(world.file("forged.pull"), "bad_signature")

        // Another hub's answer, even sealed with this node's key.
        let otherHub = OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0xbeef))
        let elsewhere = ChangeSet(kind: .pull, sender: otherHub, from: 0, to: 1, changes: [Self.forgedChange(by: a)])
        try Self.write([elsewhere.encode(key: try Self.key(ofNode: world.a))], to: world.file("elsewhere.pull"))
        try refusedAtNode(world.file("elsewhere.pull"), "wrong_sender")

        // Its own push, or a file with a set left out.
        try Executables.node("changes", "export", "--dir", world.a, "--out", world.file("a.push")).ok()
        try refusedAtNode(world.file("a.push"), "wrong_kind")
        let key = try Self.key(ofNode: world.a)
        let first = ChangeSet(kind: .pull, sender: hubOrigin, from: 0, to: 2, hasMore: true, changes: [])
        let third = ChangeSet(kind: .pull, sender: hubOrigin, from: 4, to: 5, changes: [])
        try Self.write([first.encode(key: key), third.encode(key: key)], to: world.file("gap.pull"))
        try refusedAtNode(world.file("gap.pull"), "malformed")

        // Damaged, format 1 (a SHA-256 anyone can compute), not a change file at all.
        try Executables.hub("changes", "export", "--db", world.db, "--unit", "17605", "--out", world.file("a.pull"))
            .ok()
        var damaged = [UInt8](try Data(contentsOf: URL(fileURLWithPath: world.file("a.pull"))))
        damaged[damaged.count / 2] ^= 0x01
        try Data(damaged).write(to: URL(fileURLWithPath: world.file("damaged.pull")))
        try refusedAtNode(world.file("damaged.pull"), "bad_signature")
        try Data(Array("TRECHG".utf8) + [1, 0]).write(to: URL(fileURLWithPath: world.file("v1.changes")))
        try refusedAtNode(world.file("v1.changes"), "malformed_input")
        #expect(
            try Executables.node("changes", "import", "--dir", world.a, world.file("v1.changes")).stderr.contains(
                "no longer accepted"))
        try Data("not changes at all, just words".utf8).write(to: URL(fileURLWithPath: world.file("garbage")))
        try refusedAtNode(world.file("garbage"), "malformed_input")

        // The hub's own file for it goes in (once the hub has the node's push, they are equal).
        try Executables.node("changes", "import", "--dir", world.a, world.file("a.pull")).ok()
        try Executables.hub("changes", "import", "--db", world.db, world.file("a.push")).ok()
        #expect(
            try Executables.node("state-hash", "--dir", world.a).ok().line
                == Executables.hub("state-hash", "--db", world.db, "--unit", "17605").ok().line)
    }

    /// A file is sealed for one recipient: a hub names it, a node must have a hub.
    @Test func exportNeedsAKeyedRecipient() throws {
        let world = try District()
        let out = world.file("out.changes")
        try Self.expectRefused(
            try Executables.hub("changes", "export", "--db", world.db, "--out", out, "--json"), "no_recipient")
        try Self.expectRefused(
            try Executables.hub("changes", "export", "--db", world.db, "--unit", "415", "--out", out, "--json"),
            "no_peer")
        try Self.expectRefused(
            try Executables.hub("changes", "export", "--db", world.db, "--upstream", "--out", out, "--json"),
            "no_upstream")
        #expect(!FileManager.default.fileExists(atPath: out))

        // A second node enrolled for 17605: the hub asks which one.
        let process = try HubProcess(database: world.db, logFile: world.hub.log, port: world.port)
        let second = world.file("node-17605-bis")
        try world.hub.node("17605", in: second, url: process.url)
        process.stop()
        try Self.expectRefused(
            try Executables.hub("changes", "export", "--db", world.db, "--unit", "17605", "--out", out, "--json"),
            "several_peers")
        let origin = try Self.origin(ofNode: second)
        try Executables.hub(
            "changes", "export", "--db", world.db, "--unit", "17605", "--peer", origin.description, "--out", out
        ).ok()
        try Executables.node("changes", "import", "--dir", second, out).ok()
        try Self.expectRefused(
            try Executables.node("changes", "import", "--dir", world.a, out, "--json"), "bad_signature")

        let standalone = world.file("standalone")
        try Executables.node("init", "--dir", standalone, "--unit", "17605").ok()
        try Self.expectRefused(
            try Executables.node("changes", "export", "--dir", standalone, "--out", out, "--json"), "not_enrolled")
        try Self.expectRefused(
            try Executables.node("changes", "import", "--dir", standalone, out, "--json"), "not_enrolled")
    }

    /// The same by hand one level up: a district hub's push for its province, and the
    /// province's answer for the district, carried as files; a commune's edit reaches the
    /// province and a province edit reaches the commune, with no link anywhere.
    @Test func aDistrictCarriesItsPushToTheProvinceAndTheAnswerBack() throws {
        let directory = try TemporaryDirectory()
        let csv = directory.path("units.csv")
        try """
        code,name,level,parent_code
        40,Tỉnh Nghệ An,province,
        415,Huyện Kỳ Sơn,district,40
        17605,Xã Mường Lống,commune,415

        """.write(toFile: csv, atomically: true, encoding: .utf8)
        let province = directory.path("province.sqlite")
        let district = directory.path("district.sqlite")
        let node = directory.path("node-17605")
        try Executables.hub("init", "--db", province, "--unit", "40", "--name", "Nghệ An").ok()
        try Executables.hub("units", "import", "--db", province, csv).ok()
        var process = try HubProcess(database: province, logFile: directory.path("province.log"))
        let districtCode = try Executables.hub("enroll", "--db", province, "--unit", "415", "--kind", "hub").ok().line
        try Executables.hub(
            "init", "--db", district, "--name", "Kỳ Sơn", "--upstream", process.url, "--enrolment", districtCode
        ).ok()
        process.stop()
        try Executables.hub("units", "import", "--db", district, csv).ok()
        process = try HubProcess(database: district, logFile: directory.path("district.log"))
        let nodeCode = try Executables.hub("enroll", "--db", district, "--unit", "17605").ok().line
        try Executables.node("init", "--dir", node, "--hub", process.url, "--enrolment", nodeCode).ok()
        process.stop()

        let child = try Executables.node(["record", "put", "--dir", node, "children"] + Sample.child("Vừ Thị Mỷ")).ok()
            .line
        try Executables.node("changes", "export", "--dir", node, "--out", directory.path("node.push")).ok()
        try Executables.hub("changes", "import", "--db", district, directory.path("node.push")).ok()
        // A commune's file goes to its own hub only.
        try Self.expectRefused(
            try Executables.hub("changes", "import", "--db", province, directory.path("node.push"), "--json"),
            "unknown_sender")

        let upward = directory.path("district.push")
        try Executables.hub("changes", "export", "--db", district, "--upstream", "--out", upward).ok()
        let pushed = try #require(
            try json(try Executables.hub("changes", "import", "--db", province, upward, "--json").ok())
                as? [String: Int])
        #expect(pushed["applied"] == 1 && pushed["acknowledged"] == 1)

        try Executables.hub("record", "put", "--db", province, "children", "--id", child, "notes=Tỉnh đã xem").ok()
        let downward = directory.path("province.pull")
        try Executables.hub("changes", "export", "--db", province, "--unit", "415", "--out", downward).ok()
        let pulled = try #require(
            try json(try Executables.hub("changes", "import", "--db", district, downward, "--json").ok())
                as? [String: Int])
        #expect(pulled["applied"] == 1 && pulled["pull_cursor"] == 2)
        try Executables.hub("changes", "export", "--db", district, "--unit", "17605", "--out", directory.path("a.pull"))
            .ok()
        try Executables.node("changes", "import", "--dir", node, directory.path("a.pull")).ok()

        let hash = try Executables.node("state-hash", "--dir", node).ok().line
        #expect(try Executables.hub("state-hash", "--db", district, "--unit", "17605").ok().line == hash)
        #expect(try Executables.hub("state-hash", "--db", province, "--unit", "17605").ok().line == hash)
        let record = try #require(
            try json(try Executables.node("record", "get", "--dir", node, "children", child, "--json").ok())
                as? [String: Any])
        #expect((record["fields"] as? [String: Any])?["notes"] as? String == "Tỉnh đã xem")
    }
}

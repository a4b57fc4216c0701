import Foundation
import GRDB
import SyncCore
import TestSupport
import Testing

/// Personal data protected at rest, through the real `tre-node` and `tre-hub`: what a copied
/// folder shows, what a wrong or missing secret does, and how a forgotten passphrase is
/// recovered from the hub.
@Suite(.serialized) struct AtRestTests {
    /// The id a `record put --json` printed.
    /// A new child gets the fields the definition requires that the test did not give.
    static func put(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        var arguments = arguments
        if arguments.contains("children") && !arguments.contains("--id") {
            for field in Sample.child()
            where !arguments.contains(where: { $0.hasPrefix(field.prefix { $0 != "=" } + "=") }) {
                arguments.append(field)
            }
        }
        let result = try Executables.run(
            "tre-node", ["record", "put"] + arguments + ["--json"], environment: environment
        ).ok()
        return try #require((try json(result) as? [String: String])?["id"])
    }

    static func size(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// Copies the node's replica files (those that exist) into `folder`.
    static func copyReplica(of node: String, to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for suffix in ["", "-wal", "-shm"]
        where FileManager.default.fileExists(atPath: "\(node)/replica.sqlite\(suffix)") {
            try FileManager.default.copyItem(
                atPath: "\(node)/replica.sqlite\(suffix)", toPath: "\(folder)/replica.sqlite\(suffix)")
        }
    }

    /// A commune's node holding a child's record, a report naming its reporter, a conflict, a
    /// change its hub refused (set aside) and its link key, copied closed, copied while a WAL
    /// holds new values, and backed up: a protected node's copies show none of it, in any
    /// form; an unprotected node's show it all (so the scan can fail).
    @Test(arguments: [true, false])
    func aCopiedNodeRevealsNoPersonalValue(protected: Bool) throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let db = district.database
        let node = directory.path("node")
        try Executables.run(
            "tre-node",
            ["init", "--dir", node, "--hub", hub.url, "--enrolment", try district.enrolment("17605")]
                + (protected ? [] : ["--unprotected"])
        ).ok("init")

        let name = "Nguyễn Thị Hồng Nhung"
        let address = "Thôn Phiêng Luông, bản Huồi Giảng"
        let phone = "0912345678"
        let notes = "Bị bố đánh nhiều lần khi say rượu"
        let reporter = "Trần Văn Khoa"
        let reporterPhone = "0987654321"
        let child = try Self.put([
            "--dir", node, "children", "full_name=\(name)", "address=\(address)", "guardian_phone=\"\(phone)\"",
            "notes=\(notes)", "sex=F",
        ])
        _ = try Self.put([
            "--dir", node, "intakes", "reporter_name=\(reporter)", "reporter_phone=\"\(reporterPhone)\"",
            "reporter_consent=true", "child_id=\(child)", "received_at=2026-11-30T02:30:00Z", "received_by=Cán bộ xã",
            "source=hotline_111", "abuse_types=violence",
        ])
        try Executables.node("sync", "--dir", node).ok("first sync")

        // A conflict: the district and the commune correct the address at once.
        let districtAddress = "Bản Tiền Phong, đội 5"
        let communeAddress = "Nhà ông Lầu Bá Dơ, bản Sắp Ngo"
        try Executables.hub("record", "put", "--db", db, "children", "--id", child, "address=\(districtAddress)").ok()
        try Executables.node("record", "put", "--dir", node, "children", "--id", child, "address=\(communeAddress)")
            .ok()
        try Executables.node("sync", "--dir", node).ok("conflict sync")
        let conflicts = try #require(try json(Executables.node("conflicts", "--dir", node, "--json").ok()) as? [Any])
        #expect(conflicts.count == 1)
        // Sealed or not, the node and its hub hold the same commune, conflict included.
        #expect(
            try Executables.node("state-hash", "--dir", node).ok().line
                == Executables.hub("state-hash", "--db", db, "--unit", "17605").ok().line)

        // A change the hub refuses, kept set aside on the node: an edit of a child moved away.
        let movedName = "Vàng Thị Dở"
        let refusedNotes = "Mẹ bỏ đi, sống với ông bà nội"
        let moved = try Self.put(["--dir", node, "children", "full_name=\(movedName)"])
        try Executables.node("sync", "--dir", node).ok()
        try Executables.hub("record", "put", "--db", db, "children", "--id", moved, "--unit", "17608").ok()
        try Executables.node("sync", "--dir", node).ok()
        try Executables.node("record", "put", "--dir", node, "children", "--id", moved, "notes=\(refusedNotes)").ok()
        try Executables.node("sync", "--dir", node).ok("refused sync")
        let rejected = try #require(try json(Executables.node("rejected", "--dir", node, "--json").ok()) as? [Any])
        #expect(rejected.count == 1)

        let upstreamKey = try #require(try openReplica(node + "/replica.sqlite").setting("upstream.key"))
        let keyBytes = try #require(PeerKey(hex: upstreamKey)).bytes

        // A search: its cache of folded names ("nguyen thi hong nhung") is kept in the replica.
        let found = try Executables.node("child", "find", "nguyen thi hong", "--dir", node, "--json").ok()
        #expect(found.stdout.contains(child))

        // Closed: every command has ended.
        let copies = directory.path("copies")
        try Self.copyReplica(of: node, to: copies + "/closed")
        // Open: a reader holds a snapshot, so a command's new values stay in the WAL, which
        // is copied with the file while the replica is in use.
        let walName = "Hoàng Đức Anh"
        let walPhone = "0356789012"
        try openStorage(node + "/replica.sqlite").read { access in
            _ = try access.recordCount()
            _ = try Self.put(["--dir", node, "children", "full_name=\(walName)", "guardian_phone=\"\(walPhone)\""])
            // The search catches its cache up with the new child, into the WAL too.
            try Executables.node("child", "find", "hoang duc anh", "--dir", node).ok()
            try Self.copyReplica(of: node, to: copies + "/in-use")
        }
        #expect(Self.size(copies + "/in-use/replica.sqlite-wal") > 0, "no WAL was copied")
        try Executables.node("backup", "--dir", node, "--out", copies + "/backup.sqlite").ok()

        let values = [
            name, address, phone, notes, reporter, reporterPhone, districtAddress, communeAddress, movedName,
            refusedNotes, walName, walPhone, upstreamKey,
        ]
        var everything = Data()
        for copy in ["closed/replica.sqlite", "in-use/replica.sqlite", "backup.sqlite"] {
            let bytes = try fileBytes(copies + "/" + copy)
            everything += bytes
            if protected {
                #expect(revealed(values, in: bytes).isEmpty, "\(copy) shows \(revealed(values, in: bytes))")
                #expect(bytes.range(of: Data(keyBytes)) == nil, "\(copy) shows the link key")
            }
        }
        if protected {
            // Nor is the key that seals them anywhere in the copies.
            let keyText = try String(contentsOfFile: Executables.keyFile(forNode: node), encoding: .utf8)
            let key = try #require(Data(base64Encoded: keyText.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(everything.range(of: key) == nil)
            #expect(revealed([keyText.trimmingCharacters(in: .whitespacesAndNewlines)], in: everything).isEmpty)
        } else {
            #expect(revealed(values, in: everything) == values, "an unprotected node stores values as they are")
        }
    }

    /// Every row of every table, as text.
    static func dump(_ path: String) throws -> String {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var out = ""
            for table in ["replica", "records", "log", "parked", "settings", "set_aside", "protection"] {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2") {
                    out += "\(table): \(row)\n"
                }
            }
            return out
        }
    }

    @Test func aWrongOrMissingSecretIsRefusedWithWhatToDoAndChangesNothing() throws {
        let directory = try TemporaryDirectory()
        // A passphrase (the slow derivation: few commands).
        let node = directory.path("node")
        let passphrase = ["TRE_PASSPHRASE": "mùa xuân trên bản Mường Lống"]
        try Executables.run("tre-node", ["init", "--dir", node, "--unit", "17605"], environment: passphrase).ok()
        _ = try Self.put(["--dir", node, "children", "full_name=Lò Thị Mai"], environment: passphrase)
        let replica = node + "/replica.sqlite"
        let before = try Data(contentsOf: URL(fileURLWithPath: replica))
        func refused(
            _ arguments: [String], environment: [String: String] = [:], keyFile: Bool = false, saying texts: [String],
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let result = try Executables.run("tre-node", arguments, environment: environment, keyFile: keyFile)
            #expect(result.status == 1, "\(result.stderr)", sourceLocation: sourceLocation)
            for text in texts {
                #expect(result.stderr.contains(text), "\(result.stderr)", sourceLocation: sourceLocation)
            }
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: replica)) == before, "the replica changed",
                sourceLocation: sourceLocation)
            #expect(!FileManager.default.fileExists(atPath: replica + "-wal"), sourceLocation: sourceLocation)
        }
        try refused(
            ["status", "--dir", node], environment: ["TRE_PASSPHRASE": "mùa đông trên bản Mường Lống"],
            saying: [
                "the passphrase or key file does not open this node", "nothing was changed",
                "A forgotten passphrase cannot be recovered: ask the district for a new enrolment code",
            ])
        try refused(
            ["record", "list", "--dir", node, "children"],
            saying: [
                "Máy xã này được bảo vệ bằng mật khẩu / this node is protected by a passphrase",
                "Give --passphrase-file FILE, set TRE_PASSPHRASE, or run it on a terminal",
            ])
        let otherKey = directory.path("other.key")
        try ReplicaKey.random().keyFileText.write(toFile: otherKey, atomically: true, encoding: .utf8)
        try refused(
            ["status", "--dir", node, "--key-file", otherKey],
            saying: ["this node is protected by a passphrase, not a key file"])
        try "mùa xuân trên bản Mường Lống\n".write(toFile: node + "/passphrase.txt", atomically: true, encoding: .utf8)
        try refused(
            ["status", "--dir", node, "--passphrase-file", node + "/passphrase.txt"],
            saying: ["is inside the replica's folder", "Keep it outside the replica's folder"])

        // A key file.
        let keyed = directory.path("keyed")
        try Executables.node("init", "--dir", keyed, "--unit", "17605").ok()
        #expect(
            try FileManager.default.attributesOfItem(atPath: Executables.keyFile(forNode: keyed))[.posixPermissions]
                as? Int == 0o600)
        let id = try Self.put(["--dir", keyed, "children", "full_name=Giàng A Tủa"])
        let keyedReplica = keyed + "/replica.sqlite"
        let keyedBefore = try Self.dump(keyedReplica)
        try "17605,Mường Lống\n".write(toFile: directory.path("units.txt"), atomically: true, encoding: .utf8)
        for (arguments, texts) in [
            (
                ["record", "get", "--dir", keyed, "children", id],
                ["this node is protected by a key file", "Give --key-file PATH"]
            ),
            (
                ["record", "get", "--dir", keyed, "children", id, "--key-file", otherKey],
                ["the passphrase or key file does not open this node"]
            ),
            (
                ["record", "get", "--dir", keyed, "children", id, "--passphrase-file", directory.path("nothing")],
                ["this node is protected by a key file, not a passphrase"]
            ),
            (
                ["record", "get", "--dir", keyed, "children", id, "--key-file", directory.path("missing.key")],
                ["cannot read the key file", "is the USB stick in?"]
            ),
            (
                ["record", "get", "--dir", keyed, "children", id, "--key-file", directory.path("units.txt")],
                ["is not a Tre key file"]
            ),
        ] {
            let result = try Executables.run("tre-node", arguments, keyFile: false)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            for text in texts { #expect(result.stderr.contains(text), "\(arguments): \(result.stderr)") }
        }
        #expect(try Self.dump(keyedReplica) == keyedBefore)

        // A key file inside the node's folder is refused at init, before anything is made.
        let misplaced = directory.path("misplaced")
        let inside = try Executables.run(
            "tre-node", ["init", "--dir", misplaced, "--unit", "17605", "--key-file", misplaced + "/node.key"])
        #expect(inside.status == 1)
        #expect(inside.stderr.contains("is inside the replica's folder"), "\(inside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: misplaced))
        // So is a node with no choice made, and a passphrase too short.
        let unchosen = try Executables.run("tre-node", ["init", "--dir", misplaced, "--unit", "17605"], keyFile: false)
        #expect(unchosen.status == 1)
        #expect(unchosen.stderr.contains("choose how this node's data is protected"), "\(unchosen.stderr)")
        #expect(unchosen.stderr.contains("--unprotected"))
        let short = try Executables.run(
            "tre-node", ["init", "--dir", misplaced, "--unit", "17605"], environment: ["TRE_PASSPHRASE": "ngắn"])
        #expect(short.status == 1)
        #expect(short.stderr.contains("the passphrase is too short"), "\(short.stderr)")
        #expect(!FileManager.default.fileExists(atPath: misplaced))
        // An explicit --unprotected is allowed, with a warning.
        let unprotected = try Executables.run(
            "tre-node", ["init", "--dir", misplaced, "--unit", "17605", "--unprotected"])
        #expect(unprotected.status == 0)
        #expect(unprotected.stderr.contains("warning: this node's personal data is NOT protected at rest"))
        #expect(try Executables.node("status", "--dir", misplaced).ok().stdout.contains("NOT protected"))

        // A sealed value damaged on disk: a clear error, never a crash, and nothing written.
        let queue = try DatabaseQueue(path: keyedReplica)
        try queue.write { db in
            var state = try #require(try Data.fetchOne(db, sql: "SELECT state FROM records"))
            state[state.count - 1] ^= 0x01
            try db.execute(sql: "UPDATE records SET state = ?", arguments: [state])
        }
        try queue.close()
        let damaged = try Self.dump(keyedReplica)
        for arguments in [
            ["record", "get", "--dir", keyed, "children", id],
            ["record", "put", "--dir", keyed, "children", "--id", id, "sex=F"],
            ["state-hash", "--dir", keyed],
        ] {
            let result = try Executables.node(arguments)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("damaged or was moved from another row"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("restore the latest backup"), "\(arguments): \(result.stderr)")
        }
        #expect(try Self.dump(keyedReplica) == damaged)
    }

    /// A commune worker forgets the passphrase: the commune enrols a new node (a new code from
    /// the district), protects it with a new passphrase, and its first sync brings back every
    /// record of the commune the hub holds.
    @Test func aForgottenPassphraseIsRecoveredByEnrollingANewNode() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let first = directory.path("laptop")
        let old = ["TRE_PASSPHRASE": "cây gạo đầu bản nở hoa"]
        try Executables.run(
            "tre-node", ["init", "--dir", first, "--hub", hub.url, "--enrolment", try district.enrolment("17605")],
            environment: old
        ).ok()
        let child = try Self.put(
            ["--dir", first, "children", "full_name=Sùng Thị Chở", "address=Bản Mường Lống 1"], environment: old)
        try Executables.run("tre-node", ["sync", "--dir", first], environment: old).ok()
        let forgotten = try Executables.run(
            "tre-node", ["record", "get", "--dir", first, "children", child],
            environment: ["TRE_PASSPHRASE": "cây gạo cuối bản nở hoa"])
        #expect(forgotten.status == 1)
        #expect(forgotten.stderr.contains("init a new node in another folder and sync"))

        let second = directory.path("laptop-new")
        let passphraseFile = directory.path("new-passphrase.txt")
        try "suối Nậm Cắn chảy qua bản\n".write(toFile: passphraseFile, atomically: true, encoding: .utf8)
        let again = ["--passphrase-file", passphraseFile]
        try Executables.node(
            ["init", "--dir", second, "--hub", hub.url, "--enrolment", try district.enrolment("17605")] + again
        ).ok()
        try Executables.node(["sync", "--dir", second] + again).ok()
        #expect(
            try Executables.node(["state-hash", "--dir", second] + again).ok().line
                == Executables.hub("state-hash", "--db", district.database, "--unit", "17605").ok().line)
        let record = try Executables.node(["record", "get", "--dir", second, "children", child] + again).ok().stdout
        #expect(record.contains("Sùng Thị Chở"))
        // The old passphrase opens only the old node.
        let crossed = try Executables.run(
            "tre-node", ["status", "--dir", second], environment: old)
        #expect(crossed.status == 1)
    }

    /// A hub protected at init seals its records, log and its peers' link keys like a node;
    /// every command and the server need its key file; backups restore with it.
    @Test func aHubProtectedAtInitSealsItsRecordsAndItsPeersKeys() throws {
        let directory = try TemporaryDirectory()
        let keys = try TemporaryDirectory()
        let db = directory.path("district.sqlite")
        let key = keys.path("district.key")
        let unlock = ["--key-file", key]
        let beside = try Executables.hub(
            "init", "--db", db, "--unit", "415", "--name", "Kỳ Sơn", "--protect-with-key-file", directory.path("k.key"))
        #expect(beside.status == 1)
        #expect(beside.stderr.contains("is inside the replica's folder"), "\(beside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db))
        let created = try Executables.hub(
            "init", "--db", db, "--unit", "415", "--name", "Kỳ Sơn", "--protect-with-key-file", key, "--json"
        ).ok()
        #expect((try json(created) as? [String: String])?["protection"] == "key_file")
        #expect(try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int == 0o600)
        let csv = directory.path("units.csv")
        try DistrictHub.units.write(toFile: csv, atomically: true, encoding: .utf8)
        let locked = try Executables.hub("units", "import", "--db", db, csv)
        #expect(locked.status == 1)
        #expect(locked.stderr.contains("this hub's database is protected by a key file"), "\(locked.stderr)")
        try Executables.run("tre-hub", ["units", "import", "--db", db, csv] + unlock).ok()
        let code = try Executables.run("tre-hub", ["enroll", "--db", db, "--unit", "17605"] + unlock).ok().line
        let server = try HubProcess(database: db, logFile: directory.path("hub.log"), extra: unlock)
        let node = directory.path("node")
        try Executables.node("init", "--dir", node, "--hub", server.url, "--enrolment", code).ok()
        let name = "Nguyễn Thị Hồng Nhung"
        let notes = "Bị bố đánh nhiều lần khi say rượu"
        _ = try Self.put(["--dir", node, "children", "full_name=\(name)", "notes=\(notes)"])
        try Executables.node("sync", "--dir", node).ok()
        let hubHash = try Executables.run("tre-hub", ["state-hash", "--db", db, "--unit", "17605"] + unlock).ok().line
        #expect(hubHash == (try Executables.node("state-hash", "--dir", node).ok().line))
        let upstreamKey = try #require(try openReplica(node + "/replica.sqlite").setting("upstream.key"))
        #expect(server.stop() == 0)
        #expect(revealed([name, notes, upstreamKey], in: try fileBytes(db)).isEmpty)

        // A backup needs no key; its restore does, and holds the same records.
        let backup = directory.path("backup.sqlite")
        try Executables.hub("backup", "--db", db, "--out", backup).ok()
        #expect(revealed([name, notes, upstreamKey], in: try fileBytes(backup)).isEmpty)
        let restored = directory.path("restored/district.sqlite")
        let refused = try Executables.hub("restore", "--db", restored, "--from", backup)
        #expect(refused.status == 1)
        #expect(!FileManager.default.fileExists(atPath: restored))
        try Executables.run("tre-hub", ["restore", "--db", restored, "--from", backup] + unlock).ok()
        #expect(
            try Executables.run("tre-hub", ["state-hash", "--db", restored, "--unit", "17605"] + unlock).ok().line
                == hubHash)
        let otherKey = keys.path("other.key")
        try ReplicaKey.random().keyFileText.write(toFile: otherKey, atomically: true, encoding: .utf8)
        let wrong = try Executables.hub("status", "--db", db, "--key-file", otherKey)
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("does not open this hub's database"), "\(wrong.stderr)")
    }
}

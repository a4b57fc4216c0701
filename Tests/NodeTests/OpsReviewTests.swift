import Foundation
import GRDB
import TestSupport
import Testing

/// An outside review of the operations work (issue 15): `/metrics` access, the log, `tre-hub
/// peers`, `units import`, the schema migrator on crafted files, `scripts/install` and the
/// systemd units — each through the real binaries and files. Each finding was first a
/// `withKnownIssue`; the fixes (branch ops-fixes) removed the wrappers: each test now asserts
/// the fixed behaviour.
@Suite struct OpsReviewTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A district hub's database (not served), with the test units imported.
    static func hubDatabase(_ directory: TemporaryDirectory) throws -> String {
        let database = directory.path("district.sqlite")
        let csv = directory.path("units.csv")
        try DistrictHub.units.write(toFile: csv, atomically: true, encoding: .utf8)
        try Executables.hub("init", "--db", database, "--unit", "415", "--name", "Kỳ Sơn").ok()
        try Executables.hub("units", "import", "--db", database, csv).ok()
        return database
    }

    /// `units import` of `csv` (written as bytes, so NUL and control characters stay as given).
    static func importUnits(_ csv: String, into database: String, in directory: TemporaryDirectory) throws
        -> CommandResult
    {
        let file = directory.path("import-\(UUID().uuidString).csv")
        try Data(csv.utf8).write(to: URL(fileURLWithPath: file))
        return try Executables.hub("units", "import", "--db", database, file)
    }

    static func units(_ database: String) throws -> [String: [String: String]] {
        let list = try #require(
            try json(try Executables.hub("units", "list", "--db", database, "--json").ok()) as? [[String: String]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["code"] ?? "", $0) })
    }

    /// A character that reorders or hides text on a terminal, or starts an escape sequence.
    static func unsafe(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            scalar != "\n" && scalar != "\t"
                && [.control, .format, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
        }
    }

    // MARK: Terminal safety

    /// An enrolment name is refused with a control character (Cc) only: a right-to-left override
    /// (U+202E), an isolate, a zero-width space or a line separator is stored, and `tre-hub
    /// peers` and `nodes list` print it raw — the row's columns read reversed on the officer's
    /// terminal (`terminalSafe`, which the reports use, is not used there).
    @Test func anEnrolledNameWithABidiOverrideReachesPeersRaw() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let body = try JSONSerialization.data(withJSONObject: [
            "code": try district.enrolment("17605"), "kind": "node",
            "name": "Máy \u{202E}17608 Xã Huồi Tụ\u{202C}\u{2028}x",
        ])
        let answer = try HTTP.send(
            "POST", port: Int(hub.port), path: "/v1/enrol", headers: ["Content-Type": "application/json"], body: body)
        #expect([200, 400].contains(answer.status))
        let peers = try Executables.hub("peers", "--db", district.database, "--lang", "en")
        let nodes = try Executables.hub("nodes", "list", "--db", district.database)
        #expect(peers.status == 0 && nodes.status == 0)
        #expect(answer.status == 400 && !(Self.unsafe(peers.stdout) || Self.unsafe(nodes.stdout)))
        #expect(String(decoding: answer.body, as: UTF8.self).contains("bad_name"))
    }

    /// Rows stored before the checks (or written by another program) still reach the terminal
    /// through `terminalSafe`: `units list`, `peers`, `nodes list`, `enroll list` and `status`
    /// print U+FFFD in place of ESC, an override or a line separator.
    @Test func namesAlreadyStoredArePrintedSafely() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        let body = try JSONSerialization.data(withJSONObject: [
            "code": try district.enrolment("17605"), "kind": "node", "name": "Máy xã",
        ])
        let answer = try HTTP.send(
            "POST", port: Int(hub.port), path: "/v1/enrol", headers: ["Content-Type": "application/json"], body: body)
        #expect(answer.status == 200)
        hub.stop()
        _ = try district.enrolment("17608")
        let queue = try DatabaseQueue(path: district.database)
        try queue.write { db in
            try db.execute(
                sql: "UPDATE hub_units SET name = ?, level = ? WHERE code = '17605'",
                arguments: ["Xã \u{1B}]52;c;eA==\u{07}\u{202E}Lống", "commune\u{2028}x"])
            try db.execute(sql: "UPDATE hub_units SET name = ? WHERE code = '17608'", arguments: ["Xã\u{1B}[2J Tụ"])
            try db.execute(sql: "UPDATE hub_peers SET name = ?", arguments: ["Máy \u{202E}81\u{2066}x\u{200B}\u{85}"])
        }
        try queue.close()
        let outputs = try [
            ["units", "list"], ["peers", "--lang", "en"], ["nodes", "list"], ["enroll", "list"], ["status"],
        ].map { try Executables.hub($0 + ["--db", district.database]).ok().stdout }
        for (index, output) in outputs.enumerated() {
            #expect(!Self.unsafe(output), "command \(index) printed an unsafe character")
            #expect(output.contains("\u{FFFD}"), "command \(index) printed no replacement character")
        }
    }

    /// A unit name in the CSV may hold ESC and BEL: `units list` (and `peers`' unit name
    /// column) prints an OSC 52 sequence (writes the officer's clipboard) and a screen clear.
    @Test func aUnitNameWithAnEscapeSequenceIsImportedAndListedRaw() throws {
        let directory = try TemporaryDirectory()
        let database = try Self.hubDatabase(directory)
        let csv = "code,name,level,parent_code\n17605,Xã \u{1B}]52;c;cm0gLXJmIH4=\u{07}\u{1B}[2J,commune,415\n"
        let imported = try Self.importUnits(csv, into: database, in: directory)
        let list = try Executables.hub("units", "list", "--db", database)
        #expect(list.status == 0)
        #expect(imported.status != 0 || !list.stdout.contains("\u{1B}"))
    }

    // MARK: units import

    /// Two communes each the other's parent are imported without a word: neither is under the
    /// district, and their nodes cannot enrol, with nothing saying why.
    @Test func aParentCycleIsImported() throws {
        let directory = try TemporaryDirectory()
        let database = try Self.hubDatabase(directory)
        let imported = try Self.importUnits(
            "code,name,level,parent_code\n100,Xã A,commune,200\n200,Xã B,commune,100\n", into: database, in: directory)
        #expect(imported.status != 0)
        if imported.status != 0 { #expect(try Self.units(database)["100"] == nil) }
    }

    /// A parent code in neither the file nor the hub (a typo: 4l5) is imported: the commune is
    /// under no unit the hub knows.
    @Test func anUnknownParentIsImported() throws {
        let directory = try TemporaryDirectory()
        let database = try Self.hubDatabase(directory)
        let imported = try Self.importUnits(
            "code,name,level,parent_code\n17611,Xã Nậm Cắn,commune,4l5\n", into: database, in: directory)
        #expect(imported.status != 0)
    }

    /// A NUL byte inside a name: the import says it succeeded and the name is cut at the NUL.
    @Test func aNulInANameCutsItSilently() throws {
        let directory = try TemporaryDirectory()
        let database = try Self.hubDatabase(directory)
        let imported = try Self.importUnits(
            "code,name,level,parent_code\n17605,Xã Mường\u{0}Lống,commune,415\n", into: database, in: directory)
        let stored = try Self.units(database)["17605"]?["name"]
        #expect(imported.status != 0 || stored == "Xã Mường\u{0}Lống")
        #expect(imported.status != 0 || stored != nil)
    }

    /// An empty name and an empty level replace the hub's own unit's ("imported 1 units").
    @Test func anEmptyNameAndLevelAreImported() throws {
        let directory = try TemporaryDirectory()
        let database = try Self.hubDatabase(directory)
        let imported = try Self.importUnits("code,name,level,parent_code\n415,,,\n", into: database, in: directory)
        let own = try Self.units(database)["415"]
        #expect(imported.status != 0)
        #expect(own?["name"] == "Huyện Kỳ Sơn")
    }

    // MARK: Migrations on crafted files

    /// Runs `sql` on a hub's file as another program would, then `tre-hub status` on it; returns
    /// the result and whether the file's bytes changed.
    static func craft(_ sql: String, in directory: TemporaryDirectory) throws -> (CommandResult, changed: Bool) {
        let database = try hubDatabase(directory)
        let queue = try DatabaseQueue(path: database)
        try queue.writeWithoutTransaction { db in try db.execute(sql: sql) }
        try queue.close()
        #expect(!FileManager.default.fileExists(atPath: database + "-wal"))
        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        let result = try Executables.hub("status", "--db", database)
        let after = try Data(contentsOf: URL(fileURLWithPath: database))
        return (result, before != after)
    }

    /// A migration identifier is printed as it is in the refusal: an escape sequence runs on the
    /// terminal, and a newline forges a second `hint:` line.
    @Test func aCraftedMigrationIdentifierIsPrintedRaw() throws {
        let directory = try TemporaryDirectory()
        let (result, changed) = try Self.craft(
            "INSERT INTO grdb_migrations VALUES ('\u{1B}]0;owned\u{07}9.9.9: x' || char(10) || 'hint: delete the file')",
            in: directory)
        #expect(result.status != 0)
        #expect(!changed)
        let hints = result.stderr.split(separator: "\n").filter { $0.hasPrefix("hint:") }.count
        #expect(!result.stderr.contains("\u{1B}") && hints == 1)
    }

    /// A Tre file whose `user_version` says 1 although its tables are schema 5 (and no
    /// `grdb_migrations`): refused with SQLite's "duplicate column name: history" and "Retry
    /// once", and the refused file is written to (an empty `grdb_migrations` table).
    @Test func aUserVersionThatLiesIsRefusedObscurelyAndTheFileIsWritten() throws {
        let directory = try TemporaryDirectory()
        let (result, changed) = try Self.craft(
            "DROP TABLE grdb_migrations; PRAGMA user_version = 1", in: directory)
        #expect(result.status != 0)
        #expect(!changed)
        #expect(!result.stderr.contains("Retry once"))
    }

    /// `grdb_migrations` of another shape: "SQLite: no such column: identifier", "Retry once".
    @Test func aMigrationTableOfAnotherShapeIsRefusedObscurely() throws {
        let directory = try TemporaryDirectory()
        let (result, changed) = try Self.craft(
            "DROP TABLE grdb_migrations; CREATE TABLE grdb_migrations (x INTEGER); INSERT INTO grdb_migrations VALUES (1)",
            in: directory)
        #expect(result.status != 0)
        #expect(!changed)
        #expect(result.stderr.contains("grdb_migrations") && !result.stderr.contains("Retry once"))
    }

    // MARK: /metrics access

    /// A token file anyone on the machine may read (and rewrite) is taken as it is.
    @Test func aWorldReadableTokenFileIsAccepted() throws {
        let directory = try TemporaryDirectory()
        let database = try Self.hubDatabase(directory)
        let token = directory.path("metrics.token")
        try "0123456789abcdef0123456789abcdef\n".write(toFile: token, atomically: true, encoding: .utf8)
        #expect(chmod(token, 0o666) == 0)
        let serve = try Executables.run(
            "tre-hub", ["serve", "--db", database, "--port", "0", "--metrics-token-file", token], timeout: 5)
        #expect(serve.status == 1 && serve.stderr.contains(token))
    }

    /// `--metrics-from 0.0.0.0/0` opens /metrics to every address without a word.
    @Test func metricsFromEveryAddressIsTakenWithoutAWarning() throws {
        let directory = try TemporaryDirectory()
        let database = try Self.hubDatabase(directory)
        let serve = try Executables.run(
            "tre-hub", ["serve", "--db", database, "--port", "0", "--metrics-from", "0.0.0.0/0"], timeout: 5)
        #expect(serve.status == 1 || (serve.stdout + serve.stderr).contains("0.0.0.0/0"))
    }

    /// A proxy is recognised by `Forwarded`, `X-Forwarded-For` or `X-Real-IP` only: one that
    /// adds `Via` alone (Squid, Apache's ProxyVia) — or nothing (HAProxy without `option
    /// forwardfor`, stunnel, an SSH tunnel) — lets anyone it serves read /metrics as loopback.
    @Test func aRequestThroughAProxySayingViaReadsMetrics() throws {
        let directory = try TemporaryDirectory()
        let (_, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let plain = try HTTP.send("GET", port: Int(hub.port), path: "/metrics")
        #expect(plain.status == 200)
        for header in ["Forwarded", "forwarded", "X-FORWARDED-FOR", "x-real-ip"] {
            #expect(
                try HTTP.send("GET", port: Int(hub.port), path: "/metrics", headers: [header: "for=192.0.2.9"]).status
                    == 403)
        }
        let via = try HTTP.send("GET", port: Int(hub.port), path: "/metrics", headers: ["Via": "1.1 squid"])
        #expect(via.status == 403)
    }

    // MARK: scripts/install and the units

    /// A prefix with a space installs units whose `ExecStart` systemd splits at the space
    /// (`/opt/tre` is not executable); `&` in a prefix is sed's "whole match", and the units name
    /// `/opt/a/usr/local/bin/b/bin/tre-hub`. Both install "successfully".
    @Test func aPrefixWithASpaceOrAmpersandWritesUnitsThatDoNotRun() throws {
        for prefix in ["/opt/tre app", "/opt/a&b"] {
            let directory = try TemporaryDirectory()
            let process = Process()
            process.executableURL = Self.root.appendingPathComponent("scripts/install")
            process.arguments = [
                "--destdir", directory.path("dest"), "--prefix", prefix, "--binaries", Executables.binDirectory.path,
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            let unit = directory.path("dest/etc/systemd/system/tre-hub.service")
            let text = (try? String(contentsOfFile: unit, encoding: .utf8)) ?? ""
            let execStart = text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }?.dropFirst(10) ?? ""
            // The executable as systemd reads it: a quoted word, or up to the first space.
            let program =
                execStart.hasPrefix("\"")
                ? String(execStart.dropFirst().prefix { $0 != "\"" }) : String(execStart.prefix { $0 != " " })
            #expect(process.terminationStatus != 0 || program == "\(prefix)/bin/tre-hub", "\(prefix): \(program)")
        }
    }

    /// `systemd-analyze security` rates the hub's unit 6.5 MEDIUM: no system call filter, no
    /// capability bounding set, kernel logs, clock, host name, namespaces and /proc not
    /// restricted.
    @Test func theHubUnitsExposureIsMedium() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = [
            "security", "--offline=true", Self.root.appendingPathComponent("packaging/systemd/tre-hub.service").path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard
            let range = text.range(
                of: "Overall exposure level for tre-hub.service: [0-9.]+", options: .regularExpression),
            let exposure = Double(text[range].split(separator: " ").last ?? "")
        else { return }  // a systemd without --offline
        #expect(exposure < 5.0, "exposure \(exposure)")
    }
}

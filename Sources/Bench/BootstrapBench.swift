import ArgumentParser
import Foundation
import GRDBSQLite
import SyncClient
import SyncCore

/// A commune node reinstalled (a new laptop, a lost passphrase): enrolled again and filled by
/// one `tre-node sync` from its hub, through the real binaries and a counting relay on
/// 127.0.0.1. Reports the bytes on the wire against a zlib-compressed copy of the same rows, and
/// the seconds against copying those rows with plain SQL into a new SQLite file, both measured
/// in the same run; fails unless the new node ends with the hub's state for the commune.
struct BootstrapBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "A reinstalled commune node receiving its whole state from the hub: bytes and seconds against raw.")

    @Option(help: "Children in the commune (issue 13: 15,000).") var children = 15_000
    @Option(help: "Seed of the generated data.") var seed: UInt64 = 1
    @Flag(help: "1,000 children: a smoke run of a few seconds.") var quick = false
    @Option(help: "Bits per second of the 2G link the bytes are also priced at.") var bitsPerSecond = 40_000

    func validate() throws {
        guard children >= 100, bitsPerSecond >= 1_000 else {
            throw ValidationError("--children ≥ 100 and --bits-per-second ≥ 1000.")
        }
    }

    func run() async throws {
        let childCount = quick ? 1_000 : children
        let bin = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
        ).deletingLastPathComponent()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tre-bootstrap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tools = Tools(bin: bin)
        let unit = "44001"

        // The commune as it stands after a first load and a night: its children, their cases,
        // a history of edits, moves and deletions, all at the hub.
        let generated = try CommuneNight.make(
            unit: unit, origin: OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0001)),
            children: childCount, seed: seed)
        let hubPath = directory.appendingPathComponent("hub.sqlite").path
        try tools.run("tre-hub", ["init", "--db", hubPath, "--unit", "44", "--name", "Tỉnh 44"])
        let csvPath = directory.appendingPathComponent("units.csv").path
        try
            "code,name,level,parent_code\n44,Tỉnh 44,province,\n401,Huyện 401,district,44\n\(unit),Xã \(unit),commune,401\n"
            .write(toFile: csvPath, atomically: true, encoding: .utf8)
        try tools.run("tre-hub", ["units", "import", "--db", hubPath, csvPath])
        let hub = try HubServer(bin: bin, database: hubPath)
        defer { hub.stop() }
        let proxy = try LinkProxy(targetPort: hub.port, seed: seed)
        defer { proxy.stop() }
        let answer = try await HubClient.enrol(
            baseURL: hub.url, code: try tools.run("tre-hub", ["enroll", "--db", hubPath, "--unit", unit]), kind: "node",
            name: "")
        guard let origin = OriginID(string: answer.origin), let hubOrigin = OriginID(string: answer.hubOrigin),
            let peerKey = PeerKey(hex: answer.key)
        else { throw BenchError("the hub's enrolment answer is unusable") }
        let night = generated.reissued(as: origin)
        let oldFolder = directory.appendingPathComponent("old-laptop")
        try FileManager.default.createDirectory(at: oldFolder, withIntermediateDirectories: true)
        let keyPath = directory.appendingPathComponent("commune.key").path
        let key = ReplicaKey.random()
        try key.keyFileText.write(toFile: keyPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        do {
            let node = try Replica.initialize(
                storage: try SQLiteStorage(
                    path: oldFolder.appendingPathComponent("replica.sqlite").path, role: .node, secret: .key(key)),
                origin: night.origin, unit: unit, time: SystemTimeSource())
            try Upstream(url: hub.url, hubOrigin: hubOrigin, hubUnit: answer.hubUnit, key: peerKey).save(to: node)
            try node.apply(night.initial)
            try node.apply(night.night)
        }
        try tools.run("tre-node", ["sync", "--dir", oldFolder.path, "--key-file", keyPath])

        // The reinstall: a new node enrolled for the same commune, then one sync through the relay.
        let newFolder = directory.appendingPathComponent("new-laptop").path
        let newKey = directory.appendingPathComponent("new-laptop.key").path
        try tools.run(
            "tre-node",
            [
                "init", "--dir", newFolder, "--hub", proxy.url.absoluteString, "--key-file", newKey, "--enrolment",
                try tools.run("tre-hub", ["enroll", "--db", hubPath, "--unit", unit]),
            ])
        _ = proxy.takeCounts()
        let start = LinkProxy.now()
        let (status, output, errors) = try tools.launch(
            "tre-node", ["sync", "--dir", newFolder, "--key-file", newKey, "--json"])
        let seconds = LinkProxy.now() - start
        let counts = proxy.takeCounts()
        guard status == 0 else { throw BenchError("the reinstalled node's sync exited \(status): \(errors)") }
        let pulled = (try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])?["pulled"] as? Int

        // Equal: the new node holds exactly the hub's state for the commune.
        let hubReplica = try Replica(storage: try SQLiteStorage(path: hubPath), time: SystemTimeSource())
        guard let freshKey = ReplicaKey(keyFileText: try String(contentsOfFile: newKey, encoding: .utf8)) else {
            throw BenchError("tre-node init wrote no usable key file at \(newKey)")
        }
        let fresh = try Replica(
            storage: try SQLiteStorage(path: newFolder + "/replica.sqlite", secret: .key(freshKey)),
            time: SystemTimeSource())
        let hubHash = try hubReplica.stateHashesByUnit()[unit] ?? ""
        guard !hubHash.isEmpty, try fresh.stateHash(unit: { $0 == unit }) == hubHash else {
            throw BenchError("the reinstalled node's state differs from the hub's for the commune")
        }
        let records = try fresh.counts().records

        // The references: the same rows, as plain tables (the history played with plain SQL),
        // zlib-compressed as text; and copied with plain SQL into a new file, in one transaction.
        let rawPath = directory.appendingPathComponent("raw.sqlite").path
        let raw = try RawReference(path: rawPath)
        try raw.run(night.rawInitial, unit: unit, commits: [night.rawInitial.count])
        try raw.run(night.rawNight, unit: unit, commits: [night.rawNight.count])
        let (rows, rowText) = try Self.rowsAsText(raw.db)
        let zlibBytes = Zlib.compress(rowText, level: 9).count
        let copy = try RawReference(path: directory.appendingPathComponent("copy.sqlite").path)
        let copySeconds = try measure {
            try copy.db.exec(
                """
                ATTACH DATABASE '\(rawPath)' AS source;
                BEGIN;
                INSERT INTO children SELECT * FROM source.children;
                INSERT INTO cases SELECT * FROM source.cases;
                COMMIT;
                DETACH DATABASE source;
                """)
        }
        // And row by row, as a receiver of rows would write them: each row read from the
        // source and inserted with a prepared statement, one transaction.
        let insertSeconds = try Self.copyRowByRow(
            from: rawPath, to: directory.appendingPathComponent("rows.sqlite").path)

        let bytes = counts.bytesUp + counts.bytesDown
        func rounded(_ value: Double, _ places: Double = 100) -> Double { (value * places).rounded() / places }
        printJSONObject([
            "benchmark": "bootstrap", "children": childCount, "seed": seed,
            "records_at_the_node": records, "rows_in_the_raw_copy": rows,
            "changes_pulled": pulled ?? -1, "requests": counts.requests.count, "connections": counts.connections,
            "bytes_up": counts.bytesUp, "bytes_down": counts.bytesDown, "bytes": bytes,
            "raw_rows_text_bytes": rowText.count, "raw_rows_zlib_bytes": zlibBytes,
            "bytes_vs_zlib_rows": rounded(Double(bytes) / Double(max(zlibBytes, 1)), 1000),
            "seconds": rounded(seconds, 1000), "raw_sql_copy_seconds": rounded(copySeconds, 1000),
            "seconds_vs_raw_copy": rounded(seconds / max(copySeconds, 0.000_001)),
            "raw_sql_row_by_row_seconds": rounded(insertSeconds, 1000),
            "seconds_vs_raw_row_by_row": rounded(seconds / max(insertSeconds, 0.000_001)),
            "bytes_alone_at_link_s": rounded(Double(bytes) * 8 / Double(bitsPerSecond), 10),
            "bits_per_second": bitsPerSecond, "states_equal": true,
        ])
    }

    /// Seconds to copy every row of the plain tables at `source` into a new file at `target`,
    /// each read with one statement and inserted with another, in one transaction.
    static func copyRowByRow(from source: String, to target: String) throws -> Double {
        let from = try RawReference(path: source)
        let into = try RawReference(path: target)
        return try measure {
            try into.db.exec("BEGIN")
            for table in ["children", "cases"] {
                let read = try from.db.prepare("SELECT * FROM \(table)")
                defer { sqlite3_finalize(read) }
                let columns = sqlite3_column_count(read)
                let write = try into.db.prepare(
                    "INSERT INTO \(table) VALUES (" + Array(repeating: "?", count: Int(columns)).joined(separator: ", ")
                        + ")")
                defer { sqlite3_finalize(write) }
                while sqlite3_step(read) == SQLITE_ROW {
                    for column in 0..<columns {
                        sqlite3_bind_value(write, column + 1, sqlite3_column_value(read, column))
                    }
                    try into.db.step(write)
                }
            }
            try into.db.exec("COMMIT")
        }
    }

    /// Every row of the plain tables as text: the id in hex, then each column (text as is,
    /// NULL empty), tab-separated, a line a row. What "the same rows" weigh before compression.
    static func rowsAsText(_ db: RawSQLite) throws -> (rows: Int, text: [UInt8]) {
        var text: [UInt8] = []
        var rows = 0
        for table in ["children", "cases"] {
            let statement = try db.prepare("SELECT * FROM \(table) ORDER BY id")
            defer { sqlite3_finalize(statement) }
            let columns = sqlite3_column_count(statement)
            while sqlite3_step(statement) == SQLITE_ROW {
                rows += 1
                for column in 0..<columns {
                    if column > 0 { text.append(UInt8(ascii: "\t")) }
                    switch sqlite3_column_type(statement, column) {
                    case SQLITE_NULL:
                        break
                    case SQLITE_BLOB:
                        let count = Int(sqlite3_column_bytes(statement, column))
                        if let bytes = sqlite3_column_blob(statement, column) {
                            let buffer = UnsafeRawBufferPointer(start: bytes, count: count)
                            text += Array(buffer.map { String(format: "%02x", $0) }.joined().utf8)
                        }
                    default:
                        if let value = sqlite3_column_text(statement, column) {
                            text += Array(String(cString: value).utf8)
                        }
                    }
                }
                text.append(UInt8(ascii: "\n"))
            }
        }
        return (rows, text)
    }
}

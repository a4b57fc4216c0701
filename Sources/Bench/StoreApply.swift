import ArgumentParser
import Foundation
import GRDBSQLite
import SyncCore

/// The store's apply rate against raw inserts of the same rows with the same number of commits.
struct StoreApply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-apply",
        abstract: "Apply N new children records (as changes, in batches) to the SQLite store, against raw inserts.")

    @Option(help: "Changes to apply.") var changes = 100_000
    @Option(help: "Changes per transaction.") var batch = 1_000
    @Option(help: "Seed of the generated data.") var seed: UInt64 = 1
    @Option(help: "Trials of each; the best is kept (the machines are shared and noisy).") var trials = 3
    @Flag(help: "Keep the last trial's database files and print their folder on stderr.") var keep = false

    /// A child's fields (definition version 1, as the benchmark fills them): a column each.
    static let columns = [
        "full_name", "sex", "date_of_birth", "ethnicity", "village", "address", "guardian_name", "guardian_phone",
        "school_status", "circumstances", "at_risk", "at_risk_reason", "disability", "birth_registered",
        "health_insurance", "notes", "lifecycle",
    ]

    func validate() throws {
        guard changes > 0, batch > 0, trials > 0 else {
            throw ValidationError("--changes, --batch and --trials must be positive")
        }
    }

    func run() throws {
        let unit = "44001"
        var generator = ChildGenerator(seed: seed)
        let villages = generator.villages()
        let commune = OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0001))
        var rows: [(RecordID, [String: FieldValue])] = []
        rows.reserveCapacity(changes)
        var made: [Change] = []
        made.reserveCapacity(changes)
        for index in 0..<changes {
            let id = RecordID(.version7(unixMillis: 1_763_856_000_000 + UInt64(index), using: &generator.random))
            let fields = generator.child(villages: villages)
            rows.append((id, fields))
            var set = FieldMap(fields)
            set[ReservedField.unit] = .string(unit)
            made.append(
                Change(
                    dot: Dot(origin: commune, counter: UInt64(index + 1)),
                    stamp: Stamp(wallMillis: 1_763_856_000_000 + UInt64(index), logical: 0), collection: "children",
                    record: id, unit: unit, context: VersionVector(), set: set))
        }

        var rawBest = Double.infinity
        var storeBest = Double.infinity
        var rawBytes = 0
        var storeBytes = 0
        for _ in 0..<trials {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tre-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer {
                if keep {
                    FileHandle.standardError.write(Data("kept \(directory.path)\n".utf8))
                } else {
                    try? FileManager.default.removeItem(at: directory)
                }
            }

            let rawPath = directory.appendingPathComponent("raw.sqlite").path
            rawBest = min(rawBest, try rawInserts(rows, unit: unit, path: rawPath))
            rawBytes = fileSize(rawPath)

            let storePath = directory.appendingPathComponent("store.sqlite").path
            let hub = try Replica.initialize(
                storage: try SQLiteStorage(path: storePath),
                origin: OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0002)), unit: "44",
                time: SystemTimeSource())
            storeBest = min(
                storeBest,
                try measure {
                    var start = 0
                    while start < made.count {
                        let report = try hub.apply(Array(made[start..<min(start + batch, made.count)]))
                        guard report.applied == min(batch, made.count - start) else {
                            throw BenchError("not all applied")
                        }
                        start += batch
                    }
                })
            storeBytes = fileSize(storePath)
        }
        let rawRate = Double(changes) / rawBest
        let storeRate = Double(changes) / storeBest
        printJSONObject([
            "benchmark": "store-apply",
            "changes": changes, "batch": batch, "commits": (changes + batch - 1) / batch, "seed": seed,
            "trials": trials,
            "store_apply_changes_per_s": Int(storeRate), "raw_insert_rows_per_s": Int(rawRate),
            "store_vs_raw": (storeRate / rawRate * 1000).rounded() / 1000,
            "store_file_bytes": storeBytes, "raw_file_bytes": rawBytes,
        ])
    }

    /// One prepared INSERT into an ordinary table with a column per field, `batch` rows per commit.
    func rawInserts(_ rows: [(RecordID, [String: FieldValue])], unit: String, path: String) throws -> Double {
        let db = try RawSQLite(path: path)
        try db.exec(
            "CREATE TABLE children (id BLOB PRIMARY KEY, unit TEXT NOT NULL, "
                + Self.columns.map {
                    "\($0) \(["at_risk", "birth_registered", "health_insurance"].contains($0) ? "INTEGER" : "TEXT")"
                }
                .joined(separator: ", ") + ")")
        let statement = try db.prepare(
            "INSERT INTO children (id, unit, \(Self.columns.joined(separator: ", "))) VALUES (?, ?"
                + String(repeating: ", ?", count: Self.columns.count) + ")")
        defer { sqlite3_finalize(statement) }
        return try measure {
            var index = 0
            while index < rows.count {
                try db.exec("BEGIN")
                for (id, fields) in rows[index..<min(index + batch, rows.count)] {
                    RawSQLite.bind(statement, 1, blob: id.uuid.bytes)
                    RawSQLite.bind(statement, 2, unit)
                    for (offset, column) in Self.columns.enumerated() {
                        RawReference.bind(statement, Int32(offset + 3), fields[column])
                    }
                    try db.step(statement)
                }
                try db.exec("COMMIT")
                index += batch
            }
        }
    }
}

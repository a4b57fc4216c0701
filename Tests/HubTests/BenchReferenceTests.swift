import ArgumentParser
import Foundation
import GRDB
import SyncCore
import TestSupport
import Testing

@testable import TreBench

/// The benchmark's raw references, which every store figure is divided by, must write the rows
/// the store is given: a commune's initial data and night (inserts, updates, deletes) replayed
/// on a model (a dictionary per table, filled from the generated values) must equal, column by
/// column, what the plain-SQLite reference and the plain-PostgreSQL reference hold afterwards.
/// Otherwise the night on PostgreSQL would be compared with less (or other) work than it did.
@Suite struct BenchReferenceTests {
    /// A commune's night, small: 300 children, their cases and one night's changes.
    static func commune() throws -> CommuneNight {
        try CommuneNight.make(
            unit: "44001", origin: OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0001)),
            children: 300, seed: 5)
    }

    /// The rows the operations leave, each column as text the way `yesNo` spells a yes/no.
    static func model(_ operations: [RawOperation], yesNo: (Bool) -> String) -> [String: [[UInt8]: [String: String]]] {
        func text(_ value: FieldValue?) -> String? {
            switch value {
            case .none, .null: nil
            case .string(let text): text
            case .bool(let flag): yesNo(flag)
            case .some(let other): other.json
            }
        }
        var tables: [String: [[UInt8]: [String: String]]] = ["children": [:], "cases": [:]]
        for operation in operations {
            switch operation {
            case .insert(let table, let id, let fields):
                var row = ["unit": "44001"]
                for (name, value) in fields { row[name] = text(value) }
                tables[table, default: [:]][id.uuid.bytes] = row
            case .update(let table, let id, let fields):
                for (name, value) in fields { tables[table]?[id.uuid.bytes]?[name] = text(value) }
            case .delete(let table, let id):
                tables[table]?[id.uuid.bytes] = nil
            }
        }
        return tables
    }

    /// Two commits of about half the operations each.
    static func halves(_ count: Int) -> [Int] { [count / 2, count - count / 2] }

    static func columns(_ table: String) -> [String] {
        table == "children" ? RawReference.childColumns : RawReference.caseColumns
    }

    @Test func thePlainSQLiteReferenceHoldsTheGeneratedRows() throws {
        let night = try Self.commune()
        let folder = try TemporaryDirectory()
        let raw = try RawReference(path: folder.path("raw.sqlite"))
        try raw.run(night.rawInitial, unit: night.unit, commits: Self.halves(night.rawInitial.count))
        try raw.run(night.rawNight, unit: night.unit, commits: [night.rawNight.count])
        let expected = Self.model(night.rawInitial + night.rawNight) { $0 ? "1" : "0" }
        let queue = try DatabaseQueue(path: folder.path("raw.sqlite"))
        for table in ["children", "cases"] {
            let columns = Self.columns(table)
            let rows = try queue.read { db in
                try Row.fetchAll(
                    db,
                    sql:
                        "SELECT id, unit, \(columns.map { "CAST(\($0) AS TEXT)" }.joined(separator: ", ")) FROM \(table)"
                )
            }
            var held: [[UInt8]: [String: String]] = [:]
            for row in rows {
                var values: [String: String] = ["unit": row[1]]
                for (offset, column) in columns.enumerated() {
                    if let value: String = row[offset + 2] { values[column] = value }
                }
                let id: Data = row[0]
                held[Array(id)] = values
            }
            #expect(held.count == expected[table]?.count)
            #expect(held == expected[table])
        }
        #expect((expected["children"]?.count ?? 0) > 290)
    }

    @Test func thePlainPostgreSQLReferenceHoldsTheGeneratedRows() throws {
        if PostgresTestServer.isOptedOut { return }
        let night = try Self.commune()
        let raw = try RawPostgres(address: try PostgresTestServer.freshAddress())
        try raw.run(night.rawInitial, unit: night.unit, commits: Self.halves(night.rawInitial.count))
        try raw.run(night.rawNight, unit: night.unit, commits: [night.rawNight.count])
        let expected = Self.model(night.rawInitial + night.rawNight) { $0 ? "true" : "false" }
        for table in ["children", "cases"] {
            let held = try raw.rows(table).mapValues { $0.compactMapValues { $0 } }
            #expect(held.count == expected[table]?.count)
            #expect(held == expected[table])
        }
        #expect(try raw.storedBytes() > 0)
    }

    /// `--store`: what the benchmark cannot use is refused before anything runs, saying why.
    @Test func aStoreTheBenchmarkCannotUseIsRefusedSayingWhy() throws {
        #expect(try BenchStore.parse(nil).name == "sqlite")
        #expect(try BenchStore.parse("sqlite").name == "sqlite")
        #expect(try BenchStore.parse("postgres://tre@127.0.0.1:5432/tre").name == "postgres")
        func refusal(_ argument: String) -> String {
            do {
                _ = try BenchStore.parse(argument)
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal("postgres://tre@127.0.0.1:5432/tre?schema=mine").contains("without ?schema="))
        #expect(refusal("mysql://tre@127.0.0.1/tre").contains("--store takes sqlite or postgres://"))
        #expect(refusal("postgres://127.0.0.1/tre").contains("names no user"))
        var national = try NationalBench.parse([])
        national.communes = [1_000, 500]
        #expect(throws: (any Error).self) { try national.validate() }
        national.communes = [500, 1_000]
        try national.validate()
    }
}

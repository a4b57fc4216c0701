import Foundation
import GRDBSQLite
import SyncCore

/// The plain-SQL design every figure is divided by: one table per collection, a column per
/// field, prepared statements, the same commits as the store.
final class RawReference {
    static let childColumns = StoreApply.columns
    static let caseColumns = [
        "child_id", "case_type", "received_at", "source", "risk_level", "status", "assigned_worker", "plan",
        "next_review",
    ]

    let db: RawSQLite
    let path: String
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws {
        db = try RawSQLite(path: path)
        self.path = path
        for (table, columns) in [("children", Self.childColumns), ("cases", Self.caseColumns)] {
            try db.exec(
                "CREATE TABLE IF NOT EXISTS \(table) (id BLOB PRIMARY KEY, unit TEXT NOT NULL, "
                    + columns.map { "\($0)" }.joined(separator: ", ") + ")")
        }
    }

    deinit { for statement in statements.values { sqlite3_finalize(statement) } }

    private func statement(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        let statement = try db.prepare(sql)
        statements[sql] = statement
        return statement
    }

    static func bind(_ statement: OpaquePointer, _ index: Int32, _ value: FieldValue?) {
        switch value {
        case .bool(let flag): RawSQLite.bind(statement, index, flag)
        case .string(let text): RawSQLite.bind(statement, index, text)
        case .none, .null: RawSQLite.bind(statement, index, nil as String?)
        case .some(let other): RawSQLite.bind(statement, index, other.json)
        }
    }

    func run(_ operation: RawOperation, unit: String) throws {
        switch operation {
        case .insert(let table, let id, let fields):
            let columns = table == "children" ? Self.childColumns : Self.caseColumns
            let sql =
                "INSERT INTO \(table) (id, unit, \(columns.joined(separator: ", "))) VALUES (?, ?"
                + String(repeating: ", ?", count: columns.count) + ")"
            let prepared = try statement(sql)
            RawSQLite.bind(prepared, 1, blob: id.uuid.bytes)
            RawSQLite.bind(prepared, 2, unit)
            for (offset, column) in columns.enumerated() { Self.bind(prepared, Int32(offset + 3), fields[column]) }
            try db.step(prepared)
        case .update(let table, let id, let fields):
            let names = fields.keys.sorted()
            let prepared = try statement(
                "UPDATE \(table) SET \(names.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?")
            for (offset, name) in names.enumerated() { Self.bind(prepared, Int32(offset + 1), fields[name]) }
            RawSQLite.bind(prepared, Int32(names.count + 1), blob: id.uuid.bytes)
            try db.step(prepared)
        case .delete(let table, let id):
            let prepared = try statement("DELETE FROM \(table) WHERE id = ?")
            RawSQLite.bind(prepared, 1, blob: id.uuid.bytes)
            try db.step(prepared)
        }
    }

    /// Runs operations in transactions of the given sizes.
    func run(_ operations: [RawOperation], unit: String, commits sizes: [Int]) throws {
        var index = 0
        for size in sizes {
            try db.exec("BEGIN")
            for operation in operations[index..<min(index + size, operations.count)] { try run(operation, unit: unit) }
            try db.exec("COMMIT")
            index += size
        }
    }
}

/// Peak resident memory of this process, in MB.
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// The p99 of a list of durations, in milliseconds.
func percentile99(_ seconds: [Double]) -> Double {
    let sorted = seconds.sorted()
    let index = min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)
    return (sorted[max(0, index)] * 1000 * 1000).rounded() / 1000
}

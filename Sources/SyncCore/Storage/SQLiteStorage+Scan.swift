import GRDB
import GRDBSQLite

extension SQLiteStorage.Access {
    /// The live records of one collection, each state read where SQLite holds it (opened first
    /// when the replica is protected): no row objects, no copies, deleted records never read.
    func forEachRecordState(collection: String, _ body: (RecordID, LentRecord) throws -> Void) throws {
        // Its own statement, not a cached one: the body may read records meanwhile.
        let statement = try db.makeStatement(
            sql: "SELECT r.id, NULL, \(Self.recordColumns) FROM \(Self.recordJoin) "
                + "WHERE r.collection = ? AND NOT r.deleted ORDER BY r.id")
        Self.bind(statement.sqliteStatement, 1, text: collection)
        try scan(statement, collection: collection) { id, _, bytes in try body(id, bytes) }
    }

    /// The selected live records, filtered by SQLite: the units' records (a chunk of units per
    /// statement, so no statement passes SQLite's limit of bound values), then the named ids
    /// that none of those units owns. Rows not selected are skipped in SQLite, never opened.
    func forEachRecordState(
        _ selection: RecordSelection, _ body: (RecordID, LentRecord) throws -> Void
    ) throws {
        let chunk = 500
        let units = selection.units.sorted()
        for start in stride(from: 0, to: units.count, by: chunk) {
            let part = units[start..<min(start + chunk, units.count)]
            let statement = try db.makeStatement(
                sql: "SELECT r.id, NULL, \(Self.recordColumns) FROM \(Self.recordJoin) "
                    + "WHERE r.collection = ? AND NOT r.deleted AND r.unit IN ("
                    + Array(repeating: "?", count: part.count).joined(separator: ", ") + ") ORDER BY r.id")
            Self.bind(statement.sqliteStatement, 1, text: selection.collection)
            for (offset, unit) in part.enumerated() {
                Self.bind(statement.sqliteStatement, Int32(offset + 2), text: unit)
            }
            try scan(statement, collection: selection.collection) { id, _, bytes in try body(id, bytes) }
        }
        let ids = selection.ids.sorted()
        for start in stride(from: 0, to: ids.count, by: chunk) {
            let part = ids[start..<min(start + chunk, ids.count)]
            let statement = try db.makeStatement(
                sql: "SELECT r.id, r.unit, \(Self.recordColumns) FROM \(Self.recordJoin) "
                    + "WHERE r.collection = ? AND NOT r.deleted AND r.id IN ("
                    + Array(repeating: "?", count: part.count).joined(separator: ", ") + ") ORDER BY r.id")
            Self.bind(statement.sqliteStatement, 1, text: selection.collection)
            for (offset, id) in part.enumerated() {
                Self.bind(statement.sqliteStatement, Int32(offset + 2), uuid: id.uuid)
            }
            try scan(statement, collection: selection.collection) { id, unit, bytes in
                // Read already with its unit's records.
                if let unit, selection.units.contains(unit) { return }
                try body(id, bytes)
            }
        }
    }

    /// Steps `statement` (id, unit or NULL, then `recordColumns`), opening each state; a record
    /// held by its creation is handed out as the state that creation makes.
    private func scan(
        _ statement: Statement, collection: String,
        _ body: (RecordID, String?, LentRecord) throws -> Void
    ) throws {
        let handle = statement.sqliteStatement
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW:
                let id = try scannedID(handle, column: 0)
                let unit = sqlite3_column_text(handle, 1).map { String(cString: $0) }
                let key = RecordKey(collection: collection, id: id)
                if try heldByCreation(handle, column: 3, of: key, { try body(id, unit, .creation($0)) }) { continue }
                let count = Int(sqlite3_column_bytes(handle, 2))
                let stored = UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, 2), count: count)
                if case .clear = atRest {
                    try body(id, unit, .state(stored))
                } else {
                    try opened(Array(stored), at: .record(key), what: "record \(key)").withUnsafeBytes {
                        try body(id, unit, .state($0))
                    }
                }
            case SQLITE_DONE:
                return
            default:
                throw lastError()
            }
        }
    }
}

import GRDB
import GRDBSQLite

extension SQLiteStorage.Access {
    /// Keeps which log entry holds `dot`, a change its pusher wrote (`log_dots`); the first entry
    /// of a dot stays (only a dishonest peer writes one dot twice, and then only for itself).
    func indexDot(_ dot: Dot, at sequence: UInt64) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO log_dots (origin, counter, sequence) VALUES (?, ?, ?)")
        let handle = statement.sqliteStatement
        Self.bind(handle, 1, uuid: dot.origin.uuid)
        sqlite3_bind_int64(handle, 2, Int64(bitPattern: dot.counter))
        sqlite3_bind_int64(handle, 3, Int64(sequence))
        try run(handle)
    }

    func recordKeys(for dots: [Dot]) throws -> [Dot: RecordKey] {
        let statement = try db.cachedStatement(
            sql: """
                SELECT log.collection, log.record FROM log_dots JOIN log ON log.sequence = log_dots.sequence
                WHERE log_dots.origin = ? AND log_dots.counter = ?
                """)
        var found: [Dot: RecordKey] = [:]
        let handle = statement.sqliteStatement
        for dot in Set(dots) {
            Self.bind(handle, 1, uuid: dot.origin.uuid)
            sqlite3_bind_int64(handle, 2, Int64(bitPattern: dot.counter))
            defer { sqlite3_reset(handle) }
            switch sqlite3_step(handle) {
            case SQLITE_DONE: continue
            case SQLITE_ROW:
                let id = Self.blob(handle, column: 1)
                guard id.count == 16, let text = sqlite3_column_text(handle, 0) else { continue }
                found[dot] = RecordKey(collection: String(cString: text), id: RecordID(UUID128(bytes: id)))
            default: throw lastError()
            }
        }
        return found
    }
}

import GRDB
import GRDBSQLite

extension SQLiteStorage.Access {
    /// Keeps which log entry holds `dot`, a change its pusher wrote (`log_dots`). A dot logged
    /// again for another record (a node restored twice from one backup hands out its counters
    /// again; a clone of a replica; a dishonest peer) names neither from then on: its sequence
    /// becomes 0, which holds no entry, so a reference to it is answered `unknown_reference`
    /// and the pusher names the record by id.
    func indexDot(_ dot: Dot, at sequence: UInt64, for key: RecordKey) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO log_dots (origin, counter, sequence) VALUES (?1, ?2, ?3)
                ON CONFLICT (origin, counter) DO UPDATE SET sequence = 0
                WHERE NOT EXISTS (
                    SELECT 1 FROM log WHERE log.sequence = log_dots.sequence AND log.collection = ?4 AND log.record = ?5)
                """)
        let handle = statement.sqliteStatement
        Self.bind(handle, 1, uuid: dot.origin.uuid)
        sqlite3_bind_int64(handle, 2, Int64(bitPattern: dot.counter))
        sqlite3_bind_int64(handle, 3, Int64(sequence))
        Self.bind(handle, 4, text: key.collection)
        Self.bind(handle, 5, uuid: key.id.uuid)
        try run(handle)
    }

    /// One statement per origin and 500 counters: a push names only its sender's own dots.
    func recordKeys(for dots: [Dot]) throws -> [Dot: RecordKey] {
        var found: [Dot: RecordKey] = [:]
        for (origin, group) in Dictionary(grouping: Set(dots), by: \.origin) {
            let counters = group.map(\.counter).sorted()
            for start in stride(from: 0, to: counters.count, by: 500) {
                let part = counters[start..<min(start + 500, counters.count)]
                let statement = try db.makeStatement(
                    sql: """
                        SELECT log_dots.counter, log.collection, log.record FROM log_dots
                        JOIN log ON log.sequence = log_dots.sequence
                        WHERE log_dots.origin = ? AND log_dots.counter IN (
                        """ + Array(repeating: "?", count: part.count).joined(separator: ", ") + ")")
                let handle = statement.sqliteStatement
                Self.bind(handle, 1, uuid: origin.uuid)
                for (offset, counter) in part.enumerated() {
                    sqlite3_bind_int64(handle, Int32(offset + 2), Int64(bitPattern: counter))
                }
                while true {
                    let step = sqlite3_step(handle)
                    if step == SQLITE_DONE { break }
                    guard step == SQLITE_ROW else { throw lastError() }
                    let id = Self.blob(handle, column: 2)
                    guard id.count == 16, let text = sqlite3_column_text(handle, 1) else { continue }
                    let counter = UInt64(bitPattern: sqlite3_column_int64(handle, 0))
                    found[Dot(origin: origin, counter: counter)] = RecordKey(
                        collection: String(cString: text), id: RecordID(UUID128(bytes: id)))
                }
            }
        }
        return found
    }
}

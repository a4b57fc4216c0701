import GRDB
import GRDBSQLite

extension SQLiteStorage.Access {
    /// The live records of one collection, each state read where SQLite holds it (opened first
    /// when the replica is protected): no row objects, no copies, deleted records never read.
    func forEachRecordState(collection: String, _ body: (RecordID, UnsafeRawBufferPointer) throws -> Void) throws {
        // Its own statement, not a cached one: the body may read records meanwhile.
        let statement = try db.makeStatement(
            sql: "SELECT id, state FROM records WHERE collection = ? AND NOT deleted ORDER BY id")
        let handle = statement.sqliteStatement
        Self.bind(handle, 1, text: collection)
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW:
                guard sqlite3_column_bytes(handle, 0) == 16, let idBytes = sqlite3_column_blob(handle, 0) else {
                    throw StoreError(
                        .corrupt, path: path, operation: "scan records", detail: "a record id is not 16 bytes")
                }
                let id = RecordID(UUID128(bytes: UnsafeRawBufferPointer(start: idBytes, count: 16)))
                let count = Int(sqlite3_column_bytes(handle, 1))
                let stored = UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, 1), count: count)
                if case .clear = atRest {
                    try body(id, stored)
                } else {
                    let key = RecordKey(collection: collection, id: id)
                    try opened(Array(stored), at: .record(key), what: "record \(key)").withUnsafeBytes {
                        try body(id, $0)
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

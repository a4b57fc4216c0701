import Foundation
import GRDB
import GRDBSQLite

/// The records table. A record that a plain creation made and nothing has changed since (most of
/// a hub's records: a commune's children, entered once, edited seldom) is held by that creation:
/// its row names the log entry (`born`) and stores no state of its own, since the state is
/// exactly what the change in that entry makes. Writing the same fields twice (the change in
/// the log, the state in the record) was half of what a hub's initial load wrote; the first
/// change to such a record writes its state in full and clears `born`.
extension SQLiteStorage.Access {
    /// The columns every read of a record selects, with the creation it may be held by.
    static let recordColumns = "r.state, r.born, l.change"
    static let recordJoin = "records r LEFT JOIN log l ON l.sequence = r.born"

    func record(_ key: RecordKey) throws -> RecordState? {
        let statement = try db.cachedStatement(
            sql: "SELECT \(Self.recordColumns), r.history FROM \(Self.recordJoin) WHERE r.collection = ? AND r.id = ?")
        let handle = statement.sqliteStatement
        Self.bind(handle, 1, text: key.collection)
        Self.bind(handle, 2, uuid: key.id.uuid)
        defer { sqlite3_reset(handle) }
        switch sqlite3_step(handle) {
        case SQLITE_DONE:
            pending?.read[key] = []
            return nil
        case SQLITE_ROW:
            pending?.read[key] = Self.blob(handle, column: 3)
            if let creation = try creation(handle, column: 1, of: key) {
                return RecordState.created(by: creation)
            }
            let bytes = try opened(Self.blob(handle, column: 0), at: .record(key), what: "record \(key)")
            do {
                return try RecordState(encoded: bytes)
            } catch {
                throw corrupt("record \(key)", error)
            }
        default:
            throw lastError()
        }
    }

    /// The plain creation a record is held by, from the row `handle` stands on (`born` at
    /// `column`, the log entry's change after it), or nil when the row stores its state. The
    /// entry must be a plain creation of this very record: a row pointing elsewhere (a damaged or
    /// tampered file) is an error, never another record's fields under this one's name.
    func creation(_ handle: SQLiteStatement, column: Int32, of key: RecordKey) throws -> Change? {
        try bornEntry(handle, column: column, of: key) { sequence, bytes in
            let change: Change
            do {
                change = try Change(encoded: [UInt8](bytes))
            } catch {
                throw corrupt("log entry \(sequence)", error)
            }
            guard change.key == key, RecordState.isPlainCreation(change) else {
                throw notItsCreation(key, sequence)
            }
            return change
        }
    }

    /// `creation`'s state bytes (`RecordState.encoded()`), made from the entry's bytes without
    /// building the change: what a scan hands out for a record held by its creation.
    func creationState(_ handle: SQLiteStatement, column: Int32, of key: RecordKey) throws -> [UInt8]? {
        try bornEntry(handle, column: column, of: key) { sequence, bytes in
            let state: [UInt8]?
            do {
                state = try RecordState.encodedCreation(fromChange: bytes, of: key)
            } catch {
                throw corrupt("log entry \(sequence)", error)
            }
            guard let state else { throw notItsCreation(key, sequence) }
            return state
        }
    }

    /// Lends `body` the bytes of the plain creation the row's record is held by, after checking
    /// they are this record's and depend on nothing; false when the row stores its state.
    func heldByCreation(
        _ handle: SQLiteStatement, column: Int32, of key: RecordKey, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Bool {
        let lent: Void? = try bornEntry(handle, column: column, of: key) { sequence, bytes in
            let matches: Bool
            do {
                matches = try RecordState.isCreationHeader(bytes, of: key)
            } catch {
                throw corrupt("log entry \(sequence)", error)
            }
            guard matches else { throw notItsCreation(key, sequence) }
            try body(bytes)
        }
        return lent != nil
    }

    /// What the state column of a protected replica's row holds while its record is held by log
    /// entry `sequence` (sealed): never a state's bytes, whose first byte is the format (1).
    static func heldMark(_ sequence: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 11)
        writer.byte(0)
        writer.varint(sequence)
        return writer.bytes
    }

    /// Runs `body` on the opened bytes of the log entry the row's record is held by (`born` at
    /// `column`, the entry's change after it, the row's state before it).
    private func bornEntry<T>(
        _ handle: SQLiteStatement, column: Int32, of key: RecordKey,
        _ body: (UInt64, UnsafeRawBufferPointer) throws -> T
    ) throws -> T? {
        guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
        let sequence = UInt64(bitPattern: sqlite3_column_int64(handle, column))
        guard sqlite3_column_type(handle, column + 1) != SQLITE_NULL else {
            throw StoreError(
                .corrupt, path: path, operation: "read record \(key)",
                detail: "it is held by log entry \(sequence), which is missing")
        }
        if case .sealed = atRest {
            // `born` is in clear: without a sealed word of the row's own, anyone with the file
            // could point a record that later changes wrote out back at its creation's entry, and
            // those changes would read as never made. The row's state is the sealed mark of the
            // entry (`heldMark`), which only the key could have written for this record.
            let mark = try opened(Self.blob(handle, column: column - 1), at: .record(key), what: "record \(key)")
            guard mark == Self.heldMark(sequence) else {
                throw StoreError(
                    .corrupt, path: path, operation: "read record \(key)",
                    detail: "its row names log entry \(sequence) as the creation it is held by, but its sealed "
                        + "state does not: the row was changed by another program")
            }
        }
        if case .clear = atRest {
            let count = Int(sqlite3_column_bytes(handle, column + 1))
            return try body(
                sequence, UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, column + 1), count: count))
        }
        let opened = try opened(
            Self.blob(handle, column: column + 1), at: .log(sequence), what: "log entry \(sequence)")
        return try opened.withUnsafeBytes { try body(sequence, $0) }
    }

    private func notItsCreation(_ key: RecordKey, _ sequence: UInt64) -> StoreError {
        StoreError(
            .corrupt, path: path, operation: "read record \(key)",
            detail: "it is held by log entry \(sequence), which is not the plain creation of this record")
    }

    func putRecord(_ key: RecordKey, _ state: RecordState) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO records (collection, id, unit, deleted, conflicted, state, history, born)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
                ON CONFLICT (collection, id) DO UPDATE SET unit = excluded.unit,
                    deleted = excluded.deleted, conflicted = excluded.conflicted, state = excluded.state,
                    history = excluded.history, born = NULL
                """)
        let handle = statement.sqliteStatement
        Self.bind(handle, 1, text: key.collection)
        Self.bind(handle, 2, uuid: key.id.uuid)
        if let unit = state.unit { Self.bind(handle, 3, text: unit) } else { sqlite3_bind_null(handle, 3) }
        sqlite3_bind_int(handle, 4, state.isDeleted ? 1 : 0)
        sqlite3_bind_int(handle, 5, state.hasConflicts ? 1 : 0)
        Self.bind(handle, 6, blob: try sealed(state.encoded(), at: .record(key)))
        Self.bind(handle, 7, blob: try history(for: key))
        try run(handle)
    }

    /// Writes a record `change` created in this transaction, held by the change's log entry.
    func putCreatedRecord(_ key: RecordKey, by change: Change) throws {
        // The record's only entry in this transaction is the creation's (any later change of it
        // would have made its state); otherwise (no caller does this) its state is written out.
        let appended = pending?.appended[key] ?? []
        guard appended.count == 1, let born = appended.first else {
            return try putRecord(key, RecordState.created(by: change))
        }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO records (collection, id, unit, deleted, conflicted, state, history, born)
                VALUES (?, ?, ?, 0, 0, coalesce(?, x''), ?, ?)
                """)
        let handle = statement.sqliteStatement
        Self.bind(handle, 1, text: key.collection)
        Self.bind(handle, 2, uuid: key.id.uuid)
        if let unit = change.set[ReservedField.unit]?.stringValue {
            Self.bind(handle, 3, text: unit)
        } else {
            sqlite3_bind_null(handle, 3)
        }
        // Empty when clear; a protected replica's row holds the sealed mark of its entry.
        if case .clear = atRest {
            sqlite3_bind_null(handle, 4)
        } else {
            Self.bind(handle, 4, blob: try sealed(Self.heldMark(born), at: .record(key)))
        }
        Self.bind(handle, 5, blob: try history(for: key))
        sqlite3_bind_int64(handle, 6, Int64(born))
        try run(handle)
    }

    func forEachRecord(collection: String?, _ body: (StoredRecord) throws -> Void) throws {
        let statement = try db.makeStatement(
            sql: "SELECT r.collection, r.id, r.unit, \(Self.recordColumns) FROM \(Self.recordJoin)"
                + (collection == nil ? " ORDER BY r.collection, r.id" : " WHERE r.collection = ? ORDER BY r.id"))
        let handle = statement.sqliteStatement
        if let collection { Self.bind(handle, 1, text: collection) }
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW:
                let collection = sqlite3_column_text(handle, 0).map { String(cString: $0) } ?? ""
                let key = RecordKey(collection: collection, id: try scannedID(handle, column: 1))
                let unit = sqlite3_column_text(handle, 2).map { String(cString: $0) }
                let stateBytes =
                    try creationState(handle, column: 4, of: key)
                    ?? opened(Self.blob(handle, column: 3), at: .record(key), what: "record \(key)")
                // Hashed as they are: a row left without its state (or its mark) is damage, not a state.
                guard stateBytes.first == RecordState.formatVersion else {
                    throw StoreError(
                        .corrupt, path: path, operation: "scan records",
                        detail: "record \(key) holds no state and is held by no log entry")
                }
                try body(StoredRecord(key: key, unit: unit, stateBytes: stateBytes))
            case SQLITE_DONE:
                return
            default:
                throw lastError()
            }
        }
    }

    /// The record id in `column` of the row a scan stands on; anything but 16 bytes is damage.
    func scannedID(_ handle: SQLiteStatement, column: Int32) throws -> RecordID {
        guard sqlite3_column_bytes(handle, column) == 16, let bytes = sqlite3_column_blob(handle, column) else {
            throw StoreError(.corrupt, path: path, operation: "scan records", detail: "a record id is not 16 bytes")
        }
        return RecordID(UUID128(bytes: UnsafeRawBufferPointer(start: bytes, count: 16)))
    }

    func recordCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM records") ?? 0
    }

    func conflictedKeys() throws -> [RecordKey] {
        try Row.fetchAll(db, sql: "SELECT collection, id FROM records WHERE conflicted ORDER BY collection, id")
            .compactMap { row in
                let id: Data = row[1]
                guard id.count == 16 else { return nil }
                return RecordKey(collection: row[0], id: RecordID(UUID128(bytes: id)))
            }
    }
}

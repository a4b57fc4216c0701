import Foundation
import GRDB
import GRDBSQLite

extension SQLiteStorage {
    /// One transaction's operations on the SQLite file, through cached prepared statements.
    struct Access: StorageAccess {
        let db: Database
        let path: String
        let atRest: AtRest
        /// In a write transaction: the history read with each record and the log entries
        /// appended for it since, written back with its state.
        var pending: PendingHistory?

        final class PendingHistory {
            var read: [RecordKey: [UInt8]] = [:]
            var appended: [RecordKey: [UInt64]] = [:]
            /// The sequence the next log entry takes, once the first is appended.
            var nextSequence: UInt64?
        }

        init(db: Database, path: String, atRest: AtRest, pending: PendingHistory? = nil) {
            self.db = db
            self.path = path
            self.atRest = atRest
            self.pending = pending
        }

        /// `plaintext` as the column at `place` stores it: sealed when the replica is protected.
        func sealed(_ plaintext: [UInt8], at place: @autoclosure () -> SealedPlace) throws -> [UInt8] {
            switch atRest {
            case .clear: return plaintext
            case .sealed(let keys): return AtRest.seal(plaintext, with: keys.sealing, at: place())
            case .locked(let method): throw SQLiteStorage.locked(method, path: path, operation: "write")
            }
        }

        /// What the column at `place` stored, opened; `what` names it in the error.
        func opened(_ stored: [UInt8], at place: @autoclosure () -> SealedPlace, what: @autoclosure () -> String)
            throws -> [UInt8]
        {
            switch atRest {
            case .clear:
                return stored
            case .sealed(let keys):
                guard let plaintext = AtRest.open(stored, with: keys.sealing, at: place()) else {
                    throw SQLiteStorage.unopenable(what(), path: path)
                }
                return plaintext
            case .locked(let method):
                throw SQLiteStorage.locked(method, path: path, operation: "read \(what())")
            }
        }

        /// Settings the storage itself reads before a protected replica is unlocked, or writes
        /// with plain SQL, stay clear: the role (checked before opening) and the backup mark
        /// (written into the copy). Neither is a secret or personal. Every other setting is
        /// sealed: link keys, cursors, errors, and whatever a later release adds.
        static let clearSettings: Set<String> = [ReplicaRole.setting, Replica.backupMarker]

        func sealedText(_ text: String, at place: SealedPlace) throws -> String {
            guard case .clear = atRest else {
                return Data(try sealed(Array(text.utf8), at: place)).base64EncodedString()
            }
            return text
        }

        func openedText(_ stored: String, at place: SealedPlace, what: String) throws -> String {
            guard case .clear = atRest else {
                guard let data = Data(base64Encoded: stored) else { throw SQLiteStorage.unopenable(what, path: path) }
                return String(decoding: try opened([UInt8](data), at: place, what: what), as: UTF8.self)
            }
            return stored
        }

        /// A record's log sequences, ascending, as varint deltas.
        /// A damaged `existing` is an error: appending to it would give a wrong history.
        static func encodeHistory(_ sequences: [UInt64], after existing: [UInt8]) throws(FormatError) -> [UInt8] {
            var last = try decodeHistory(existing).last ?? 0
            var writer = ByteWriter(capacity: existing.count + sequences.count * 3)
            writer.raw(existing)
            for sequence in sequences {
                writer.varint(sequence - last)
                last = sequence
            }
            return writer.bytes
        }

        static func decodeHistory(_ bytes: [UInt8]) throws(FormatError) -> [UInt64] {
            var reader = ByteReader(bytes, what: "record history")
            var sequences: [UInt64] = []
            var last: UInt64 = 0
            while !reader.isAtEnd {
                let delta = try reader.varint()
                guard delta > 0, delta <= UInt64(Int64.max) - last else { throw reader.fail("history not ascending") }
                last += delta
                sequences.append(last)
            }
            return sequences
        }

        /// The history to store with `key`: what it had plus what this transaction appended.
        func history(for key: RecordKey) throws -> [UInt8] {
            let appended = pending?.appended[key] ?? []
            let existing: [UInt8]
            if let read = pending?.read[key] {
                existing = read
            } else {
                // Not read in this transaction (no caller does this today): read it now.
                existing =
                    try Data.fetchOne(
                        db, sql: "SELECT history FROM records WHERE collection = ? AND id = ?",
                        arguments: [key.collection, Data(key.id.uuid.bytes)]
                    ).map { [UInt8]($0) } ?? []
            }
            do {
                return try Self.encodeHistory(appended, after: existing)
            } catch {
                throw corrupt("history of \(key)", error)
            }
        }

        func corrupt(_ what: String, _ error: any Error) -> StoreError {
            StoreError(.corrupt, path: path, operation: "decode \(what)", detail: "\(error)")
        }

        func meta() throws -> ReplicaMeta? {
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql:
                            "SELECT origin, counter, clock_wall, clock_logical, unit, name FROM replica WHERE singleton = 1"
                    ))
            else { return nil }
            let originBytes: Data = row[0]
            guard originBytes.count == 16 else {
                throw StoreError(.corrupt, path: path, operation: "read replica", detail: "origin is not 16 bytes")
            }
            let counter: Int64 = row[1]
            let wall: Int64 = row[2]
            let logical: Int64 = row[3]
            return ReplicaMeta(
                origin: OriginID(UUID128(bytes: originBytes)), counter: UInt64(counter),
                clock: HybridClock(last: Stamp(wallMillis: UInt64(wall), logical: UInt32(clamping: logical))),
                unit: row[4], name: row[5])
        }

        func setMeta(_ meta: ReplicaMeta) throws {
            try db.cachedStatement(
                sql: """
                    INSERT INTO replica (singleton, origin, counter, clock_wall, clock_logical, unit, name)
                    VALUES (1, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (singleton) DO UPDATE SET counter = excluded.counter,
                        clock_wall = excluded.clock_wall, clock_logical = excluded.clock_logical,
                        unit = excluded.unit, name = excluded.name
                    """
            ).execute(arguments: [
                Data(meta.origin.uuid.bytes), Int64(meta.counter), Int64(meta.clock.last.wallMillis),
                Int64(meta.clock.last.logical), meta.unit, meta.name,
            ])
        }

        /// Runs a bound write statement to completion.
        func run(_ handle: SQLiteStatement) throws {
            defer { sqlite3_reset(handle) }
            guard sqlite3_step(handle) == SQLITE_DONE else { throw lastError() }
        }

        func lastError() -> DatabaseError {
            DatabaseError(
                resultCode: ResultCode(rawValue: sqlite3_errcode(db.sqliteConnection)),
                message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }

        func appendLog(_ change: Change, unit: String, via: OriginID?, previousUnit: String?) throws -> UInt64 {
            guard let pending else {
                preconditionFailure("the log is appended to only in a write transaction")
            }
            // The sequence is chosen here, as SQLite would (one past the largest), because a
            // sealed change is bound to it before the row exists.
            let sequence = try pending.nextSequence ?? lastSequence() + 1
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO log (sequence, origin, collection, record, unit, previous_unit, via, change)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let handle = statement.sqliteStatement
            sqlite3_bind_int64(handle, 1, Int64(sequence))
            Self.bind(handle, 2, uuid: change.dot.origin.uuid)
            Self.bind(handle, 3, text: change.collection)
            Self.bind(handle, 4, uuid: change.record.uuid)
            Self.bind(handle, 5, text: unit)
            if let previousUnit { Self.bind(handle, 6, text: previousUnit) } else { sqlite3_bind_null(handle, 6) }
            if let via { Self.bind(handle, 7, uuid: via.uuid) } else { sqlite3_bind_null(handle, 7) }
            Self.bind(handle, 8, blob: try sealed(change.encoded(), at: .log(sequence)))
            try run(handle)
            if via == change.dot.origin { try indexDot(change.dot, at: sequence, for: change.key) }
            pending.nextSequence = sequence + 1
            pending.appended[RecordKey(collection: change.collection, id: change.record), default: []].append(sequence)
            return sequence
        }

        private func entry(_ row: Row) throws -> (LogEntry, Int) {
            let sequence: Int64 = row["sequence"]
            let stored: Data = row["change"]
            let via: Data? = row["via"]
            let bytes = try opened(
                [UInt8](stored), at: .log(UInt64(sequence)), what: "log entry \(sequence)")
            do {
                let change = try Change(encoded: bytes)
                return (
                    LogEntry(
                        sequence: UInt64(sequence), change: change,
                        via: via.flatMap { $0.count == 16 ? OriginID(UUID128(bytes: $0)) : nil },
                        previousUnit: row["previous_unit"], unit: row["unit"]),
                    bytes.count
                )
            } catch {
                throw corrupt("log entry \(sequence)", error)
            }
        }

        func logPage(after sequence: UInt64, filter: LogFilter, maxEntries: Int, maxBytes: Int) throws -> LogPage {
            var conditions = ["sequence > ?"]
            var arguments: [any DatabaseValueConvertible] = [Int64(clamping: sequence)]
            if let excluded = filter.excludingVia {
                if let units = filter.units, !units.isEmpty {
                    // `LogFilter.movesIn`: the peer's own entry that brings a record into the units.
                    let list = units.sorted()
                    let marks = Array(repeating: "?", count: list.count).joined(separator: ", ")
                    conditions.append(
                        "(via IS NULL OR via != ? OR (previous_unit IS NOT NULL AND previous_unit NOT IN (\(marks)) "
                            + "AND unit IN (\(marks))))")
                    arguments += [Data(excluded.uuid.bytes)] + list + list
                } else {
                    conditions.append("(via IS NULL OR via != ?)")
                    arguments.append(Data(excluded.uuid.bytes))
                }
            }
            if let origin = filter.onlyOrigin {
                conditions.append("origin = ?")
                arguments.append(Data(origin.uuid.bytes))
            }
            if let units = filter.units {
                let list = units.sorted()
                let marks = Array(repeating: "?", count: list.count).joined(separator: ", ")
                conditions.append(list.isEmpty ? "0" : "(unit IN (\(marks)) OR previous_unit IN (\(marks)))")
                arguments += list + list
            }
            if let collections = filter.collections {
                let list = collections.sorted()
                let marks = Array(repeating: "?", count: list.count).joined(separator: ", ")
                conditions.append(list.isEmpty ? "0" : "collection IN (\(marks))")
                arguments += list
            }
            let cursor = try Row.fetchCursor(
                db,
                sql:
                    "SELECT sequence, change, via, previous_unit, unit FROM log WHERE \(conditions.joined(separator: " AND ")) ORDER BY sequence",
                arguments: StatementArguments(arguments))
            var entries: [LogEntry] = []
            var bytes = 0
            var full = false
            while let row = try cursor.next() {
                let (entry, size) = try self.entry(row)
                if entries.count >= max(1, maxEntries) || (!entries.isEmpty && bytes + size > maxBytes) {
                    full = true
                    break
                }
                entries.append(entry)
                bytes += size
            }
            if full {
                return LogPage(entries: entries, through: entries.last!.sequence, hasMore: true)
            }
            return LogPage(entries: entries, through: max(sequence, try lastSequence()), hasMore: false)
        }

        func history(of key: RecordKey, before sequence: UInt64) throws -> [LogEntry] {
            // What is stored with the record, then what this transaction appended for it (the
            // record row is rewritten only when the transaction ends).
            let bytes = try Data.fetchOne(
                db, sql: "SELECT history FROM records WHERE collection = ? AND id = ?",
                arguments: [key.collection, Data(key.id.uuid.bytes)])
            var sequences: [UInt64]
            do {
                sequences = try Self.decodeHistory(bytes.map { [UInt8]($0) } ?? [])
            } catch {
                throw corrupt("history of \(key)", error)
            }
            sequences += pending?.appended[key] ?? []
            let statement = try db.cachedStatement(
                sql: "SELECT sequence, change, via, previous_unit, unit FROM log WHERE sequence = ?")
            return try sequences.filter { $0 < sequence }.map { item in
                guard let row = try Row.fetchOne(statement, arguments: [Int64(item)]) else {
                    throw StoreError(
                        .corrupt, path: path, operation: "read history of \(key)",
                        detail: "log entry \(item) is missing")
                }
                return try entry(row).0
            }
        }

        func setting(_ name: String) throws -> String? {
            guard
                let stored = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT value FROM settings WHERE name = ?"), arguments: [name])
            else { return nil }
            if Self.clearSettings.contains(name) { return stored }
            return try openedText(stored, at: .setting(name), what: "setting \(name)")
        }

        func setSetting(_ name: String, _ value: String?) throws {
            if let value {
                let stored = Self.clearSettings.contains(name) ? value : try sealedText(value, at: .setting(name))
                try db.cachedStatement(
                    sql:
                        "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
                ).execute(arguments: [name, stored])
            } else {
                try db.cachedStatement(sql: "DELETE FROM settings WHERE name = ?").execute(arguments: [name])
            }
        }

        func lastSequence() throws -> UInt64 {
            UInt64(try Int64.fetchOne(db, sql: "SELECT max(sequence) FROM log") ?? 0)
        }

        func park(_ change: Change, via: OriginID?) throws {
            try db.cachedStatement(
                sql:
                    "INSERT OR IGNORE INTO parked (origin, counter, collection, record, change, via) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [
                Data(change.dot.origin.uuid.bytes), Int64(clamping: change.dot.counter), change.collection,
                Data(change.record.uuid.bytes),
                Data(try sealed(change.encoded(), at: .dot(change.dot, table: "parked", column: "change"))),
                via.map { Data($0.uuid.bytes) },
            ])
        }

        func parked(for key: RecordKey) throws -> [ParkedChange] {
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT change, via, origin, counter FROM parked WHERE collection = ? AND record = ?
                        ORDER BY origin, counter
                        """),
                arguments: [key.collection, Data(key.id.uuid.bytes)])
            return try rows.map { row in
                let stored: Data = row[0]
                let via: Data? = row[1]
                let dot = try storedDot(row, origin: 2, counter: 3)
                let data = try opened(
                    [UInt8](stored), at: .dot(dot, table: "parked", column: "change"), what: "parked change of \(key)")
                do {
                    return ParkedChange(change: try Change(encoded: data), via: Self.origin(via))
                } catch {
                    throw corrupt("parked change of \(key)", error)
                }
            }
        }

        /// The dot of a parked or set-aside row, from its clear key columns.
        private func storedDot(_ row: Row, origin: Int, counter: Int) throws -> Dot {
            let originBytes: Data = row[origin]
            let counterValue: Int64 = row[counter]
            guard originBytes.count == 16, counterValue > 0 else {
                throw StoreError(.corrupt, path: path, operation: "read a change's key", detail: "its dot is malformed")
            }
            return Dot(origin: OriginID(UUID128(bytes: originBytes)), counter: UInt64(counterValue))
        }

        static func origin(_ data: Data?) -> OriginID? {
            data.flatMap { $0.count == 16 ? OriginID(UUID128(bytes: $0)) : nil }
        }

        func unpark(_ dot: Dot) throws {
            try db.cachedStatement(sql: "DELETE FROM parked WHERE origin = ? AND counter = ?").execute(arguments: [
                Data(dot.origin.uuid.bytes), Int64(clamping: dot.counter),
            ])
        }

        func setAside(_ entry: SetAsideEntry) throws {
            let change = entry.change
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO set_aside (origin, counter, collection, record, change, via, code, detail, at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                Data(change.dot.origin.uuid.bytes), Int64(clamping: change.dot.counter), change.collection,
                Data(change.record.uuid.bytes),
                Data(try sealed(change.encoded(), at: .dot(change.dot, table: "set_aside", column: "change"))),
                entry.via.map { Data($0.uuid.bytes) }, entry.code,
                // The reason is sealed too: it never should hold a value, but it is free text.
                try sealedText(entry.detail, at: .dot(change.dot, table: "set_aside", column: "detail")),
                Int64(clamping: entry.atMillis),
            ])
        }

        private func setAsideEntry(_ row: Row) throws -> SetAsideEntry {
            let stored: Data = row["change"]
            let at: Int64 = row["at"]
            let dot = try storedDot(row, origin: 5, counter: 6)
            let data = try opened(
                [UInt8](stored), at: .dot(dot, table: "set_aside", column: "change"), what: "set-aside change \(dot)")
            let detail = try openedText(
                row["detail"], at: .dot(dot, table: "set_aside", column: "detail"),
                what: "reason of set-aside change \(dot)")
            do {
                return SetAsideEntry(
                    change: try Change(encoded: data), via: Self.origin(row["via"]), code: row["code"],
                    detail: detail, atMillis: UInt64(clamping: at))
            } catch {
                throw corrupt("set-aside change", error)
            }
        }

        func setAside(for key: RecordKey) throws -> [SetAsideEntry] {
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT change, via, code, detail, at, origin, counter FROM set_aside
                        WHERE collection = ? AND record = ? ORDER BY origin, counter
                        """),
                arguments: [key.collection, Data(key.id.uuid.bytes)]
            ).map(setAsideEntry)
        }

        func setAsideEntries(limit: Int) throws -> [SetAsideEntry] {
            try Row.fetchAll(
                db,
                sql:
                    "SELECT change, via, code, detail, at, origin, counter FROM set_aside ORDER BY at, origin, counter LIMIT ?",
                arguments: [max(0, limit)]
            ).map(setAsideEntry)
        }

        func removeSetAside(_ dot: Dot) throws {
            try db.cachedStatement(sql: "DELETE FROM set_aside WHERE origin = ? AND counter = ?").execute(arguments: [
                Data(dot.origin.uuid.bytes), Int64(clamping: dot.counter),
            ])
        }

        func setAsideCount() throws -> Int {
            try Int.fetchOne(db, sql: "SELECT count(*) FROM set_aside") ?? 0
        }

        func parkedCount() throws -> Int {
            try Int.fetchOne(db, sql: "SELECT count(*) FROM parked") ?? 0
        }

        // Direct bindings for the hot statements: GRDB's argument arrays box every value.
        static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        static func bind(_ handle: SQLiteStatement, _ index: Int32, text: String) {
            sqlite3_bind_text(handle, index, text, -1, transient)
        }

        static func bind(_ handle: SQLiteStatement, _ index: Int32, blob: [UInt8]) {
            blob.withUnsafeBytes { bytes in
                _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), transient)
            }
        }

        static func bind(_ handle: SQLiteStatement, _ index: Int32, uuid: UUID128) {
            var bytes = (uuid.high.bigEndian, uuid.low.bigEndian)
            withUnsafeBytes(of: &bytes) { raw in
                _ = sqlite3_bind_blob(handle, index, raw.baseAddress, 16, transient)
            }
        }

        static func blob(_ handle: SQLiteStatement, column: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let base = sqlite3_column_blob(handle, column) else { return [] }
            return [UInt8](UnsafeRawBufferPointer(start: base, count: count))
        }
    }
}

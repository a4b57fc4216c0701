import Foundation
import PostgresNIO
import SyncCore

extension PostgresStorage {
    /// One transaction's operations, as SQL statements on its connection.
    final class Access: StorageAccess {
        let session: PostgresSession
        let storage: PostgresStorage
        let writing: Bool
        /// The sequence the next log entry takes, once the first is appended.
        private var nextSequence: UInt64?

        init(session: PostgresSession, storage: PostgresStorage, writing: Bool) {
            self.session = session
            self.storage = storage
            self.writing = writing
        }

        /// Settings read before unlocking or written with plain SQL stay clear, as in SQLite:
        /// the role and the backup mark, neither secret nor personal.
        static let clearSettings: Set<String> = [ReplicaRole.setting, Replica.backupMarker]

        private var path: String { storage.address.description }

        private func sealed(_ plaintext: [UInt8], at place: SealedPlace) throws -> [UInt8] {
            guard let sealed = storage.atRest.seal(plaintext, at: place) else {
                throw storage.lockedError(operation: "write")
            }
            return sealed
        }

        private func opened(_ stored: [UInt8], at place: SealedPlace, what: @autoclosure () -> String) throws
            -> [UInt8]
        {
            switch storage.atRest.open(stored, at: place) {
            case .success(let bytes): return bytes
            case .failure(.locked): throw storage.lockedError(operation: "read \(what())")
            case .failure(.unopenable): throw storage.unopenable(what())
            }
        }

        private func corrupt(_ what: String, _ error: any Error) -> StoreError {
            StoreError(.corrupt, path: path, operation: "decode \(what)", detail: "\(error)")
        }

        private static func uuid(_ id: UUID128) -> PostgresBind { .bytes(id.bytes) }

        private func uuid(_ cell: PostgresCell, what: String) throws -> UUID128 {
            let bytes = try PostgresSession.bytes(cell)
            guard bytes.count == 16 else {
                throw StoreError(.corrupt, path: path, operation: "read \(what)", detail: "an id is not 16 bytes")
            }
            return UUID128(bytes: bytes)
        }

        private func origin(_ cell: PostgresCell) throws -> OriginID? {
            let bytes = try PostgresSession.bytes(cell)
            return bytes.count == 16 ? OriginID(UUID128(bytes: bytes)) : nil
        }

        func meta() throws -> ReplicaMeta? {
            guard
                let row = try session.query(
                    "SELECT origin, counter, clock_wall, clock_logical, unit, name FROM replica WHERE singleton = 1"
                ).first
            else { return nil }
            return ReplicaMeta(
                origin: OriginID(try uuid(row[0], what: "replica")),
                counter: UInt64(bitPattern: try row[1].decode(Int64.self)),
                clock: HybridClock(
                    last: Stamp(
                        wallMillis: UInt64(bitPattern: try row[2].decode(Int64.self)),
                        logical: UInt32(clamping: try row[3].decode(Int64.self)))),
                unit: try row[4].decode(String.self), name: try row[5].decode(String.self))
        }

        func setMeta(_ meta: ReplicaMeta) throws {
            try session.execute(
                """
                INSERT INTO replica (singleton, origin, counter, clock_wall, clock_logical, unit, name)
                VALUES (1, $1, $2, $3, $4, $5, $6)
                ON CONFLICT (singleton) DO UPDATE SET counter = excluded.counter, clock_wall = excluded.clock_wall,
                    clock_logical = excluded.clock_logical, unit = excluded.unit, name = excluded.name
                """,
                [
                    Self.uuid(meta.origin.uuid), .int(Int64(bitPattern: meta.counter)),
                    .int(Int64(bitPattern: meta.clock.last.wallMillis)), .int(Int64(meta.clock.last.logical)),
                    .text(meta.unit), .text(meta.name),
                ])
        }

        func record(_ key: RecordKey) throws -> RecordState? {
            guard
                let row = try session.query(
                    "SELECT state FROM records WHERE collection = $1 AND id = $2",
                    [.text(key.collection), Self.uuid(key.id.uuid)]
                ).first
            else { return nil }
            let bytes = try opened(try PostgresSession.bytes(row[0]), at: .record(key), what: "record \(key)")
            do {
                return try RecordState(encoded: bytes)
            } catch {
                throw corrupt("record \(key)", error)
            }
        }

        private func store(_ key: RecordKey, unit: String?, deleted: Bool, conflicted: Bool, state: [UInt8]) throws {
            try session.execute(
                """
                INSERT INTO records (collection, id, unit, deleted, conflicted, state) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (collection, id) DO UPDATE SET unit = excluded.unit, deleted = excluded.deleted,
                    conflicted = excluded.conflicted, state = excluded.state
                """,
                [
                    .text(key.collection), Self.uuid(key.id.uuid), .text(unit), .bool(deleted), .bool(conflicted),
                    .bytes(try sealed(state, at: .record(key))),
                ])
        }

        func putRecord(_ key: RecordKey, _ state: RecordState) throws {
            try store(
                key, unit: state.unit, deleted: state.isDeleted, conflicted: state.hasConflicts,
                state: state.encoded())
        }

        func putCreatedRecord(_ key: RecordKey, by change: Change) throws {
            try store(
                key, unit: change.set[ReservedField.unit]?.stringValue, deleted: false, conflicted: false,
                state: RecordState.encodedCreation(by: change))
        }

        /// Records in key order, fetched a page at a time (keyset pagination, in the
        /// transaction's one snapshot) so a province's records are never all in memory.
        func forEachRecord(collection: String?, _ body: (StoredRecord) throws -> Void) throws {
            var after: (String, [UInt8])?
            let page = 2_000
            while true {
                var conditions: [String] = []
                var binds: [PostgresBind] = []
                if let collection {
                    binds.append(.text(collection))
                    conditions.append("collection = $\(binds.count)")
                }
                if let after {
                    binds += [.text(after.0), .bytes(after.1)]
                    conditions.append("(collection, id) > ($\(binds.count - 1), $\(binds.count))")
                }
                let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
                let rows = try session.query(
                    "SELECT collection, id, unit, state FROM records \(clause) ORDER BY collection, id LIMIT \(page)",
                    binds)
                for row in rows {
                    let key = RecordKey(
                        collection: try row[0].decode(String.self), id: RecordID(try uuid(row[1], what: "records")))
                    try body(
                        StoredRecord(
                            key: key, unit: try row[2].decode(String?.self),
                            stateBytes: try opened(
                                try PostgresSession.bytes(row[3]), at: .record(key), what: "record \(key)")))
                    after = (key.collection, key.id.uuid.bytes)
                }
                if rows.count < page { return }
            }
        }

        /// The selected live records, filtered by the server: each unit's records in turn (a
        /// range of the index by unit, a page at a time by id, in the transaction's one
        /// snapshot), then the named ids none of those units owns (by primary key). Rows not
        /// selected never leave the server.
        func forEachRecordState(
            _ selection: RecordSelection, _ body: (RecordID, LentRecord) throws -> Void
        ) throws {
            let page = 2_000
            func emit(_ id: RecordID, _ cell: PostgresCell) throws {
                let key = RecordKey(collection: selection.collection, id: id)
                try opened(try PostgresSession.bytes(cell), at: .record(key), what: "record \(key)")
                    .withUnsafeBytes { try body(id, .state($0)) }
            }
            for unit in selection.units.sorted() {
                var after: [UInt8]?
                repeat {
                    var binds: [PostgresBind] = [.text(selection.collection), .text(unit)]
                    if let after { binds.append(.bytes(after)) }
                    let rows = try session.query(
                        "SELECT id, state FROM records WHERE collection = $1 AND unit = $2 AND NOT deleted"
                            + (after == nil ? "" : " AND id > $3") + " ORDER BY id LIMIT \(page)", binds)
                    for row in rows {
                        let id = RecordID(try uuid(row[0], what: "records"))
                        after = id.uuid.bytes
                        try emit(id, row[1])
                    }
                    if rows.count < page { break }
                } while true
            }
            let ids = selection.ids.sorted().map(\.uuid.bytes)
            for start in stride(from: 0, to: ids.count, by: page) {
                let rows = try session.query(
                    "SELECT id, unit, state FROM records WHERE collection = $1 AND id = ANY($2) AND NOT deleted",
                    [.text(selection.collection), .byteas(Array(ids[start..<min(start + page, ids.count)]))])
                for row in rows {
                    // A named id whose unit is selected was read with its unit's records.
                    if let unit = try row[1].decode(String?.self), selection.units.contains(unit) { continue }
                    try emit(RecordID(try uuid(row[0], what: "records")), row[2])
                }
            }
        }

        func recordCount() throws -> Int {
            Int(try session.query("SELECT count(*) FROM records").first?[0].decode(Int64.self) ?? 0)
        }

        func conflictedKeys() throws -> [RecordKey] {
            try session.query("SELECT collection, id FROM records WHERE conflicted ORDER BY collection, id").map {
                RecordKey(collection: try $0[0].decode(String.self), id: RecordID(try uuid($0[1], what: "records")))
            }
        }

        func appendLog(_ change: Change, unit: String, via: OriginID?, previousUnit: String?) throws -> UInt64 {
            precondition(writing, "the log is appended to only in a write transaction")
            // One past the largest, chosen under the writers' lock (`PostgresStorage`): sequences
            // follow commit order across every process on this database.
            let sequence = try nextSequence ?? lastSequence() + 1
            try session.execute(
                """
                INSERT INTO log (sequence, origin, collection, record, unit, previous_unit, via, change)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """,
                [
                    .int(Int64(sequence)), Self.uuid(change.dot.origin.uuid), .text(change.collection),
                    Self.uuid(change.record.uuid), .text(unit), .text(previousUnit), .bytes(via?.uuid.bytes),
                    .bytes(try sealed(change.encoded(), at: .log(sequence))),
                ])
            if via == change.dot.origin {
                // A dot logged again for another record names neither from then on (sequence 0:
                // no entry), as on SQLite (`SQLiteStorage.Access.indexDot`).
                try session.execute(
                    """
                    INSERT INTO log_dots (origin, counter, sequence) VALUES ($1, $2, $3)
                    ON CONFLICT (origin, counter) DO UPDATE SET sequence = 0
                    WHERE NOT EXISTS (
                        SELECT 1 FROM log WHERE log.sequence = log_dots.sequence AND log.collection = $4
                        AND log.record = $5)
                    """,
                    [
                        Self.uuid(change.dot.origin.uuid), .int(Int64(bitPattern: change.dot.counter)),
                        .int(Int64(sequence)), .text(change.collection), Self.uuid(change.record.uuid),
                    ])
            }
            nextSequence = sequence + 1
            return sequence
        }

        func recordKeys(for dots: [Dot]) throws -> [Dot: RecordKey] {
            // One query per origin (a push names only its sender's own dots: one).
            var found: [Dot: RecordKey] = [:]
            for (origin, counters) in Dictionary(grouping: Set(dots), by: \.origin) {
                let rows = try session.query(
                    """
                    SELECT log_dots.counter, log.collection, log.record FROM log_dots
                    JOIN log ON log.sequence = log_dots.sequence
                    WHERE log_dots.origin = $1 AND log_dots.counter = ANY($2)
                    """, [Self.uuid(origin.uuid), .ints(counters.map { Int64(bitPattern: $0.counter) })])
                for row in rows {
                    let id = try PostgresSession.bytes(row[2])
                    guard id.count == 16 else { continue }
                    let dot = Dot(origin: origin, counter: UInt64(bitPattern: try row[0].decode(Int64.self)))
                    found[dot] = RecordKey(collection: try row[1].decode(String.self), id: RecordID(UUID128(bytes: id)))
                }
            }
            return found
        }

        private static let entryColumns = "sequence, change, via, previous_unit, unit"

        private func entry(_ row: PostgresRandomAccessRow) throws -> (LogEntry, Int) {
            let sequence = UInt64(try row[0].decode(Int64.self))
            let bytes = try opened(
                try PostgresSession.bytes(row[1]), at: .log(sequence), what: "log entry \(sequence)")
            do {
                let change = try Change(encoded: bytes)
                return (
                    LogEntry(
                        sequence: sequence, change: change, via: try origin(row[2]),
                        previousUnit: try row[3].decode(String?.self), unit: try row[4].decode(String.self)),
                    bytes.count
                )
            } catch let error as FormatError {
                throw corrupt("log entry \(sequence)", error)
            }
        }

        func logPage(after sequence: UInt64, filter: LogFilter, maxEntries: Int, maxBytes: Int) throws -> LogPage {
            var binds: [PostgresBind] = [.int(Int64(clamping: sequence))]
            var conditions = ["sequence > $1"]
            func bind(_ value: PostgresBind) -> String {
                binds.append(value)
                return "$\(binds.count)"
            }
            if let excluded = filter.excludingVia {
                let via = bind(.bytes(excluded.uuid.bytes))
                if let units = filter.units, !units.isEmpty {
                    // `LogFilter.movesIn`: the peer's own entry that brings a record into the units.
                    let list = bind(.texts(units.sorted()))
                    conditions.append(
                        "(via IS NULL OR via <> \(via) OR (previous_unit IS NOT NULL "
                            + "AND NOT (previous_unit = ANY(\(list))) AND unit = ANY(\(list))))")
                } else {
                    conditions.append("(via IS NULL OR via <> \(via))")
                }
            }
            if let origin = filter.onlyOrigin { conditions.append("origin = \(bind(.bytes(origin.uuid.bytes)))") }
            if let units = filter.units {
                if units.isEmpty {
                    conditions.append("false")
                } else {
                    let list = bind(.texts(units.sorted()))
                    conditions.append("(unit = ANY(\(list)) OR previous_unit = ANY(\(list)))")
                }
            }
            if let collections = filter.collections {
                conditions.append(
                    collections.isEmpty ? "false" : "collection = ANY(\(bind(.texts(collections.sorted()))))")
            }
            let limit = max(1, maxEntries) < 100_000 ? " LIMIT \(max(1, maxEntries) + 1)" : ""
            let rows = try session.query(
                "SELECT \(Self.entryColumns) FROM log WHERE \(conditions.joined(separator: " AND ")) ORDER BY sequence"
                    + limit, binds)
            var entries: [LogEntry] = []
            var bytes = 0
            for row in rows {
                let (entry, size) = try self.entry(row)
                if entries.count >= max(1, maxEntries) || (!entries.isEmpty && bytes + size > maxBytes) {
                    return LogPage(entries: entries, through: entries.last!.sequence, hasMore: true)
                }
                entries.append(entry)
                bytes += size
            }
            // The same snapshot as the page (a read is REPEATABLE READ; a write holds the lock).
            return LogPage(entries: entries, through: max(sequence, try lastSequence()), hasMore: false)
        }

        func history(of key: RecordKey, before sequence: UInt64) throws -> [LogEntry] {
            try session.query(
                """
                SELECT \(Self.entryColumns) FROM log WHERE collection = $1 AND record = $2 AND sequence < $3
                ORDER BY sequence
                """,
                [.text(key.collection), Self.uuid(key.id.uuid), .int(Int64(clamping: sequence))]
            ).map { try entry($0).0 }
        }

        func lastSequence() throws -> UInt64 {
            UInt64(try session.query("SELECT max(sequence) FROM log").first?[0].decode(Int64?.self) ?? 0)
        }

        func setting(_ name: String) throws -> String? {
            guard
                let stored = try session.query("SELECT value FROM settings WHERE name = $1", [.text(name)]).first?[0]
                    .decode(String.self)
            else { return nil }
            if Self.clearSettings.contains(name) { return stored }
            return try storage.openText(stored, at: .setting(name), what: "setting \(name)")
        }

        func setSetting(_ name: String, _ value: String?) throws {
            guard let value else {
                try session.execute("DELETE FROM settings WHERE name = $1", [.text(name)])
                return
            }
            let stored = Self.clearSettings.contains(name) ? value : try storage.sealText(value, at: .setting(name))
            try session.execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [.text(name), .text(stored)])
        }

        func park(_ change: Change, via: OriginID?) throws {
            try session.execute(
                """
                INSERT INTO parked (origin, counter, collection, record, change, via) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT DO NOTHING
                """,
                [
                    Self.uuid(change.dot.origin.uuid), .int(Int64(clamping: change.dot.counter)),
                    .text(change.collection), Self.uuid(change.record.uuid),
                    .bytes(try sealed(change.encoded(), at: .dot(change.dot, table: "parked", column: "change"))),
                    .bytes(via?.uuid.bytes),
                ])
        }

        /// The dot of a parked or set-aside row, from its clear key columns.
        private func dot(_ row: PostgresRandomAccessRow, origin: Int, counter: Int) throws -> Dot {
            let value = try row[counter].decode(Int64.self)
            guard value > 0 else {
                throw StoreError(.corrupt, path: path, operation: "read a change's key", detail: "its dot is malformed")
            }
            return Dot(origin: OriginID(try uuid(row[origin], what: "a change's key")), counter: UInt64(value))
        }

        func parked(for key: RecordKey) throws -> [ParkedChange] {
            try session.query(
                "SELECT change, via, origin, counter FROM parked WHERE collection = $1 AND record = $2 ORDER BY origin, counter",
                [.text(key.collection), Self.uuid(key.id.uuid)]
            ).map { row in
                let dot = try dot(row, origin: 2, counter: 3)
                let bytes = try opened(
                    try PostgresSession.bytes(row[0]), at: .dot(dot, table: "parked", column: "change"),
                    what: "parked change of \(key)")
                do {
                    return ParkedChange(change: try Change(encoded: bytes), via: try origin(row[1]))
                } catch let error as FormatError {
                    throw corrupt("parked change of \(key)", error)
                }
            }
        }

        func unpark(_ dot: Dot) throws {
            try session.execute(
                "DELETE FROM parked WHERE origin = $1 AND counter = $2",
                [Self.uuid(dot.origin.uuid), .int(Int64(clamping: dot.counter))])
        }

        func parkedCount() throws -> Int {
            Int(try session.query("SELECT count(*) FROM parked").first?[0].decode(Int64.self) ?? 0)
        }

        func setAside(_ entry: SetAsideEntry) throws {
            let change = entry.change
            try session.execute(
                """
                INSERT INTO set_aside (origin, counter, collection, record, change, via, code, detail, at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING
                """,
                [
                    Self.uuid(change.dot.origin.uuid), .int(Int64(clamping: change.dot.counter)),
                    .text(change.collection), Self.uuid(change.record.uuid),
                    .bytes(try sealed(change.encoded(), at: .dot(change.dot, table: "set_aside", column: "change"))),
                    .bytes(entry.via?.uuid.bytes), .text(entry.code),
                    // The reason is sealed too: it never should hold a value, but it is free text.
                    .text(
                        try storage.sealText(
                            entry.detail, at: .dot(change.dot, table: "set_aside", column: "detail"))),
                    .int(Int64(clamping: entry.atMillis)),
                ])
        }

        private static let setAsideColumns = "change, via, code, detail, at, origin, counter"

        private func setAsideEntry(_ row: PostgresRandomAccessRow) throws -> SetAsideEntry {
            let dot = try dot(row, origin: 5, counter: 6)
            let bytes = try opened(
                try PostgresSession.bytes(row[0]), at: .dot(dot, table: "set_aside", column: "change"),
                what: "set-aside change \(dot)")
            let detail = try storage.openText(
                try row[3].decode(String.self), at: .dot(dot, table: "set_aside", column: "detail"),
                what: "reason of set-aside change \(dot)")
            do {
                return SetAsideEntry(
                    change: try Change(encoded: bytes), via: try origin(row[1]), code: try row[2].decode(String.self),
                    detail: detail, atMillis: UInt64(clamping: try row[4].decode(Int64.self)))
            } catch let error as FormatError {
                throw corrupt("set-aside change", error)
            }
        }

        func setAside(for key: RecordKey) throws -> [SetAsideEntry] {
            try session.query(
                """
                SELECT \(Self.setAsideColumns) FROM set_aside WHERE collection = $1 AND record = $2
                ORDER BY origin, counter
                """,
                [.text(key.collection), Self.uuid(key.id.uuid)]
            ).map(setAsideEntry)
        }

        func setAsideEntries(limit: Int) throws -> [SetAsideEntry] {
            try session.query(
                "SELECT \(Self.setAsideColumns) FROM set_aside ORDER BY at, origin, counter LIMIT $1",
                [.int(Int64(max(0, limit)))]
            ).map(setAsideEntry)
        }

        func removeSetAside(_ dot: Dot) throws {
            try session.execute(
                "DELETE FROM set_aside WHERE origin = $1 AND counter = $2",
                [Self.uuid(dot.origin.uuid), .int(Int64(clamping: dot.counter))])
        }

        func setAsideCount() throws -> Int {
            Int(try session.query("SELECT count(*) FROM set_aside").first?[0].decode(Int64.self) ?? 0)
        }
    }
}

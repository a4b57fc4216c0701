/// A local edit that cannot be made, with what to do instead. Names records, never values.
public struct EditError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        case notFound = "not_found"
        case deleted
        case unitRequired = "unit_required"
        case invalidField = "invalid_field"
        case noConflict = "no_conflict"
        /// Restored from a backup and not yet caught up (`Replica.catchingUpSetting`).
        case catchingUp = "catching_up"
    }

    public let kind: Kind
    public let record: RecordKey
    public let detail: String

    public init(kind: Kind, record: RecordKey, detail: String) {
        self.kind = kind
        self.record = record
        self.detail = detail
    }

    public var description: String { "\(record): \(detail)" }

    public var hint: String {
        switch kind {
        case .notFound: "Check the collection and id (`record list` shows them)."
        case .deleted: "Restore the record first (`record restore`), or resolve its delete conflict."
        case .unitRequired: "A new record needs the unit (commune code) that owns it: pass --unit."
        case .invalidField:
            "Names are 1 to 64 ASCII letters, digits or _ (e.g. school_status); @ names are the engine's."
        case .noConflict: "`conflicts` lists the open ones; an ordinary edit changes this field."
        case .catchingUp:
            "Sync once: this replica was restored from a backup and must first take back what the lost machine "
                + "had sent. Records can be added (and edited) meanwhile."
        }
    }
}

extension Replica {
    /// Makes a new record id (UUIDv7) from this replica's clock.
    public func newRecordID() -> RecordID {
        var generator = SystemRandomNumberGenerator()
        return RecordID(.version7(unixMillis: time.nowMillis(), using: &generator))
    }

    /// Writes fields of a record made here, creating it if it does not exist (then `unit` is
    /// required) or moving it to `unit` if given and different. Fields that already hold exactly
    /// the given value are left alone; returns nil when nothing changed. The change's context
    /// is the record's whole version, so every value in view, conflicting ones included, is
    /// replaced: an edit of a conflicting field resolves it.
    @discardableResult
    public func put(
        _ collection: String, id: RecordID, unit newUnit: String? = nil, set fields: [String: FieldValue]
    ) throws -> Change? {
        try transaction { editor in try editor.put(collection, id: id, unit: newUnit, set: fields) }
    }

    /// Deletes a record: a tombstone whose context is everything seen here.
    @discardableResult
    public func delete(_ collection: String, id: RecordID) throws -> Change? {
        let key = RecordKey(collection: collection, id: id)
        return try edit(key) { state in
            guard let state else { throw EditError(kind: .notFound, record: key, detail: "no such record") }
            if state.isDeleted && !state.hasConflicts { return ([:], state.unit ?? self.unit) }
            return ([ReservedField.deleted: .bool(true)], state.unit ?? self.unit)
        }
    }

    /// Restores a deleted record, keeping every value it held.
    @discardableResult
    public func restore(_ collection: String, id: RecordID) throws -> Change? {
        let key = RecordKey(collection: collection, id: id)
        return try edit(key) { state in
            guard let state else { throw EditError(kind: .notFound, record: key, detail: "no such record") }
            guard state.isDeleted || state.fields[ReservedField.deleted].map({ $0.count > 1 }) == true else {
                return ([:], state.unit ?? self.unit)
            }
            return ([ReservedField.deleted: .bool(false)], state.unit ?? self.unit)
        }
    }

    /// Resolves an open conflict of `field` by writing `value` with every held value in view.
    /// For a delete conflict (`@deleted`), `true` confirms the deletion and `false` restores.
    @discardableResult
    public func resolve(_ collection: String, id: RecordID, field: String, value: FieldValue) throws -> Change {
        let key = RecordKey(collection: collection, id: id)
        let change = try edit(key) { state in
            guard let state else { throw EditError(kind: .notFound, record: key, detail: "no such record") }
            guard state.conflicts.contains(where: { $0.field == field }) else {
                throw EditError(kind: .noConflict, record: key, detail: "field \"\(field)\" has no open conflict")
            }
            if field == ReservedField.deleted && value.boolValue == nil {
                throw EditError(kind: .invalidField, record: key, detail: "@deleted takes true or false")
            }
            if field == ReservedField.unit {
                guard let code = value.stringValue, !code.isEmpty else {
                    throw EditError(kind: .invalidField, record: key, detail: "@unit takes a unit code")
                }
                return ([field: value], code)
            }
            return ([field: value], state.unit ?? self.unit)
        }
        return change!
    }

    /// One local edit in its own transaction (see `RecordEditor.edit`).
    private func edit(
        _ key: RecordKey, decide: (RecordState?) throws -> (FieldMap<FieldValue>, String)
    ) throws -> Change? {
        try transaction { editor in try editor.edit(key, decide: decide) }
    }

    /// Runs `body` as one transaction of local edits: every edit it makes is applied and logged
    /// together, or none is (a case's step and its history entry, a child moved with its cases).
    public func transaction<T>(_ body: (inout RecordEditor) throws -> T) throws -> T {
        try storage.write { access in
            var editor = RecordEditor(replica: self, batch: try Batch(access: access, policy: policy))
            let result = try body(&editor)
            _ = try editor.batch.finish()
            return result
        }
    }
}

/// Local edits inside one `Replica.transaction`: reads see the transaction's own writes.
public struct RecordEditor {
    let replica: Replica
    var batch: Batch

    /// The record as this transaction sees it.
    public mutating func record(_ collection: String, id: RecordID) throws -> RecordState? {
        try batch.state(RecordKey(collection: collection, id: id))
    }

    /// Every record of a collection as this transaction sees it, in id order, deleted ones
    /// included.
    public mutating func records(in collection: String) throws -> [(RecordID, RecordState)] {
        var stored: [RecordID: RecordState] = [:]
        try batch.access.forEachRecord(collection: collection) { record in
            stored[record.key.id] = try RecordState(encoded: record.stateBytes)
        }
        for key in batch.records.keys where key.collection == collection {
            stored[key.id] = try batch.state(key)
        }
        return stored.keys.sorted().map { ($0, stored[$0]!) }
    }

    /// `Replica.put`, inside the transaction.
    @discardableResult
    public mutating func put(
        _ collection: String, id: RecordID, unit newUnit: String? = nil, set fields: [String: FieldValue]
    ) throws -> Change? {
        let key = RecordKey(collection: collection, id: id)
        guard ReservedField.isValidName(collection) else {
            throw EditError(
                kind: .invalidField, record: key, detail: "collection name \"\(collection)\" is not allowed")
        }
        for name in fields.keys where !ReservedField.isValidName(name) {
            throw EditError(kind: .invalidField, record: key, detail: "field name \"\(name)\" is not allowed")
        }
        let ownUnit = replica.unit
        return try edit(key) { state in
            var set = FieldMap(fields)
            if let state {
                guard !state.isDeleted else {
                    throw EditError(kind: .deleted, record: key, detail: "the record is deleted")
                }
                for (name, value) in fields where state.fields[name]?.count == 1 && state.value(name) == value {
                    set[name] = nil
                }
                if let newUnit, state.fields[ReservedField.unit]?.count != 1 || state.unit != newUnit {
                    set[ReservedField.unit] = .string(newUnit)
                }
                return (set, newUnit ?? state.unit ?? ownUnit)
            }
            guard let newUnit else {
                throw EditError(kind: .unitRequired, record: key, detail: "the record does not exist yet")
            }
            set[ReservedField.unit] = .string(newUnit)
            return (set, newUnit)
        }
    }

    /// `Replica.delete`, inside the transaction: a tombstone whose context is everything seen.
    @discardableResult
    public mutating func delete(_ collection: String, id: RecordID) throws -> Change? {
        let key = RecordKey(collection: collection, id: id)
        let ownUnit = replica.unit
        return try edit(key) { state in
            guard let state else { throw EditError(kind: .notFound, record: key, detail: "no such record") }
            if state.isDeleted && !state.hasConflicts { return ([:], state.unit ?? ownUnit) }
            return ([ReservedField.deleted: .bool(true)], state.unit ?? ownUnit)
        }
    }

    /// One local edit: reads the record, lets `decide` say which fields to set and the
    /// record's unit afterwards, stamps the change and applies it.
    mutating func edit(
        _ key: RecordKey, decide: (RecordState?) throws -> (FieldMap<FieldValue>, String)
    ) throws -> Change? {
        let access = batch.access
        let state = try batch.state(key)
        if let state, let mark = try access.setting(Replica.catchingUpSetting) {
            // Only what was added here since the restore is known in full.
            let restoredAt = UInt64(mark) ?? .max
            if !state.version.entries.allSatisfy({ $0.origin == replica.origin && $0.counter > restoredAt }) {
                throw EditError(
                    kind: .catchingUp, record: key,
                    detail: "this replica was restored from a backup and has not synced since")
            }
        }
        let (set, unit) = try decide(state)
        if set.isEmpty { return nil }
        batch.meta.counter += 1
        let change = Change(
            dot: Dot(origin: replica.origin, counter: batch.meta.counter),
            stamp: batch.meta.clock.tick(nowMillis: replica.time.nowMillis()),
            collection: key.collection, record: key.id, unit: unit,
            context: state?.version ?? VersionVector(), set: set)
        try change.validate()
        try batch.local(change)
        return change
    }
}

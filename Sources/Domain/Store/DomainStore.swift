public import Foundation
public import SyncCore

/// A record as a worker sees it: the values every replica shows, who owns it, and what is
/// waiting for a person.
public struct DomainRecord: Sendable {
    public let collection: String
    public let id: RecordID
    public let unit: String?
    public let values: [String: FieldValue]
    public let conflictedFields: [String]
    public let deleted: Bool

    public init(collection: String, id: RecordID, state: RecordState) {
        self.collection = collection
        self.id = id
        unit = state.unit
        var values: [String: FieldValue] = [:]
        for slot in state.fields where !ReservedField.isReserved(slot.name) {
            if let value = state.value(slot.name), value != .null { values[slot.name] = value }
        }
        self.values = values
        conflictedFields = state.conflicts.map(\.field)
        deleted = state.isDeleted
    }

    public func string(_ field: String) -> String? { values[field]?.stringValue }
}

/// The domain's operations on a replica: every write checked against the definition and made in
/// one transaction with whatever must change with it. Used by `tre-node`'s commands and the
/// worker's page; the engine under it stays generic.
public struct DomainStore: Sendable {
    public let replica: Replica
    public let validator: Validator
    public let calendar: WorkingCalendar
    public let rules: DeadlineRules
    public let now: @Sendable () -> Date

    public init(
        replica: Replica, definition: DomainDefinition = .current, calendar: WorkingCalendar = .standard,
        rules: DeadlineRules = .standard, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.replica = replica
        self.validator = Validator(definition)
        self.calendar = calendar
        self.rules = rules
        self.now = now
    }

    public var definition: DomainDefinition { validator.definition }
    public var today: LocalDate { LocalDate.today(at: now()) }

    // MARK: Reading

    public func record(_ collection: String, id: RecordID) throws -> DomainRecord? {
        try replica.record(collection, id: id).map { DomainRecord(collection: collection, id: id, state: $0) }
    }

    /// Every live record of a collection (deleted ones left out).
    public func records(_ collection: String) throws -> [DomainRecord] {
        try replica.records(in: collection).compactMap { id, state in
            state.isDeleted ? nil : DomainRecord(collection: collection, id: id, state: state)
        }
    }

    /// Every live record of a collection as a transaction sees it.
    func records(_ collection: String, in editor: inout RecordEditor) throws -> [DomainRecord] {
        try editor.records(in: collection).compactMap { id, state in
            state.isDeleted ? nil : DomainRecord(collection: collection, id: id, state: state)
        }
    }

    /// True when this replica may change the record: a node works on its own commune's records;
    /// a record that moved elsewhere stays here as a read-only trace.
    public func isOwn(_ record: DomainRecord) -> Bool {
        record.unit == replica.unit
    }

    // MARK: Writing

    /// Creates a record of `collection` in this replica's unit (or `unit`), checked against the
    /// definition. Returns its id.
    @discardableResult
    public func create(_ collection: String, fields: [String: FieldValue], unit: String? = nil) throws -> RecordID {
        try replica.transaction { editor in
            try create(collection, fields: fields, unit: unit, in: &editor)
        }
    }

    /// Changes fields of a record, checked against the definition and the record as it is.
    /// Returns false when nothing changed.
    @discardableResult
    public func update(_ collection: String, id: RecordID, fields: [String: FieldValue]) throws -> Bool {
        try replica.transaction { editor in
            try update(collection, id: id, fields: fields, in: &editor)
        }
    }

    func create(
        _ collection: String, fields: [String: FieldValue], unit: String? = nil, in editor: inout RecordEditor
    ) throws -> RecordID {
        let set = try validator.checkLocalWrite(collection: collection, existing: nil, set: fields, today: today)
        let id = replica.newRecordID()
        try editor.put(collection, id: id, unit: unit ?? replica.unit, set: set)
        return id
    }

    func update(_ collection: String, id: RecordID, fields: [String: FieldValue], in editor: inout RecordEditor)
        throws -> Bool
    {
        guard let state = try editor.record(collection, id: id), !state.isDeleted else {
            throw DomainRefusal.notFound(collection, id: id)
        }
        let current = DomainRecord(collection: collection, id: id, state: state)
        try refuseTrace(current)
        let set = try validator.checkLocalWrite(
            collection: collection, existing: current.values, set: fields, today: today)
        return try editor.put(collection, id: id, set: set) != nil
    }

    /// A record that moved to another unit is kept here read-only.
    func refuseTrace(_ record: DomainRecord) throws {
        guard !isOwn(record) else { return }
        let unit = record.unit ?? "?"
        throw DomainRefusal(
            code: "read_only", field: record.collection,
            label: definition.collection(record.collection)?.label
                ?? Localized(vi: record.collection, en: record.collection),
            problem: Localized(
                vi: "hồ sơ này đã chuyển sang đơn vị \(unit); ở đây chỉ còn bản lưu để tra cứu",
                en: "this record moved to unit \(unit); this office keeps a read-only trace"),
            accepted: Localized(
                vi: "Liên hệ đơn vị \(unit) để cập nhật hồ sơ.", en: "Ask unit \(unit) to update the record."))
    }

    // MARK: Moving a child

    /// Moves a child, with their open cases and everything filed under those cases, to another
    /// commune, in one transaction. Closed cases stay with this office's history. The new
    /// commune's node receives them at its next sync; this office keeps a read-only trace and
    /// no longer gets their deadlines.
    @discardableResult
    public func moveChild(_ id: RecordID, to unit: String) throws -> Int {
        guard Validator.isUnitCode(unit) else {
            throw DomainRefusal(
                code: "bad_value", field: "unit", label: Localized(vi: "Đơn vị chuyển đến", en: "Destination unit"),
                problem: Localized(vi: "\"\(unit)\" không phải mã đơn vị", en: "\"\(unit)\" is not a unit code"),
                accepted: Validator.accepted(.unitCode))
        }
        return try replica.transaction { editor in
            guard let state = try editor.record("children", id: id), !state.isDeleted else {
                throw DomainRefusal.notFound("children", id: id)
            }
            let child = DomainRecord(collection: "children", id: id, state: state)
            try refuseTrace(child)
            // Without the country's unit list on the node, at least the shape: a commune's code
            // is moved to another of the same shape (five digits for 5-digit codes); the hub
            // judges the rest.
            let shape: (String) -> [Bool] = { $0.unicodeScalars.map { ("0"..."9").contains($0) } }
            if shape(unit) != shape(replica.unit) {
                throw DomainRefusal(
                    code: "bad_value", field: "unit", label: Localized(vi: "Đơn vị chuyển đến", en: "Destination unit"),
                    problem: Localized(
                        vi: "\"\(unit)\" không giống mã xã (như \(replica.unit))",
                        en: "\"\(unit)\" does not look like a commune code (like \(replica.unit))"),
                    accepted: Localized(
                        vi: "Nhập mã xã nơi trẻ chuyển đến, theo danh mục đơn vị hành chính.",
                        en: "Give the new commune's official code."))
            }
            if unit == replica.unit {
                throw DomainRefusal(
                    code: "bad_value", field: "unit", label: Localized(vi: "Đơn vị chuyển đến", en: "Destination unit"),
                    problem: Localized(vi: "trẻ đã thuộc đơn vị này", en: "the child already belongs here"),
                    accepted: Localized(vi: "Nhập mã xã nơi trẻ chuyển đến.", en: "Give the new commune's code."))
            }
            var moved = 0
            if try editor.put("children", id: id, unit: unit, set: [:]) != nil { moved += 1 }
            let openCases = try records("cases", in: &editor).filter {
                $0.string("child_id") == id.description && isOwn($0)
                    && (CaseState(rawValue: $0.string("status") ?? "")?.isOpen ?? true)
            }
            let caseIDs = Set(openCases.map { $0.id.description })
            for record in openCases where try editor.put("cases", id: record.id, unit: unit, set: [:]) != nil {
                moved += 1
            }
            for collection in ["case_events", "assessments", "plans", "referrals", "visits"] {
                for record in try records(collection, in: &editor)
                where caseIDs.contains(record.string("case_id") ?? "") {
                    if isOwn(record), try editor.put(collection, id: record.id, unit: unit, set: [:]) != nil {
                        moved += 1
                    }
                }
            }
            for record in try records("intakes", in: &editor) where isOwn(record) {
                let forCase = caseIDs.contains(record.string("case_id") ?? "")
                let forChildOnly = record.string("child_id") == id.description && record.string("case_id") == nil
                if forCase || forChildOnly, try editor.put("intakes", id: record.id, unit: unit, set: [:]) != nil {
                    moved += 1
                }
            }
            return moved
        }
    }
}

extension DomainRefusal {
    static func notFound(_ collection: String, id: RecordID) -> DomainRefusal {
        let label = DomainDefinition.current.collection(collection)?.label ?? Localized(vi: collection, en: collection)
        return DomainRefusal(
            code: "not_found", field: collection, label: label,
            problem: Localized(vi: "không tìm thấy hồ sơ \(id)", en: "no record \(id)"),
            accepted: Localized(
                vi: "Kiểm tra lại mã (lệnh list hoặc find cho biết mã).",
                en: "Check the id (the list and find commands show ids)."))
    }
}

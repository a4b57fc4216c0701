import Foundation
public import SyncCore

/// The domain as data: which collections a replica holds, their fields, each field's type,
/// enumeration and labels, and which fields are personal. Node and hub read the same
/// definition; the engine stays generic and never looks at it.
///
/// Definitions are versioned and only grow: a new version may add collections, fields and
/// enumeration values, never change a field's type or remove anything, so a replica running an
/// older version can still check the fields it knows and keep, unchecked, the ones it does not
/// (they came from a newer replica and travel on untouched).
public struct DomainDefinition: Sendable {
    public let version: Int
    public let collections: [CollectionDefinition]
    private let index: [String: Int]
    /// The collections as the check of a peer's change reads them (`Validator.checkIncoming`).
    let incoming: IncomingIndex

    public init(version: Int, collections: [CollectionDefinition]) {
        self.version = version
        self.collections = collections
        self.incoming = IncomingIndex(collections)
        var index: [String: Int] = [:]
        for (position, collection) in collections.enumerated() {
            precondition(index[collection.name] == nil, "collection \(collection.name) defined twice")
            index[collection.name] = position
        }
        self.index = index
    }

    public func collection(_ name: String) -> CollectionDefinition? {
        index[name].map { collections[$0] }
    }

    /// Every field marked personal, by collection: what a redacting upstream policy removes and
    /// what logs must never print.
    public var personalFields: [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for collection in collections {
            result[collection.name] = Set(collection.fields.filter(\.personal).map(\.name))
        }
        return result
    }
}

/// One collection: its records' fields and the rules that tie fields together.
public struct CollectionDefinition: Sendable {
    public let name: String
    public let label: Localized
    public let fields: [FieldDefinition]
    /// Rules across fields (a reporter's identity only with consent, a child under 16), run on
    /// the record as it would be after a write.
    public let rules: [RecordRule]
    private let index: [String: Int]

    public init(name: String, label: Localized, fields: [FieldDefinition], rules: [RecordRule] = []) {
        self.name = name
        self.label = label
        self.fields = fields
        self.rules = rules
        var index: [String: Int] = [:]
        for (position, field) in fields.enumerated() {
            precondition(index[field.name] == nil, "field \(name).\(field.name) defined twice")
            index[field.name] = position
        }
        self.index = index
    }

    public func field(_ name: String) -> FieldDefinition? {
        index[name].map { fields[$0] }
    }
}

/// A rule across a record's fields. `check` sees the record's values after the write (absent
/// fields are missing from the map) and the moment of the write.
public struct RecordRule: Sendable {
    public let name: String
    public let check: @Sendable (_ fields: [String: FieldValue], _ context: RuleContext) throws(DomainRefusal) -> Void

    public init(
        name: String,
        check:
            @escaping @Sendable (_ fields: [String: FieldValue], _ context: RuleContext) throws(DomainRefusal) -> Void
    ) {
        self.name = name
        self.check = check
    }
}

/// What a rule may need beyond the record: today's local date, for ages, and which fields the
/// write sets (a rule about a value that time alone can break — a child's age — is checked when
/// that value is written, not on every later edit of the record).
public struct RuleContext: Sendable {
    public let today: LocalDate
    public let definition: DomainDefinition
    public let changed: Set<String>

    public init(today: LocalDate, definition: DomainDefinition, changed: Set<String> = []) {
        self.today = today
        self.definition = definition
        self.changed = changed
    }
}

/// One field of a collection.
public struct FieldDefinition: Sendable {
    public let name: String
    public let label: Localized
    public let type: FieldType
    /// A record cannot be created without it, and it cannot be cleared.
    public let required: Bool
    /// Personal data (Nghị định 13/2023, Luật Trẻ em 2016 Điều 6): protected at rest, removed by
    /// the redacting upstream policy, never printed in a log.
    public let personal: Bool
    /// The definition version that added the field.
    public let since: Int

    public init(
        _ name: String, _ label: Localized, _ type: FieldType, required: Bool = false, personal: Bool = false,
        since: Int = 1
    ) {
        self.name = name
        self.label = label
        self.type = type
        self.required = required
        self.personal = personal
        self.since = since
    }
}

/// What a field holds. Every type is a JSON value on the wire (`FieldValue`), so the engine
/// relays fields it does not know.
public indirect enum FieldType: Sendable {
    /// One line of text, at most `maxLength` characters (after NFC).
    case text(maxLength: Int)
    /// Free text over several lines: narratives, notes.
    case longText(maxLength: Int)
    /// A calendar date, `YYYY-MM-DD`.
    case date
    /// A moment, RFC 3339 in UTC (`2026-12-02T02:30:00Z`).
    case instant
    case bool
    case integer(ClosedRange<Int64>)
    /// One code of an enumeration.
    case choice(Enumeration)
    /// Several distinct codes of an enumeration (a JSON array).
    case choices(Enumeration)
    /// A Vietnamese phone number: 10 digits starting with 0.
    case phone
    /// A citizen identity number (căn cước): 12 digits.
    case nationalID
    /// The id of a record of `collection` (a UUID).
    case reference(String)
    /// An administrative unit code.
    case unitCode
    /// A JSON object with these fields (unknown keys are refused, like unknown fields).
    case object([FieldDefinition])
    /// A JSON array of objects with these fields.
    case list([FieldDefinition], maxCount: Int)
}

/// A closed list of codes with their labels: what is stored is the code, what a person reads is
/// the label.
public struct Enumeration: Sendable {
    public struct Value: Sendable {
        public let code: String
        public let label: Localized
        /// Other spellings accepted on input (`đ` for the code `dd`), mapped to `code`.
        public let aliases: [String]

        public init(_ code: String, _ label: Localized, aliases: [String] = []) {
            self.code = code
            self.label = label
            self.aliases = aliases
        }
    }

    public let name: String
    public let values: [Value]

    public init(_ name: String, _ values: [Value]) {
        self.name = name
        self.values = values
    }

    public func value(_ code: String) -> Value? {
        values.first { $0.code == code }
    }

    /// The code a person typed, by code or alias, in any case.
    public func code(forInput text: String) -> String? {
        let wanted = text.precomposedStringWithCanonicalMapping.lowercased()
        for value in values where value.code.lowercased() == wanted || value.aliases.contains(wanted) {
            return value.code
        }
        return nil
    }

    public func label(_ code: String, _ language: Language) -> String {
        value(code)?.label.text(language) ?? code
    }

    /// "a (mồ côi…), b (bị bỏ rơi), …" for a refusal's list of what is accepted.
    public func accepted(_ language: Language) -> String {
        values.map { "\($0.code) (\($0.label.text(language)))" }.joined(separator: ", ")
    }
}

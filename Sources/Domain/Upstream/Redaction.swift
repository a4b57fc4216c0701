public import SyncCore

/// What the `redacted` upstream policy sends in place of a change: the same change (dot,
/// stamp, context, record, unit) with the value of every personal field replaced by null.
/// Nothing is left out: a change sets at least one field, and its dot must reach the hub above,
/// or every later change whose context names it would wait there, parked, for ever.
///
/// Removed, judged by this hub's definition (`personal` in `Definition/`):
/// - a field marked personal, whole — a list such as `caregivers` is removed as a whole;
/// - a field this definition does not know (a newer commune's): it may be personal, and only its
///   own definition could say; the safe default is to remove it;
/// - a field that is not personal but holds personal items (an object or list with a personal
///   item), or holds an item this definition does not know: the whole field;
/// - every field of a collection this definition does not know.
///
/// `@unit` and `@deleted`, the engine's, are kept: they route, authorise and delete.
public enum Redaction {
    /// `change` with every value `removes` says is personal replaced by null.
    public static func redact(_ change: Change, definition: DomainDefinition = .current) -> Change {
        let collection = definition.collection(change.collection)
        var redacted = change
        for slot in change.set.elements where !ReservedField.isReserved(slot.name) && slot.value != .null {
            let kept = collection?.field(slot.name).map { !removes($0) && !holdsUnknownItems(slot.value, as: $0.type) }
            if kept != true { redacted.set[slot.name] = .null }
        }
        return redacted
    }

    /// Whether the redacting policy removes `field` whatever its value: it is personal or holds a
    /// personal item. The hub above accepts null for such a field from a lower hub, even when
    /// the field is required (`Validator.checkIncoming`).
    public static func removes(_ field: FieldDefinition) -> Bool {
        field.personal || holdsPersonal(field.type)
    }

    static func holdsPersonal(_ type: FieldType) -> Bool {
        switch type {
        case .object(let fields), .list(let fields, _):
            fields.contains { $0.personal || holdsPersonal($0.type) }
        default:
            false
        }
    }

    /// Whether `value`, of a field of `type`, holds an object item that `type` does not define
    /// (a newer definition's): it may be personal.
    static func holdsUnknownItems(_ value: FieldValue, as type: FieldType) -> Bool {
        switch (type, value) {
        case (.object(let fields), .object(let object)):
            return unknownItems(object, fields: fields)
        case (.list(let fields, _), .array(let items)):
            return items.contains { item in
                guard case .object(let object) = item else { return false }
                return unknownItems(object, fields: fields)
            }
        default:
            return false
        }
    }

    private static func unknownItems(_ object: [String: FieldValue], fields: [FieldDefinition]) -> Bool {
        object.contains { key, value in
            guard let field = fields.first(where: { $0.name == key }) else { return true }
            return holdsUnknownItems(value, as: field.type)
        }
    }
}

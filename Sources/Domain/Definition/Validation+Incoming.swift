public import SyncCore

// MARK: Changes from peers

extension Validator {
    /// Checks a change that arrived from a peer declaring `peerVersion` of the definition.
    /// Returns what is wrong (in English, for the set-aside list; never a value), or nil.
    /// `personalMayBeNull`: the peer is a lower hub, which may relay under the `redacted` policy,
    /// so null is accepted for every field that policy removes (`Redaction.removes`), required
    /// ones too; from a node, a required field is never cleared.
    public func checkIncoming(
        collection name: String, set: FieldMap<FieldValue>, peerVersion: Int, personalMayBeNull: Bool = false
    ) -> String? {
        let newer = peerVersion > definition.version
        guard let collection = definition.incoming.collection(name) else {
            return newer ? nil : "unknown collection \"\(name)\""
        }
        // The slots by position: FieldMap's own iterator is not specialised across modules. A
        // change's fields come sorted by name, as the collection's are here, so each is looked
        // up after the last.
        let slots = set.elements
        var next = 0
        for index in slots.indices where !ReservedField.isReserved(slots[index].name) {
            guard let position = collection.position(of: slots[index].name, from: next) else {
                if newer { continue }
                return "unknown field \(name).\(slots[index].name)"
            }
            next = position + 1
            if case .null = slots[index].value {
                let field = collection.fields[position]
                if field.required && !(personalMayBeNull && field.clearedByRedaction) {
                    return "\(name).\(slots[index].name) is required and cannot be cleared"
                }
                continue
            }
            if let problem = Self.canonicalProblem(
                slots[index].value, as: collection.fields[position].type, lenientCodes: newer)
            {
                return "\(name).\(slots[index].name): \(problem)"
            }
        }
        return nil
    }

    /// Why `value` is not what a node of this definition writes for a field of `type`, or nil.
    /// With `lenientCodes`, an enumeration code this definition does not know passes (a newer one
    /// may have added it).
    static func canonicalProblem(_ value: FieldValue, as type: FieldType, lenientCodes: Bool) -> String? {
        switch type {
        case .text(let max):
            return textProblem(value, max: max, multiline: false)
        case .longText(let max):
            return textProblem(value, max: max, multiline: true)
        case .date:
            guard case .string(let text) = value, isCanonicalDate(text) else { return "not a date YYYY-MM-DD" }
            return nil
        case .instant:
            guard case .string(let text) = value, isCanonicalInstant(text) else {
                return "not an instant YYYY-MM-DDTHH:MM:SSZ"
            }
            return nil
        case .bool:
            return value.boolValue == nil ? "not true or false" : nil
        case .integer(let range):
            guard case .int(let number) = value, range.contains(number) else {
                return "not a whole number in \(range.lowerBound)...\(range.upperBound)"
            }
            return nil
        case .choice(let enumeration):
            guard case .string(let code) = value else { return "not a code of \(enumeration.name)" }
            if !enumeration.hasCode(code) && !(lenientCodes && isCode(code)) {
                return "not a code of \(enumeration.name)"
            }
            return nil
        case .choices(let enumeration):
            guard case .array(let items) = value, !items.isEmpty else { return "not a list of \(enumeration.name)" }
            var seen = Set<String>()
            for item in items {
                guard case .string(let code) = item, seen.insert(code).inserted,
                    enumeration.hasCode(code) || (lenientCodes && isCode(code))
                else { return "not a list of distinct codes of \(enumeration.name)" }
            }
            return nil
        case .phone:
            guard case .string(let text) = value, isPhone(text) else { return "not a 10-digit phone starting with 0" }
            return nil
        case .nationalID:
            guard case .string(let text) = value, isDigits(text, count: 12) else { return "not a 12-digit number" }
            return nil
        case .reference:
            guard case .string(let text) = value, let id = RecordID(string: text), id.description == text else {
                return "not a record id"
            }
            return nil
        case .unitCode:
            guard case .string(let text) = value, isUnitCode(text) else { return "not a unit code" }
            return nil
        case .object(let fields):
            guard case .object(let object) = value else { return "not an object" }
            return objectProblem(object, fields: fields, lenientCodes: lenientCodes)
        case .list(let fields, let maxCount):
            guard case .array(let items) = value, items.count <= maxCount else {
                return "not a list of at most \(maxCount) entries"
            }
            for item in items {
                guard case .object(let object) = item else { return "an entry is not an object" }
                if let problem = objectProblem(object, fields: fields, lenientCodes: lenientCodes) { return problem }
            }
            return nil
        }
    }

    private static func objectProblem(_ object: [String: FieldValue], fields: [FieldDefinition], lenientCodes: Bool)
        -> String?
    {
        for (key, value) in object {
            guard let position = fields.firstIndex(where: { $0.name == key }) else {
                if lenientCodes { continue }
                // A key is part of the value: named only when it is a name, never free text.
                return ReservedField.isValidName(key) ? "unknown item \"\(key)\"" : "an unknown item"
            }
            if let problem = canonicalProblem(value, as: fields[position].type, lenientCodes: lenientCodes) {
                return "\(key): \(problem)"
            }
        }
        for position in fields.indices where fields[position].required && object[fields[position].name] == nil {
            return "item \"\(fields[position].name)\" is required"
        }
        return nil
    }

    private static func isCode(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { $0 >= 0x21 && $0 < 0x7f }
    }

    /// A hub checks every text of every change it is pushed: one pass over the text for control
    /// characters (general category Cc is exactly U+0000–U+001F, U+007F–U+009F) and for scalars
    /// that may not be NFC as they are; the full NFC test only after it, and the grapheme count
    /// only when there are more bytes than the field has characters (a character is at least one).
    private static func textProblem(_ value: FieldValue, max: Int, multiline: Bool) -> String? {
        guard case .string(let text) = value else { return "not text" }
        let bytes: TextScan?? = text.utf8.withContiguousStorageIfAvailable { scanText($0, multiline: multiline) }
        let scan = bytes.flatMap { $0 } ?? scanScalars(text, multiline: multiline)
        switch scan {
        case .control: return "control character in text"
        case .mayNotBeNFC: if !isNFC(text) { return "text not in Unicode NFC" }
        case .composedAsItIs: break
        }
        if text.utf8.count > max && text.count > max { return "text over \(max) characters" }
        return nil
    }

    private enum TextScan { case composedAsItIs, mayNotBeNFC, control }

    /// The scan over the UTF-8 bytes: ASCII (most of a text, Vietnamese included) is NFC as it
    /// is and a control character only below 0x20 or at 0x7F; a longer sequence is decoded to
    /// its scalar. A String's bytes are valid UTF-8; a sequence cut short is read as scalars.
    private static func scanText(_ bytes: UnsafeBufferPointer<UInt8>, multiline: Bool) -> TextScan? {
        var composedAsItIs = true
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                if lead < 0x20 || lead == 0x7F {
                    if multiline && (lead == 0x0A || lead == 0x09 || lead == 0x0D) {
                        index += 1
                        continue
                    }
                    return .control
                }
                index += 1
                continue
            }
            let width = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            guard index + width <= count else { return nil }
            var code = UInt32(lead & (0x7F >> width))
            for offset in 1..<width { code = code << 6 | UInt32(bytes[index + offset] & 0x3F) }
            index += width
            if code <= 0x9F { return .control }  // U+0080–U+009F: every scalar below is ASCII
            if composedAsItIs && !isNFCAsItIs(code) { composedAsItIs = false }
        }
        return composedAsItIs ? .composedAsItIs : .mayNotBeNFC
    }

    /// The same scan over the Unicode scalars, for a text without contiguous UTF-8.
    private static func scanScalars(_ text: String, multiline: Bool) -> TextScan {
        var composedAsItIs = true
        for scalar in text.unicodeScalars {
            let code = scalar.value
            if code < 0x20 || (0x7F...0x9F).contains(code) {
                if multiline && (code == 0x0A || code == 0x09 || code == 0x0D) { continue }
                return .control
            }
            if composedAsItIs && !isNFCAsItIs(code) { composedAsItIs = false }
        }
        return composedAsItIs ? .composedAsItIs : .mayNotBeNFC
    }
}

extension Enumeration {
    /// Whether `code` is one of the codes, read without copying the value out.
    func hasCode(_ code: String) -> Bool { values.contains { $0.code == code } }
}

/// The definition as the check of a peer's change reads it, built once with the definition: the
/// collections and each one's fields sorted by name — the order of a change's `FieldMap` — with
/// what the check needs of a field. A hub checks every change it is pushed: finding a name here
/// is a few comparisons of short names where a dictionary hashes it, and a field's entry holds
/// only its type and two flags where a copied `FieldDefinition` retains its strings, label and
/// type.
struct IncomingIndex: Sendable {
    let names: [String]
    let collections: [IncomingCollection]

    init(_ collections: [CollectionDefinition]) {
        let sorted = collections.sorted { $0.name < $1.name }
        names = sorted.map(\.name)
        self.collections = sorted.map(IncomingCollection.init)
    }

    func collection(_ name: String) -> IncomingCollection? {
        Self.position(of: name, in: names, from: 0).map { collections[$0] }
    }

    /// The position of `name` in `names` (sorted by `<`, distinct), looked for from `start` on
    /// first, then before it: found exactly when a dictionary of the names would find it.
    static func position(of name: String, in names: [String], from start: Int) -> Int? {
        if let found = search(name, in: names, start, names.count) { return found }
        return start > 0 ? search(name, in: names, 0, min(start, names.count)) : nil
    }

    private static func search(_ name: String, in names: [String], _ low: Int, _ high: Int) -> Int? {
        var low = low
        var high = high
        while low < high {
            let middle = (low + high) / 2
            if names[middle] == name { return middle }
            if names[middle] < name { low = middle + 1 } else { high = middle }
        }
        return nil
    }
}

/// One collection of `IncomingIndex`: its field names sorted, and beside each what the check
/// needs of the field.
final class IncomingCollection: Sendable {
    let names: [String]
    let fields: [IncomingField]
    /// The names' bytes end to end, and where each one ends, when every name is ASCII (the
    /// definition's are): an ASCII name equals another exactly when their bytes do, and sorts as
    /// its bytes do, so a change's ASCII name is found by comparing bytes, with no call into the
    /// string comparison (which checks normalisation first).
    let packed: [UInt8]?
    let ends: [Int]

    init(_ collection: CollectionDefinition) {
        let sorted = collection.fields.sorted { $0.name < $1.name }
        names = sorted.map(\.name)
        fields = sorted.map {
            IncomingField(type: $0.type, required: $0.required, clearedByRedaction: Redaction.removes($0))
        }
        let bytes = names.flatMap(\.utf8)
        packed = bytes.allSatisfy { $0 < 0x80 } ? bytes : nil
        ends = names.reduce(into: []) { $0.append(($0.last ?? 0) + $1.utf8.count) }
    }

    /// The position of the field named `name`, looked for from `start` on first, then before it.
    func position(of name: String, from start: Int) -> Int? {
        // -1: an ASCII name that is not here; nil: a name to look for as a string.
        let byBytes: Int?? = packed.flatMap { packed in
            name.utf8.withContiguousStorageIfAvailable { bytes in
                Self.isASCII(bytes) ? packed.withUnsafeBufferPointer { position(of: bytes, in: $0, from: start) } : nil
            }
        }
        if let found = byBytes.flatMap({ $0 }) { return found >= 0 ? found : nil }
        return IncomingIndex.position(of: name, in: names, from: start)
    }

    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }

    private func position(of name: UnsafeBufferPointer<UInt8>, in packed: UnsafeBufferPointer<UInt8>, from start: Int)
        -> Int
    {
        if let found = search(name, packed, start, ends.count) { return found }
        return start > 0 ? search(name, packed, 0, min(start, ends.count)) ?? -1 : -1
    }

    private func search(
        _ name: UnsafeBufferPointer<UInt8>, _ packed: UnsafeBufferPointer<UInt8>, _ low: Int, _ high: Int
    )
        -> Int?
    {
        var low = low
        var high = high
        while low < high {
            let middle = (low + high) / 2
            let from = middle == 0 ? 0 : ends[middle - 1]
            let order = Self.compare(name, packed, from, ends[middle])
            if order == 0 { return middle }
            if order > 0 { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// How `name` sorts against `packed[from..<to]`: below 0 before it, 0 the same, above 0 after.
    private static func compare(
        _ name: UnsafeBufferPointer<UInt8>, _ packed: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int
    )
        -> Int
    {
        let length = to - from
        for offset in 0..<min(name.count, length) where name[offset] != packed[from + offset] {
            return name[offset] < packed[from + offset] ? -1 : 1
        }
        return name.count - length
    }
}

struct IncomingField: Sendable {
    let type: FieldType
    let required: Bool
    /// The `redacted` upstream policy removes it, so a lower hub may relay its null.
    let clearedByRedaction: Bool
}

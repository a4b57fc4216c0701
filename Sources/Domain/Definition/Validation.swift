import Foundation
public import SyncCore

/// Checks writes against a definition. Two ways:
/// - a **local write** (a worker's command, the page, `record put`) is normalised first — text
///   to Unicode NFC and trimmed, codes typed in any case or by alias to their code, phones
///   stripped of spaces — then every field must be known, typed and within its enumeration, and
///   the collection's rules must hold for the record as it will be;
/// - a **change from a peer** is checked without changing it: a field this definition knows
///   must hold a value in canonical form; a field or collection it does not know is accepted
///   only from a peer running a newer definition (it is that definition's to check), and kept.
public struct Validator: Sendable {
    public let definition: DomainDefinition

    /// The moments a worker may record: 2000 to 2100.
    static let earliestInstant = Instant.parse("2000-01-01T00:00:00Z")!
    static let latestInstant = Instant.parse("2100-01-01T00:00:00Z")!

    public init(_ definition: DomainDefinition = .current) {
        self.definition = definition
    }

    // MARK: Local writes

    /// The fields to write, normalised, or the first rule the write breaks. `existing` holds the
    /// record's current values (nil for a new record); `set` the fields to change, `.null`
    /// clearing one.
    public func checkLocalWrite(
        collection name: String, existing: [String: FieldValue]?, set: [String: FieldValue], today: LocalDate
    ) throws(DomainRefusal) -> [String: FieldValue] {
        guard let collection = definition.collection(name) else {
            throw DomainRefusal(
                code: "unknown_collection", field: name, label: Localized(vi: name, en: name),
                problem: Localized(vi: "không có loại hồ sơ này", en: "there is no such collection"),
                accepted: Localized(
                    vi: "Các loại hồ sơ: \(definition.collections.map(\.name).joined(separator: ", ")).",
                    en: "Collections: \(definition.collections.map(\.name).joined(separator: ", ")).")
            )
        }
        var normalised: [String: FieldValue] = [:]
        for fieldName in set.keys.sorted() {
            let value = set[fieldName]!
            guard let field = collection.field(fieldName) else {
                throw Self.unknownField(fieldName, in: collection)
            }
            if value == .null || value == .string("") {
                if field.required {
                    throw DomainRefusal(
                        code: "missing", field: field.name, label: field.label,
                        problem: Localized(vi: "không được để trống", en: "cannot be empty"),
                        accepted: Self.accepted(field.type))
                }
                if existing?[fieldName] != nil { normalised[fieldName] = .null }
                continue
            }
            normalised[fieldName] = try Self.normalise(value, as: field, path: field.name)
        }
        var after = existing ?? [:]
        for (name, value) in normalised {
            after[name] = value == .null ? nil : value
        }
        if existing == nil {
            for field in collection.fields where field.required && after[field.name] == nil {
                throw DomainRefusal(
                    code: "missing", field: field.name, label: field.label,
                    problem: Localized(vi: "chưa được nhập (bắt buộc)", en: "is required"),
                    accepted: Self.accepted(field.type))
            }
        }
        let context = RuleContext(today: today, definition: definition, changed: Set(normalised.keys))
        for rule in collection.rules {
            try rule.check(after, context)
        }
        return normalised
    }

    static func unknownField(_ name: String, in collection: CollectionDefinition) -> DomainRefusal {
        DomainRefusal(
            code: "unknown_field", field: name, label: Localized(vi: name, en: name),
            problem: Localized(
                vi: "không có trường này trong \(collection.label.vi)",
                en: "\(collection.name) has no such field"),
            accepted: Localized(
                vi: "Các trường: \(collection.fields.map(\.name).joined(separator: ", ")).",
                en: "Fields: \(collection.fields.map(\.name).joined(separator: ", ")).")
        )
    }

    /// What a field of `type` accepts, said to a worker.
    public static func accepted(_ type: FieldType) -> Localized {
        switch type {
        case .text(let max):
            Localized(vi: "Một dòng chữ, tối đa \(max) ký tự.", en: "One line of text, at most \(max) characters.")
        case .longText(let max):
            Localized(vi: "Văn bản, tối đa \(max) ký tự.", en: "Text, at most \(max) characters.")
        case .date:
            Localized(
                vi: "Một ngày có thật, dạng dd/mm/yyyy (ví dụ 05/09/2019).",
                en: "A real date, dd/mm/yyyy (e.g. 05/09/2019).")
        case .instant:
            Localized(
                vi: "Ngày giờ dạng dd/mm/yyyy HH:mm, hoặc 2026-12-02T09:30:00+07:00.",
                en: "A date and time, dd/mm/yyyy HH:mm, or 2026-12-02T09:30:00+07:00.")
        case .bool:
            Localized(vi: "có/không (true/false).", en: "yes/no (true/false).")
        case .integer(let range):
            Localized(
                vi: "Một số nguyên từ \(range.lowerBound) đến \(range.upperBound).",
                en: "A whole number from \(range.lowerBound) to \(range.upperBound).")
        case .choice(let enumeration):
            Localized(vi: "Một trong: \(enumeration.accepted(.vi)).", en: "One of: \(enumeration.accepted(.en)).")
        case .choices(let enumeration):
            Localized(
                vi: "Một hoặc nhiều mục, cách nhau bởi dấu phẩy: \(enumeration.accepted(.vi)).",
                en: "One or more, separated by commas: \(enumeration.accepted(.en)).")
        case .phone:
            Localized(
                vi: "Số điện thoại 10 chữ số, bắt đầu bằng 0 (ví dụ 0912345678).",
                en: "A phone number of 10 digits starting with 0 (e.g. 0912345678).")
        case .nationalID:
            Localized(vi: "Số định danh cá nhân gồm 12 chữ số.", en: "A personal identity number of 12 digits.")
        case .reference(let collection):
            Localized(vi: "Mã hồ sơ \(collection) (dạng 0190a1b2-…).", en: "The id of a \(collection) record.")
        case .unitCode:
            Localized(vi: "Mã đơn vị hành chính (ví dụ 01001).", en: "An administrative unit code (e.g. 01001).")
        case .object(let fields):
            Localized(
                vi: "Các mục: \(fields.map(\.name).joined(separator: ", ")).",
                en: "Items: \(fields.map(\.name).joined(separator: ", ")).")
        case .list(let fields, let maxCount):
            Localized(
                vi: "Tối đa \(maxCount) mục, mỗi mục gồm: \(fields.map(\.name).joined(separator: ", ")).",
                en: "At most \(maxCount) entries, each with: \(fields.map(\.name).joined(separator: ", ")).")
        }
    }

    private static func bad(_ field: FieldDefinition, path: String, _ problem: Localized) -> DomainRefusal {
        DomainRefusal(
            code: "bad_value", field: path, label: field.label, problem: problem, accepted: accepted(field.type))
    }

    private static func notA(_ what: Localized, _ value: FieldValue) -> Localized {
        let shown = shortShow(value)
        return Localized(vi: "\(shown) không phải \(what.vi)", en: "\(shown) is not \(what.en)")
    }

    /// A value quoted in a refusal: short, so a long paste does not fill the terminal.
    static func shortShow(_ value: FieldValue) -> String {
        let text = value.stringValue.map { "\"\($0)\"" } ?? value.json
        return text.count > 40 ? String(text.prefix(37)) + "…\"" : text
    }

    /// Normalises and checks one value of a local write.
    static func normalise(_ value: FieldValue, as field: FieldDefinition, path: String) throws(DomainRefusal)
        -> FieldValue
    {
        switch field.type {
        case .text(let max), .longText(let max):
            guard case .string(let raw) = value else {
                throw bad(field, path: path, notA(Localized(vi: "chữ", en: "text"), value))
            }
            let text = raw.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
            try checkText(text, field: field, path: path, max: max)
            return .string(text)
        case .date:
            guard case .string(let raw) = value else {
                throw bad(field, path: path, notA(Localized(vi: "ngày", en: "a date"), value))
            }
            let text = raw.trimmingCharacters(in: .whitespaces)
            guard let date = LocalDate(iso: text) ?? LocalDate(display: text) else {
                throw bad(field, path: path, notA(Localized(vi: "một ngày có thật", en: "a real date"), value))
            }
            return .string(date.description)
        case .instant:
            guard case .string(let raw) = value, let date = Instant.parse(raw.trimmingCharacters(in: .whitespaces))
            else {
                throw bad(field, path: path, notA(Localized(vi: "ngày giờ", en: "a date and time"), value))
            }
            // Nothing Tre records happened before 2000 (the Law on Children is of 2016); an
            // earlier year is a slip of the keyboard.
            guard date >= Validator.earliestInstant, date < Validator.latestInstant else {
                throw bad(
                    field, path: path,
                    Localized(vi: "ngày giờ ngoài khoảng 2000–2100", en: "a moment outside 2000–2100"))
            }
            return .string(Instant.format(date))
        case .bool:
            switch value {
            case .bool: return value
            case .string(let text):
                if let flag = yesOrNo(text) { return .bool(flag) }
            default: break
            }
            throw bad(field, path: path, notA(Localized(vi: "có/không", en: "yes or no"), value))
        case .integer(let range):
            var number: Int64?
            if case .int(let value) = value { number = value }
            if case .string(let text) = value { number = Int64(text.trimmingCharacters(in: .whitespaces)) }
            guard let number else {
                throw bad(field, path: path, notA(Localized(vi: "một số nguyên", en: "a whole number"), value))
            }
            guard range.contains(number) else {
                throw bad(
                    field, path: path,
                    Localized(
                        vi: "\(number) nằm ngoài khoảng \(range.lowerBound)–\(range.upperBound)",
                        en: "\(number) is outside \(range.lowerBound)–\(range.upperBound)"))
            }
            return .int(number)
        case .choice(let enumeration):
            guard case .string(let text) = value, let code = enumeration.code(forInput: text) else {
                throw bad(
                    field, path: path, notA(Localized(vi: "một lựa chọn hợp lệ", en: "an accepted choice"), value))
            }
            return .string(code)
        case .choices(let enumeration):
            var items: [FieldValue]
            switch value {
            case .array(let array): items = array
            case .string(let text): items = text.split(separator: ",").map { .string(String($0)) }
            default:
                throw bad(field, path: path, notA(Localized(vi: "danh sách lựa chọn", en: "a list of choices"), value))
            }
            var codes: [String] = []
            for item in items {
                guard case .string(let text) = item,
                    let code = enumeration.code(forInput: text.trimmingCharacters(in: .whitespaces))
                else {
                    throw bad(
                        field, path: path, notA(Localized(vi: "một lựa chọn hợp lệ", en: "an accepted choice"), item))
                }
                if !codes.contains(code) { codes.append(code) }
            }
            if codes.isEmpty {
                throw bad(field, path: path, Localized(vi: "chưa chọn mục nào", en: "nothing is chosen"))
            }
            return .array(codes.map { .string($0) })
        case .phone:
            guard case .string(let raw) = value else {
                throw bad(field, path: path, notA(Localized(vi: "số điện thoại", en: "a phone number"), value))
            }
            let digits = raw.filter { !" .-()".contains($0) }
            guard isPhone(digits) else {
                throw bad(
                    field, path: path,
                    Localized(
                        vi: "\"\(raw)\" không phải số điện thoại 10 chữ số bắt đầu bằng 0",
                        en: "\"\(raw)\" is not a 10-digit phone number starting with 0"))
            }
            return .string(digits)
        case .nationalID:
            guard case .string(let raw) = value, isDigits(raw.filter { $0 != " " }, count: 12) else {
                throw bad(field, path: path, notA(Localized(vi: "số gồm 12 chữ số", en: "a 12-digit number"), value))
            }
            return .string(raw.filter { $0 != " " })
        case .reference:
            guard case .string(let raw) = value, let id = RecordID(string: raw.trimmingCharacters(in: .whitespaces))
            else {
                throw bad(field, path: path, notA(Localized(vi: "mã hồ sơ", en: "a record id"), value))
            }
            return .string(id.description)
        case .unitCode:
            guard case .string(let raw) = value, isUnitCode(raw) else {
                throw bad(field, path: path, notA(Localized(vi: "mã đơn vị", en: "a unit code"), value))
            }
            return value
        case .object(let fields):
            guard case .object(let object) = value else {
                throw bad(field, path: path, notA(Localized(vi: "một nhóm mục", en: "an object"), value))
            }
            return .object(try normaliseObject(object, fields: fields, owner: field, path: path))
        case .list(let fields, let maxCount):
            guard case .array(let items) = value else {
                throw bad(field, path: path, notA(Localized(vi: "một danh sách", en: "a list"), value))
            }
            guard items.count <= maxCount else {
                throw bad(
                    field, path: path,
                    Localized(vi: "\(items.count) mục, quá \(maxCount)", en: "\(items.count) entries, over \(maxCount)")
                )
            }
            var result: [FieldValue] = []
            for (position, item) in items.enumerated() {
                guard case .object(let object) = item else {
                    throw bad(
                        field, path: "\(path)[\(position + 1)]", notA(Localized(vi: "một mục", en: "an entry"), item))
                }
                result.append(
                    .object(try normaliseObject(object, fields: fields, owner: field, path: "\(path)[\(position + 1)]"))
                )
            }
            return .array(result)
        }
    }

    private static func normaliseObject(
        _ object: [String: FieldValue], fields: [FieldDefinition], owner: FieldDefinition, path: String
    ) throws(DomainRefusal) -> [String: FieldValue] {
        var result: [String: FieldValue] = [:]
        for key in object.keys.sorted() {
            guard let field = fields.first(where: { $0.name == key }) else {
                throw DomainRefusal(
                    code: "unknown_field", field: "\(path).\(key)", label: owner.label,
                    problem: Localized(vi: "không có mục \"\(key)\"", en: "has no item \"\(key)\""),
                    accepted: accepted(owner.type))
            }
            let value = object[key]!
            if value == .null || value == .string("") { continue }
            result[key] = try normalise(value, as: nested(field, in: owner), path: "\(path).\(key)")
        }
        for field in fields where field.required && result[field.name] == nil {
            throw DomainRefusal(
                code: "missing", field: "\(path).\(field.name)", label: nested(field, in: owner).label,
                problem: Localized(vi: "chưa được nhập (bắt buộc)", en: "is required"), accepted: accepted(field.type))
        }
        return result
    }

    /// A field inside an object or list, labelled with its owner's label first ("Hoàn cảnh đặc
    /// biệt (Điều 10) › Nhóm"), so a refusal says where it is.
    private static func nested(_ field: FieldDefinition, in owner: FieldDefinition) -> FieldDefinition {
        FieldDefinition(
            field.name,
            Localized(vi: "\(owner.label.vi) › \(field.label.vi)", en: "\(owner.label.en) › \(field.label.en)"),
            field.type, required: field.required, personal: field.personal, since: field.since)
    }

    private static func checkText(_ text: String, field: FieldDefinition, path: String, max: Int) throws(DomainRefusal)
    {
        if text.count > max {
            throw bad(
                field, path: path,
                Localized(vi: "dài \(text.count) ký tự, quá \(max)", en: "\(text.count) characters, over \(max)"))
        }
        let multiline: Bool = if case .longText = field.type { true } else { false }
        for scalar in text.unicodeScalars where scalar.properties.generalCategory == .control {
            if multiline && (scalar == "\n" || scalar == "\t" || scalar == "\r") { continue }
            throw bad(
                field, path: path,
                Localized(
                    vi: "có ký tự điều khiển (U+\(String(scalar.value, radix: 16, uppercase: true)))",
                    en: "holds a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))"))
        }
    }

    /// A yes or no as a worker types it (`yes`, `có`, `co`, `true`, `1`; `no`, `không`, `khong`,
    /// `false`, `0`, in any case), as a yes/no field stores it; nil for anything else. A command
    /// that decides on a typed answer uses this, so it reads the answer as the stored field will.
    public static func yesOrNo(_ text: String) -> Bool? {
        switch text.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "yes", "có", "co", "1": true
        case "false", "no", "không", "khong", "0": false
        default: nil
        }
    }

    /// Whether `text` is in Unicode NFC, byte for byte: Swift's `==` on strings compares by
    /// canonical equivalence, so a decomposed name equals its composed form there. Text made
    /// only of scalars whose NFC quick check is Yes and whose combining class is 0 is NFC as it
    /// is (UAX #15); the ranges below are such scalars and hold Vietnamese as it is written, so
    /// the costly normalisation runs only for other text.
    static func isNFC(_ text: String) -> Bool {
        if text.unicodeScalars.allSatisfy({ isNFCAsItIs($0.value) }) { return true }
        return text.utf8.elementsEqual(text.precomposedStringWithCanonicalMapping.utf8)
    }

    /// Basic Latin to the spacing modifier letters, Latin Extended Additional (ạ…ỹ), dashes,
    /// quotation marks and the ellipsis, currency signs (₫).
    static let nfcAsItIs: [ClosedRange<UInt32>] = [0x0000...0x02FF, 0x1E00...0x1EFF, 0x2010...0x2027, 0x20A0...0x20C0]

    /// Whether `scalar` is in `nfcAsItIs`, compared in place rather than read from the list: a
    /// hub asks this of every scalar of every text it is pushed.
    static func isNFCAsItIs(_ scalar: UInt32) -> Bool {
        scalar < 0x300 || (0x1E00...0x1EFF).contains(scalar) || (0x2010...0x2027).contains(scalar)
            || (0x20A0...0x20C0).contains(scalar)
    }

    /// `YYYY-MM-DD`, a day that exists: the form a node stores. Read from the bytes, as a hub
    /// reads every date it is pushed.
    static func isCanonicalDate(_ text: String) -> Bool { isCanonicalDate(utf8: text.utf8) }

    static func isCanonicalDate(utf8: some Collection<UInt8>) -> Bool {
        guard utf8.count == 10 else { return false }
        var parts = (year: 0, month: 0, day: 0)
        for (index, byte) in utf8.enumerated() {
            if index == 4 || index == 7 {
                guard byte == 0x2D else { return false }
                continue
            }
            guard (0x30...0x39).contains(byte) else { return false }
            let digit = Int(byte - 0x30)
            switch index {
            case 0..<4: parts.year = parts.year * 10 + digit
            case 5..<7: parts.month = parts.month * 10 + digit
            default: parts.day = parts.day * 10 + digit
            }
        }
        guard (1...12).contains(parts.month), parts.day >= 1 else { return false }
        let leap = (parts.year % 4 == 0 && parts.year % 100 != 0) || parts.year % 400 == 0
        let days =
            switch parts.month {
            case 2: leap ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        return parts.day <= days
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, a moment that exists, in UTC: the form a node stores (what
    /// `Instant.format` writes), checked without a date formatter.
    static func isCanonicalInstant(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == 20 else { return false }
        return utf8.withContiguousStorageIfAvailable(isCanonicalInstant(bytes:))
            ?? Array(utf8).withUnsafeBufferPointer(isCanonicalInstant(bytes:))
    }

    private static func isCanonicalInstant(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 20, bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A, bytes[19] == 0x5A,
            isCanonicalDate(utf8: bytes[0..<10])
        else { return false }
        func number(_ at: Int) -> Int? {
            guard (0x30...0x39).contains(bytes[at]), (0x30...0x39).contains(bytes[at + 1]) else { return nil }
            return Int(bytes[at] - 0x30) * 10 + Int(bytes[at + 1] - 0x30)
        }
        guard let hour = number(11), let minute = number(14), let second = number(17) else { return false }
        return hour < 24 && minute < 60 && second < 60
    }

    static func isDigits(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func isPhone(_ text: String) -> Bool { isDigits(text, count: 10) && text.utf8.first == 0x30 }

    static func isUnitCode(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 32 && text.utf8.allSatisfy { $0 >= 0x21 && $0 < 0x7f }
    }
}

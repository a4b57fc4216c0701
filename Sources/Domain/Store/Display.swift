import Foundation
public import SyncCore

/// How values read to a worker: dates dd/mm/yyyy, moments in Vietnam's time, codes as their
/// labels, yes/no in the worker's language. One place, so the terminal and the page agree.
public enum Display {
    public static func value(_ value: FieldValue, as type: FieldType?, _ language: Language) -> String {
        switch (type, value) {
        case (_, .null): return ""
        case (.date?, .string(let text)): return LocalDate(iso: text)?.display ?? text
        case (.instant?, .string(let text)): return Instant.parse(text).map { Instant.display($0) } ?? text
        case (.choice(let enumeration)?, .string(let code)): return enumeration.label(code, language)
        case (.choices(let enumeration)?, .array(let items)):
            return items.map { $0.stringValue.map { enumeration.label($0, language) } ?? $0.json }
                .joined(separator: ", ")
        case (_, .bool(let flag)): return flag ? yes.text(language) : no.text(language)
        case (.object(let fields)?, .object(let object)):
            return fields.compactMap { field in
                object[field.name].map {
                    "\(field.label.text(language)): \(Display.value($0, as: field.type, language))"
                }
            }.joined(separator: "; ")
        case (.list(let fields, _)?, .array(let items)):
            return items.map { Display.value($0, as: .object(fields), language) }.joined(separator: " | ")
        case (_, .string(let text)): return text
        default: return value.json
        }
    }

    public static let yes = Localized(vi: "có", en: "yes")
    public static let no = Localized(vi: "không", en: "no")

    /// A record's fields as (label, shown value) lines, in the definition's order, then any field
    /// of a newer definition under its stored name.
    public static func lines(_ record: DomainRecord, definition: DomainDefinition, _ language: Language) -> [(
        String, String
    )] {
        var lines: [(String, String)] = []
        let collection = definition.collection(record.collection)
        for field in collection?.fields ?? [] {
            guard let value = record.values[field.name] else { continue }
            lines.append((field.label.text(language), Display.value(value, as: field.type, language)))
        }
        for name in record.values.keys.sorted() where collection?.field(name) == nil {
            lines.append((name, record.values[name]!.json))
        }
        return lines
    }

    /// Lines as an aligned two-column block.
    public static func table(_ lines: [(String, String)]) -> String {
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { label, value in
            label + String(repeating: " ", count: width - label.count) + "  " + value
        }.joined(separator: "\n")
    }

    /// A record's values as JSON-ready text values (stored form), for `--json`.
    public static func json(_ record: DomainRecord) -> [String: FieldValue] {
        var object = record.values
        object["id"] = .string(record.id.description)
        object["unit"] = record.unit.map { .string($0) } ?? .null
        if !record.conflictedFields.isEmpty {
            object["conflicts"] = .array(record.conflictedFields.map { .string($0) })
        }
        return object
    }
}

/// The languages Tre speaks to people: Vietnamese first, English as the fallback.
public enum Language: String, Sendable, Hashable, CaseIterable, Codable {
    case vi
    case en
}

/// A text in both languages. Every label, message and hint a worker reads is one of these, so a
/// missing translation is a compile error rather than an English word on a Vietnamese page.
public struct Localized: Sendable, Hashable, Codable {
    public let vi: String
    public let en: String

    public init(vi: String, en: String) {
        self.vi = vi
        self.en = en
    }

    /// The text in `language` (English when the Vietnamese text is empty).
    public func text(_ language: Language) -> String {
        switch language {
        case .vi: vi.isEmpty ? en : vi
        case .en: en
        }
    }
}

/// A domain rule a write breaks: which field (by its name in the definition and its label), what
/// is wrong and what is accepted, in both languages. Nothing is stored when one is thrown.
public struct DomainRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code for scripts and tests: `unknown_field`, `bad_value`, `not_allowed`, …
    public let code: String
    /// The field in the definition (`date_of_birth`), or the action (`case.approve`).
    public let field: String
    /// The field's label, as the worker knows it.
    public let label: Localized
    /// What is wrong with the value given.
    public let problem: Localized
    /// What would be accepted instead.
    public let accepted: Localized

    public init(code: String, field: String, label: Localized, problem: Localized, accepted: Localized) {
        self.code = code
        self.field = field
        self.label = label
        self.problem = problem
        self.accepted = accepted
    }

    /// "Ngày sinh: … — chấp nhận: …" in the worker's language.
    public func message(_ language: Language) -> String {
        "\(label.text(language)): \(problem.text(language))"
    }

    public func hint(_ language: Language) -> String { accepted.text(language) }

    public var description: String { "\(field): \(problem.en) (accepted: \(accepted.en))" }
}

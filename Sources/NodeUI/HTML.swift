import Domain
import Foundation
import ReplicaCommands

/// HTML built as strings: every value goes through `escape` (text and attribute values alike),
/// so a name with `<` or `"` is shown, never run.
enum HTML {
    /// The same escaping as the reports' HTML and SVG (`xmlEscaped`): the five characters as
    /// entities, and a control character no page should carry made `�`.
    static func escape(_ text: String) -> String { xmlEscaped(text) }

    /// A POST form carrying the session's CSRF token. The browser's autocomplete is off on every
    /// form and field: what is typed here (a child's name, a phone, an abuse report) would
    /// otherwise be saved in the browser's profile in clear and offered back on other sites.
    static func form(action: String, csrf: String, id: String? = nil, _ inner: String) -> String {
        let idAttribute = id.map { " id=\"\(escape($0))\"" } ?? ""
        return "<form method=\"post\" action=\"\(escape(action))\"\(idAttribute) autocomplete=\"off\">"
            + "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(csrf))\">" + inner + "</form>"
    }

    /// A labelled field with its refusal, if any, beside it (and tied to it for screen readers).
    static func field(
        _ name: String, label: String, value: String = "", type: String = "text", error: String? = nil,
        required: Bool = false, hint: String? = nil, extra: String = ""
    ) -> String {
        let id = "f-" + name
        let describedBy = error != nil ? " aria-invalid=\"true\" aria-describedby=\"\(id)-error\"" : ""
        let off = extra.contains("autocomplete=") ? "" : " autocomplete=\"off\""
        let input: String
        if type == "textarea" {
            input =
                "<textarea id=\"\(id)\" name=\"\(escape(name))\" rows=\"3\"\(off)\(describedBy)\(required ? " required" : "")\(extra)>\(escape(value))</textarea>"
        } else {
            input =
                "<input id=\"\(id)\" type=\"\(type)\" name=\"\(escape(name))\" value=\"\(escape(value))\"\(off)\(describedBy)\(required ? " required" : "")\(extra)>"
        }
        return
            "<div class=\"field\(error != nil ? " invalid" : "")\"><label for=\"\(id)\">\(escape(label))\(required ? " *" : "")</label>"
            + input + (hint.map { "<small>\(escape($0))</small>" } ?? "")
            + (error.map { "<p class=\"error\" id=\"\(id)-error\">\(escape($0))</p>" } ?? "") + "</div>"
    }

    /// A labelled choice among codes, shown by their labels.
    static func select(
        _ name: String, label: String, options: [(code: String, label: String)], selected: String?,
        error: String? = nil, required: Bool = false, blank: Bool = true
    ) -> String {
        let id = "f-" + name
        var html =
            "<div class=\"field\(error != nil ? " invalid" : "")\"><label for=\"\(id)\">\(escape(label))\(required ? " *" : "")</label><select id=\"\(id)\" name=\"\(escape(name))\"\(error != nil ? " aria-invalid=\"true\" aria-describedby=\"\(id)-error\"" : "")>"
        if blank { html += "<option value=\"\"></option>" }
        for option in options {
            html +=
                "<option value=\"\(escape(option.code))\"\(option.code == selected ? " selected" : "")>\(escape(option.label))</option>"
        }
        html += "</select>" + (error.map { "<p class=\"error\" id=\"\(id)-error\">\(escape($0))</p>" } ?? "") + "</div>"
        return html
    }

    static func table(head: [String], rows: [[String]], rawCells: Bool = true) -> String {
        var html =
            "<table><thead><tr>" + head.map { "<th scope=\"col\">\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows { html += "<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>" }
        return html + "</tbody></table>"
    }
}

/// A piece of text in the session's language.
struct Words {
    let language: Language

    func callAsFunction(_ vi: String, _ en: String) -> String { language == .vi ? vi : en }
    func callAsFunction(_ text: Localized) -> String { text.text(language) }
}

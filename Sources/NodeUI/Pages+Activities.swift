import Domain
import Foundation
import SyncCore

extension PageContext {
    /// The commune's communication and training activities, newest first, and a form to add one.
    func activitiesPage(values: [String: [String]]?, errors: [String: String], status: Int = 200) throws -> UIResponse {
        let w = words
        let activities = try store.records("activities").filter(store.isOwn)
            .sorted { ($0.string("date") ?? "") > ($1.string("date") ?? "") }
        let definition = store.definition.collection("activities")
        func label(_ name: String) -> String { definition?.field(name)?.label.text(language) ?? name }
        func value(_ name: String) -> String { values?[name]?.first ?? "" }
        var body = HTML.table(
            head: [label("date"), label("kind"), label("topic"), w("Người tham gia", "Taking part")],
            rows: activities.prefix(50).map { record in
                let people = ["children_male", "children_female", "adults_male", "adults_female"]
                    .compactMap { record.values[$0].flatMap { if case .int(let n) = $0 { Int(n) } else { nil } } }
                    .reduce(0, +)
                return [
                    HTML.escape(record.string("date").flatMap { LocalDate(iso: $0)?.display } ?? ""),
                    HTML.escape(Enumerations.activityKind.label(record.string("kind") ?? "", language)),
                    HTML.escape(record.string("topic") ?? ""), String(people),
                ]
            })
        var inner = errors[""].map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        inner += HTML.field(
            "date", label: label("date"), value: value("date").isEmpty ? store.today.display : value("date"),
            error: errors["date"], required: true, hint: "dd/mm/yyyy")
        inner += HTML.select(
            "kind", label: label("kind"),
            options: Enumerations.activityKind.values.map { ($0.code, $0.label.text(language)) },
            selected: value("kind"), error: errors["kind"], required: true)
        inner += HTML.field(
            "topic", label: label("topic"), value: value("topic"), error: errors["topic"], required: true)
        for name in ["children_male", "children_female", "adults_male", "adults_female"] {
            inner += HTML.field(
                name, label: label(name), value: value(name), type: "number", error: errors[name], extra: " min=\"0\"")
        }
        inner += "<button type=\"submit\">\(HTML.escape(w("Ghi hoạt động", "Record the activity")))</button>"
        body +=
            "<h2>\(HTML.escape(w("Ghi hoạt động mới", "Record an activity")))</h2>"
            + HTML.form(action: "/activities", csrf: session.csrf, inner)
        return .html(
            layout(
                title: Localized(vi: "Hoạt động truyền thông, tập huấn", en: "Activities"), body: body,
                current: "/activities"), status: status)
    }

    func addActivity(_ request: UIRequest) async throws -> UIResponse {
        var form = request.form
        form["csrf"] = nil
        var fields: [String: FieldValue] = [:]
        for name in ["date", "kind", "topic"] { if let value = request.field(name) { fields[name] = .string(value) } }
        for name in ["children_male", "children_female", "adults_male", "adults_female"] {
            if let text = request.field(name) {
                guard let number = Int64(text) else {
                    return try activitiesPage(
                        values: form, errors: [name: words("Nhập một số.", "Give a number.")], status: 422)
                }
                fields[name] = .int(number)
            }
        }
        let store = self.store
        let checkedFields = fields
        do {
            let before = ownCounter()
            let id = try await blocking { try store.create("activities", fields: checkedFields) }
            audit("activity.add", id, since: before)
            app.sessions.update(session.token) { $0.flash = words("Đã ghi hoạt động.", "The activity is recorded.") }
            return .redirect("/activities")
        } catch let refusal as DomainRefusal {
            return try activitiesPage(
                values: form, errors: [fieldName(refusal): refusal.message(language) + " — " + refusal.hint(language)],
                status: 422)
        }
    }
}

import Domain
import Foundation
import SyncCore

extension PageContext {
    /// The children of this commune by village, then household: positions in the lists, never
    /// names, go in the URL.
    func registry(village: Int?, household: Int?) throws -> UIResponse {
        let w = words
        let children = try store.listChildren()
        let villages = Self.groups(children) { $0.string("village") ?? "" }
        var body = ""
        guard let village else {
            body += "<ul class=\"cards\">"
            for (index, group) in villages.enumerated() {
                body +=
                    "<li><a href=\"/registry/\(index)\">\(HTML.escape(group.name.isEmpty ? w("(chưa rõ thôn)", "(no village)") : group.name))</a> <span class=\"count\">\(group.members.count) \(HTML.escape(w("trẻ", "children")))</span></li>"
            }
            body += "</ul>"
            return .html(
                layout(title: Localized(vi: "Sổ trẻ em", en: "Children's registry"), body: body, current: "/registry"))
        }
        guard villages.indices.contains(village) else { return notFound() }
        let group = villages[village]
        let households = Self.groups(group.members) { $0.string("household") ?? "" }
        body +=
            "<p><a href=\"/registry\">\(HTML.escape(w("Sổ trẻ em", "Registry")))</a> › \(HTML.escape(group.name))</p>"
        guard let household else {
            body += "<ul class=\"cards\">"
            for (index, house) in households.enumerated() {
                body +=
                    "<li><a href=\"/registry/\(village)/\(index)\">\(HTML.escape(house.name.isEmpty ? w("(chưa rõ hộ)", "(no household)") : house.name))</a> <span class=\"count\">\(house.members.count)</span></li>"
            }
            body += "</ul>"
            return .html(layout(title: Localized(vi: "Thôn, bản", en: "Village"), body: body, current: "/registry"))
        }
        guard households.indices.contains(household) else { return notFound() }
        body += childList(households[household].members)
        return .html(layout(title: Localized(vi: "Hộ gia đình", en: "Household"), body: body, current: "/registry"))
    }

    /// Records grouped by a text, groups in folded order.
    static func groups(_ records: [DomainRecord], by key: (DomainRecord) -> String) -> [(
        name: String, members: [DomainRecord]
    )] {
        var order: [String] = []
        var members: [String: [DomainRecord]] = [:]
        var names: [String: String] = [:]
        for record in records {
            let name = key(record)
            let folded = foldForSearch(name)
            if members[folded] == nil {
                order.append(folded)
                names[folded] = name
            }
            members[folded, default: []].append(record)
        }
        return order.sorted().map { (names[$0]!, members[$0]!) }
    }

    func childList(_ children: [DomainRecord]) -> String {
        let w = words
        guard !children.isEmpty else { return "<p>\(HTML.escape(w("Không có trẻ nào.", "No child.")))</p>" }
        let rows = children.map { child -> [String] in
            [
                "<a href=\"/children/\(child.id)\">\(HTML.escape(child.string("full_name") ?? "?"))</a>",
                HTML.escape(child.string("date_of_birth").flatMap { LocalDate(iso: $0)?.display } ?? ""),
                HTML.escape(child.string("village") ?? ""),
            ]
        }
        return HTML.table(
            head: [w("Họ và tên", "Name"), w("Ngày sinh", "Born"), w("Thôn, bản", "Village")], rows: rows)
    }

    /// The forgiving search: typed without diacritics, any case, `d` for `đ`. The query travels
    /// in a POST body and is kept in the session, never in a URL.
    func searchPage() throws -> UIResponse {
        let w = words
        let query = session.query ?? ""
        var body = HTML.form(
            action: "/search", csrf: session.csrf, id: "search",
            "<div class=\"inline\">"
                + HTML.field(
                    "q", label: w("Tên trẻ (không cần dấu)", "Child's name (no diacritics needed)"), value: query,
                    type: "search", extra: " autofocus")
                + "<button type=\"submit\">\(HTML.escape(w("Tìm", "Search")))</button></div>")
        if !query.isEmpty {
            let found = try store.findChildren(query)
            body += "<h2>\(HTML.escape(w("Kết quả", "Results"))) (\(found.count))</h2>" + childList(found)
        }
        return .html(layout(title: Localized(vi: "Tìm trẻ", en: "Find a child"), body: body, current: "/search"))
    }

    /// A child's profile: their fields (special circumstances, caregivers among them), their
    /// cases with a step bar and the next deadline, and the reports not yet opened as a case.
    func childPage(_ id: RecordID) throws -> UIResponse {
        let w = words
        guard let child = try store.record("children", id: id), !child.deleted else { return notFound() }
        var body = "<dl class=\"fields\">"
        for (label, value) in Display.lines(child, definition: store.definition, language) {
            body += "<dt>\(HTML.escape(label))</dt><dd>\(HTML.escape(value))</dd>"
        }
        body += "</dl>"
        if !child.conflictedFields.isEmpty {
            body +=
                "<p class=\"error\"><a href=\"/conflicts\">\(HTML.escape(w("Hồ sơ có xung đột chờ quyết định", "This record has conflicts to decide")))</a></p>"
        }
        body += "<h2>\(HTML.escape(w("Hồ sơ vụ việc", "Cases")))</h2>"
        let cases = try store.cases(ofChild: id)
        if cases.isEmpty { body += "<p>\(HTML.escape(w("Chưa có hồ sơ.", "No case.")))</p>" }
        for record in cases {
            let summary = CaseSummary(record, store: store)
            let state = summary.facts?.state ?? .received
            body +=
                "<div class=\"case\"><h3><a href=\"/cases/\(record.id)\">\(HTML.escape(state.label.text(language)))</a></h3>"
                + stepBar(state)
            if let next = summary.nextDeadline, summary.isOpen {
                body +=
                    "<p class=\"next\">\(HTML.escape(w("Hạn tiếp theo", "Next deadline"))): \(HTML.escape(next.kind.label(rules: store.rules).text(language))) — <strong>\(HTML.escape(Instant.display(next.due)))</strong></p>"
            }
            body += "</div>"
        }
        let waiting = try store.records("intakes").filter {
            $0.string("child_id") == id.description && $0.string("case_id") == nil && store.isOwn($0)
        }
        for intake in waiting {
            let at = intake.string("received_at").flatMap(Instant.parse).map(Instant.display) ?? ""
            body += HTML.form(
                action: "/cases", csrf: session.csrf,
                "<input type=\"hidden\" name=\"intake\" value=\"\(intake.id)\"><p>\(HTML.escape(w("Thông tin tiếp nhận lúc", "Report received at"))) \(HTML.escape(at)) — <button type=\"submit\">\(HTML.escape(w("Mở hồ sơ vụ việc", "Open a case")))</button></p>"
            )
        }
        body +=
            "<p><a class=\"button\" href=\"/intakes/new?child=\(id)\">\(HTML.escape(w("Ghi nhận thông tin, thông báo (Mẫu 01)", "Record a report (Form 01)")))</a></p>"
        return .html(layout(title: Localized(vi: "Hồ sơ trẻ em", en: "Child's record"), body: body))
    }

    /// Where a case stands on the main line of steps, received to closed.
    func stepBar(_ state: CaseState) -> String {
        let line = CaseState.allCases.filter { $0.stepIndex != nil }
        let current = state.stepIndex
        var html = "<ol class=\"steps\" aria-label=\"\(HTML.escape(words("Các bước", "Steps")))\">"
        for step in line {
            let index = step.stepIndex!
            let mark = current.map { index < $0 ? "done" : index == $0 ? "current" : "todo" } ?? "todo"
            html +=
                "<li class=\"\(mark)\"\(mark == "current" ? " aria-current=\"step\"" : "")>\(HTML.escape(step.label.text(language)))</li>"
        }
        if current == nil {
            html += "<li class=\"current\" aria-current=\"step\">\(HTML.escape(state.label.text(language)))</li>"
        }
        return html + "</ol>"
    }
}

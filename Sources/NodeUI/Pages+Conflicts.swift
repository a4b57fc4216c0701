import Domain
import Foundation
import ReplicaCommands
import SyncClient
import SyncCore

extension PageContext {
    /// Every open conflict: each value side by side with the node that wrote it and when; the
    /// worker keeps one or types a new one.
    func conflictsPage(error: String?) throws -> UIResponse {
        let w = words
        let conflicts = try store.replica.conflicts()
        var body = error.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        if conflicts.isEmpty { body += "<p>\(HTML.escape(w("Không có xung đột nào.", "No open conflict.")))</p>" }
        let makers = try Makers(store: store)
        if !conflicts.isEmpty {
            body +=
                "<p><small>\(HTML.escape(w("“Ai”: nhật ký thay đổi ghi máy đã ghi mỗi giá trị, không ghi người; tên người lấy từ nhật ký của trang này (hoặc người làm việc đã cấu hình trên máy này) khi có.", "“Who”: the change log keeps the node that wrote each value, not the person; the person's name comes from this page's own trail (or the worker configured on this node) where there is one.")))</small></p>"
        }
        for record in conflicts {
            let collection = store.definition.collection(record.key.collection)
            let link =
                record.key.collection == "children"
                ? "<a href=\"/children/\(record.key.id)\">\(HTML.escape(collection?.label.text(language) ?? record.key.collection))</a>"
                : record.key.collection == "cases"
                    ? "<a href=\"/cases/\(record.key.id)\">\(HTML.escape(collection?.label.text(language) ?? ""))</a>"
                    : HTML.escape(collection?.label.text(language) ?? record.key.collection)
            for conflict in record.conflicts {
                let field = collection?.field(conflict.field)
                let label = field?.label.text(language) ?? conflict.field
                var inner = """
                    <input type="hidden" name="collection" value="\(HTML.escape(record.key.collection))">
                    <input type="hidden" name="id" value="\(record.key.id)"><input type="hidden" name="field" value="\(HTML.escape(conflict.field))">
                    <fieldset><legend>\(link) — \(HTML.escape(label))</legend><div class="sides">
                    """
                for (index, entry) in conflict.entries.enumerated() {
                    let shown = Display.value(entry.value, as: field?.type, language)
                    let who = makers.who(entry, w)
                    let when = Instant.display(Date(timeIntervalSince1970: Double(entry.stamp.wallMillis) / 1000))
                    inner += """
                        <label class="side"><input type="radio" name="choice" value="\(index)"\(index == 0 ? " required" : "")>
                        <span class="value">\(HTML.escape(shown.isEmpty ? "—" : shown))</span><small>\(HTML.escape(who)), \(HTML.escape(when))</small></label>
                        """
                }
                if ConflictChoice.isChoiceOnly(collection: record.key.collection, field: conflict.field) {
                    inner +=
                        "</div><p><small>\(HTML.escape(w("Chỉ chọn một trong các giá trị trên: bước xử lý và đơn vị quản lý không nhập tay (chuyển bước từ trang của hồ sơ vụ việc).", "Choose one of the values above only: a case's step and a record's unit are not typed in (take a step from the case's page).")))</small></p></fieldset>"
                } else {
                    inner +=
                        "<label class=\"side\"><input type=\"radio\" name=\"choice\" value=\"new\"> \(HTML.escape(w("Giá trị khác", "Another value")))"
                        + " <input type=\"text\" name=\"value\" autocomplete=\"off\" aria-label=\"\(HTML.escape(w("Giá trị khác", "Another value")))\"></label></div></fieldset>"
                }
                inner +=
                    "<button type=\"submit\">\(HTML.escape(w("Giữ giá trị đã chọn", "Keep the chosen value")))</button>"
                body +=
                    "<div class=\"conflict\">" + HTML.form(action: "/conflicts/resolve", csrf: session.csrf, inner)
                    + "</div>"
            }
        }
        return .html(layout(title: Localized(vi: "Xung đột", en: "Conflicts"), body: body, current: "/conflicts"))
    }

    /// Who wrote a value of a conflict, as far as this node can honestly say. The change log
    /// keeps the node (origin) of each change, not the person: a value this node wrote is put
    /// to the worker whose page write made that very change (the trail keeps the counters of the
    /// changes each write made), else to the worker configured on this node (`tre-node config set
    /// worker`), said as such; a value from elsewhere is the district's when its origin is the
    /// hub's, else another node's, named by its origin.
    struct Makers {
        let own: OriginID
        let ownName: String
        let hubOrigin: OriginID?
        let hubUnit: String?
        let configured: String?
        /// The audit trail's writes: who, and the counters of the changes the write made (lines
        /// without counters — trails kept before they were recorded, and actions that wrote no
        /// record — name nobody).
        let writes: [(worker: String, changes: ClosedRange<UInt64>)]

        init(store: DomainStore) throws {
            let replica = store.replica
            own = replica.origin
            let meta = try replica.meta()
            ownName = meta.name.isEmpty ? meta.unit : meta.name
            let upstream = try Upstream.load(from: replica)
            hubOrigin = upstream?.hubOrigin
            hubUnit = upstream?.hubUnit
            configured = (try replica.setting("config.worker")).flatMap { $0.isEmpty ? nil : $0 }
            writes = ((try replica.setting(PageContext.auditSetting)) ?? "").split(separator: "\n").compactMap { line in
                // `when worker… action record first-last`: the worker may hold spaces.
                let parts = line.split(separator: " ")
                guard parts.count >= 5 else { return nil }
                let bounds = parts[parts.count - 1].split(separator: "-")
                guard bounds.count == 2, let before = UInt64(bounds[0]), let last = UInt64(bounds[1]), before < last
                else { return nil }
                return (parts[1..<(parts.count - 3)].joined(separator: " "), (before + 1)...last)
            }
        }

        func who(_ entry: FieldEntry, _ w: Words) -> String {
            if entry.dot.origin == own {
                // The write of the page that made this change, if any: the narrowest, should two
                // sessions have written at the same moment.
                let made = writes.filter { $0.changes.contains(entry.dot.counter) }
                if let step = made.min(by: { $0.changes.count < $1.changes.count }) {
                    return step.worker + " — " + w("máy này", "this node") + " (\(ownName))"
                }
                if let configured {
                    return configured + " " + w("(người làm việc đã cấu hình)", "(the worker configured)") + " — "
                        + w("máy này", "this node") + " (\(ownName))"
                }
                return w("máy này", "this node") + " (\(ownName)); " + w("không ghi tên người", "no person recorded")
            }
            if entry.dot.origin == hubOrigin {
                return w("Huyện", "The district") + " (\(hubUnit ?? "")); "
                    + w("không ghi tên người", "no person recorded")
            }
            return w("máy khác", "another node") + " " + String(entry.dot.origin.description.prefix(8)) + "; "
                + w("không ghi tên người", "no person recorded")
        }
    }

    /// Keeps the chosen (or typed) value: an ordinary edit that has seen every value, checked
    /// against the definition like any write.
    func resolve(_ request: UIRequest) async throws -> UIResponse {
        let w = words
        guard let collection = request.field("collection"),
            let id = request.field("id").flatMap(RecordID.init(string:)),
            let field = request.field("field")
        else { return notFound() }
        let replica = store.replica
        guard let state = try replica.record(collection, id: id),
            let conflict = state.conflicts.first(where: { $0.field == field })
        else { return .redirect("/conflicts") }
        let value: FieldValue
        switch request.field("choice") {
        case "new"?:
            guard let typed = request.field("value") else {
                return try conflictsPage(
                    error: w("Nhập giá trị khác, hoặc chọn một giá trị.", "Type the other value, or choose one."))
            }
            value = FieldValue.parsingCommandLine(typed)
        case let choice?:
            guard let index = Int(choice), conflict.entries.indices.contains(index) else {
                return .redirect("/conflicts")
            }
            value = conflict.entries[index].value
        case nil:
            return try conflictsPage(error: w("Chọn một giá trị.", "Choose a value."))
        }
        let store = self.store
        let before = ownCounter()
        do {
            try ConflictChoice.check(
                collection: collection, field: field, value: value, among: conflict.entries.map(\.value))
            try await blocking {
                var checked = [field: value]
                if !ReservedField.isReserved(field), !state.isDeleted {
                    let existing = DomainRecord(collection: collection, id: id, state: state).values
                    checked = try store.validator.checkLocalWrite(
                        collection: collection, existing: existing, set: [field: value], today: store.today)
                }
                _ = try store.replica.resolve(collection, id: id, field: field, value: checked[field] ?? value)
            }
        } catch let refusal as DomainRefusal {
            return try conflictsPage(error: refusal.message(language) + " — " + refusal.hint(language))
        }
        audit("conflict.resolve", id, since: before)
        app.sessions.update(session.token) { $0.flash = w("Đã giải quyết xung đột.", "The conflict is resolved.") }
        return .redirect("/conflicts")
    }

    /// The commune's indicators for this half-year beside the one before.
    func reportPage() throws -> UIResponse {
        let w = words
        let meta = try store.replica.meta()
        let reporting = try Reporting(
            replica: store.replica, tree: UnitTree(single: meta.unit, name: meta.name.isEmpty ? meta.unit : meta.name))
        let period = reporting.currentPeriod
        let document = try reporting.document(unit: meta.unit, period: period)
        var body =
            "<p>\(HTML.escape(document.period.label.text(language))) — \(HTML.escape(w("so với", "beside"))) \(HTML.escape(document.previous.label.text(language)))</p>"
        body +=
            "<table class=\"report\"><thead><tr><th scope=\"col\">\(HTML.escape(w("Chỉ tiêu", "Indicator")))</th><th scope=\"col\">\(HTML.escape(document.period.label.text(language)))</th><th scope=\"col\">\(HTML.escape(document.previous.label.text(language)))</th></tr></thead><tbody>"
        for section in document.sections {
            body +=
                "<tr class=\"total\"><th scope=\"row\">\(section.indicator.code) \(HTML.escape(section.indicator.name.text(language)))</th><td>\(cell(section.total.value))</td><td>\(cell(section.total.previous))</td></tr>"
            for row in section.rows.dropFirst() where row.depth <= 1 {
                body +=
                    "<tr><td class=\"sub\">\(HTML.escape(row.label.text(language)))</td><td>\(cell(row.value))</td><td>\(cell(row.previous))</td></tr>"
            }
        }
        body += "</tbody></table>"
        return .html(
            layout(
                title: Localized(vi: "Chỉ tiêu của xã", en: "The commune's indicators"), body: body, current: "/report")
        )
    }

    func cell(_ cell: ReportDocument.Cell) -> String {
        switch cell {
        case .count(let value): String(value)
        case .share(let value?): String(format: "%.1f %%", value)
        case .share(nil): "—"
        case .suppressed: "&lt;5"
        }
    }
}

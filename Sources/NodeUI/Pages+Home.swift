import Domain
import Foundation
import SyncClient
import SyncCore

extension PageContext {
    /// Today's tasks: deadlines passed or due within 48 hours, conflicts waiting for a person,
    /// records returned with a reason; and the sync state with a "sync now" button.
    func home() throws -> UIResponse {
        let w = words
        let now = store.now()
        var body =
            "<section aria-labelledby=\"due\"><h2 id=\"due\">\(HTML.escape(w("Hạn xử lý (quá hạn hoặc trong 48 giờ)", "Deadlines (passed or within 48 hours)")))</h2>"
        let due = try store.overdue()
        if due.isEmpty {
            body += "<p>\(HTML.escape(w("Không có hạn nào.", "No deadline.")))</p>"
        } else {
            body += "<ul class=\"tasks\">"
            for item in due {
                let passed = item.deadline.due < now
                let name = item.child?.string("full_name") ?? w("(trẻ chưa rõ)", "(child unknown)")
                body += """
                    <li class="\(passed ? "overdue" : "soon")"><a href="/cases/\(item.caseRecord.id)">\(HTML.escape(item.deadline.kind.label(rules: store.rules).text(language)))</a> —
                    <span class="child">\(HTML.escape(name))</span> — <strong>\(HTML.escape(passed ? w("quá hạn từ", "overdue since") : w("hạn", "due")))
                    \(HTML.escape(Instant.display(item.deadline.due)))</strong></li>
                    """
            }
            body += "</ul>"
        }
        body += "</section>"

        let conflicts = try store.replica.conflicts()
        body +=
            "<section aria-labelledby=\"conf\"><h2 id=\"conf\">\(HTML.escape(w("Xung đột chờ quyết định", "Conflicts waiting for a person")))</h2>"
        body +=
            conflicts.isEmpty
            ? "<p>\(HTML.escape(w("Không có.", "None.")))</p>"
            : "<p><a href=\"/conflicts\">\(HTML.escape(w("\(conflicts.count) hồ sơ có xung đột", "\(conflicts.count) records in conflict")))</a></p>"
        body += "</section>"

        let returned = try store.records("cases").filter { record in
            store.isOwn(record) && !(record.string("return_reason") ?? "").isEmpty
                && [CaseState.planDrafting.rawValue, CaseState.reassessment.rawValue].contains(
                    record.string("status") ?? "")
        }
        body +=
            "<section aria-labelledby=\"ret\"><h2 id=\"ret\">\(HTML.escape(w("Bị trả lại, kèm lý do", "Returned, with a reason")))</h2>"
        if returned.isEmpty {
            body += "<p>\(HTML.escape(w("Không có.", "None.")))</p>"
        } else {
            body += "<ul>"
            for record in returned {
                body +=
                    "<li><a href=\"/cases/\(record.id)\">\(HTML.escape(CaseState(rawValue: record.string("status") ?? "")?.label.text(language) ?? ""))</a>: \(HTML.escape(record.string("return_reason") ?? ""))</li>"
            }
            body += "</ul>"
        }
        body += "</section>" + (try syncSection())
        return .html(layout(title: Localized(vi: "Việc hôm nay", en: "Today's tasks"), body: body, current: "/"))
    }

    func syncSection() throws -> String {
        let w = words
        let replica = store.replica
        let hasHub = try Upstream.load(from: replica) != nil
        let status = try SyncStatus.load(from: replica, pushFilter: LogFilter(onlyOrigin: replica.origin))
        let setAside = try replica.setAsideEntries(limit: 10_000).count
        let last = status.lastSuccessMillis.map { Instant.display(Date(timeIntervalSince1970: Double($0) / 1000)) }
        var rows: [[String]] = [
            [HTML.escape(w("Lần đồng bộ gần nhất", "Last sync")), HTML.escape(last ?? w("chưa bao giờ", "never"))],
            [HTML.escape(w("Thay đổi chờ gửi", "Changes waiting")), "<span id=\"waiting\">\(status.waiting)</span>"],
            [HTML.escape(w("Thay đổi bị huyện để riêng", "Set aside by the district")), String(setAside)],
        ]
        if let error = status.lastError {
            rows.append([
                HTML.escape(w("Lỗi lần trước", "Last error")), "<span class=\"error\">\(HTML.escape(error))</span>",
            ])
        }
        let button =
            hasHub
            ? HTML.form(
                action: "/sync", csrf: session.csrf,
                "<button type=\"submit\" id=\"sync-now\">\(HTML.escape(w("Đồng bộ ngay", "Sync now")))</button>")
            : "<p>\(HTML.escape(w("Máy này chưa đăng ký với huyện.", "This node is not enrolled at a hub.")))</p>"
        return "<section aria-labelledby=\"sync\"><h2 id=\"sync\">\(HTML.escape(w("Đồng bộ", "Sync")))</h2>"
            + HTML.table(head: [w("Mục", "Item"), w("Giá trị", "Value")], rows: rows) + button + "</section>"
    }

    /// Pushes then pulls through the node's backend, and says how it went on the home page.
    func syncNow() async -> UIResponse {
        let w = words
        let message: String
        do {
            let done = try await app.backend.sync(store)
            audit("sync", nil)
            message = w("Đã đồng bộ: ", "Synced: ") + done
        } catch {
            message = w("Chưa đồng bộ được: ", "Could not sync: ") + String(describing: error)
        }
        app.sessions.update(session.token) { $0.flash = message }
        return .redirect("/")
    }
}

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
        // A commune report the district returned: its approval record, written by the district.
        let reports = try store.records(Reporting.approvals).filter { record in
            record.string("unit") == store.replica.unit && record.string("status") == "returned"
        }
        body +=
            "<section aria-labelledby=\"ret\"><h2 id=\"ret\">\(HTML.escape(w("Bị trả lại, kèm lý do", "Returned, with a reason")))</h2>"
        if returned.isEmpty && reports.isEmpty {
            body += "<p>\(HTML.escape(w("Không có.", "None.")))</p>"
        } else {
            body += "<ul class=\"returned\">"
            for record in reports {
                let period = record.string("period").flatMap(ReportPeriod.init)?.label.text(language) ?? ""
                let by = record.string("decided_by").map { " — " + w("trả lại bởi ", "returned by ") + $0 } ?? ""
                let when = record.string("decided_at").flatMap(Instant.parse).map { ", " + Instant.display($0) } ?? ""
                body +=
                    "<li><a href=\"/report\">\(HTML.escape(w("Báo cáo của xã", "The commune's report") + " " + period))</a>\(HTML.escape(by + when)): <span class=\"reason\">\(HTML.escape(record.string("reason") ?? ""))</span></li>"
            }
            for record in returned {
                body +=
                    "<li><a href=\"/cases/\(record.id)\">\(HTML.escape(w("Vụ việc", "Case") + " — " + (CaseState(rawValue: record.string("status") ?? "")?.label.text(language) ?? "")))</a>: <span class=\"reason\">\(HTML.escape(record.string("return_reason") ?? ""))</span></li>"
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
        // The answer to "has my work reached the district?", in one sentence.
        let summary: String
        if !hasHub {
            summary = w(
                "Máy này chưa đăng ký với huyện: dữ liệu chỉ ở trên máy này.",
                "This node is not enrolled at a hub: the data is on this computer only.")
        } else if let last, status.waiting == 0 {
            summary = w(
                "Mọi thay đổi đã gửi lên huyện (lần gần nhất lúc \(last)).",
                "Every change has reached the district (last at \(last)).")
        } else if let last {
            summary = w(
                "Đã gửi lên huyện lúc \(last); còn \(status.waiting) thay đổi chờ gửi.",
                "Sent to the district at \(last); \(status.waiting) changes waiting.")
        } else {
            summary = w(
                "Chưa gửi lên huyện lần nào; \(status.waiting) thay đổi chờ gửi.",
                "Nothing sent to the district yet; \(status.waiting) changes waiting.")
        }
        var rows: [[String]] = [
            [
                HTML.escape(w("Lần gửi lên huyện gần nhất", "Last sync with the district")),
                "<span id=\"last-sync\">\(HTML.escape(last ?? w("chưa bao giờ", "never")))</span>",
            ],
            [HTML.escape(w("Thay đổi chờ gửi", "Changes waiting")), "<span id=\"waiting\">\(status.waiting)</span>"],
            [
                HTML.escape(w("Thay đổi bị huyện để riêng (không nhận)", "Set aside by the district (not taken)")),
                "<span id=\"set-aside\">\(setAside)</span>",
            ],
        ]
        rows.append([
            HTML.escape(w("Lỗi lần trước", "Last error")),
            status.lastError.map {
                "<span class=\"error\" id=\"sync-error\">\(HTML.escape(Self.plainSyncError($0, w)))</span>"
            }
                ?? "<span id=\"sync-error\">\(HTML.escape(w("không có", "none")))</span>",
        ])
        let button =
            hasHub
            ? HTML.form(
                action: "/sync", csrf: session.csrf, id: "sync-form",
                "<button type=\"submit\" id=\"sync-now\" data-busy=\"\(HTML.escape(w("Đang gửi lên huyện và nhận về… (có thể mất một phút)", "Sending to the district and receiving… (may take a minute)")))\">\(HTML.escape(w("Đồng bộ ngay", "Sync now")))</button> <span id=\"sync-progress\" role=\"status\" aria-live=\"polite\"></span>"
            )
            : ""
        return
            "<section aria-labelledby=\"sync\"><h2 id=\"sync\">\(HTML.escape(w("Đồng bộ với huyện", "Sync with the district")))</h2>"
            + "<p id=\"sync-summary\">\(HTML.escape(summary))</p>"
            + HTML.table(head: [w("Mục", "Item"), w("Giá trị", "Value")], rows: rows) + button + "</section>"
    }

    /// A sync failure as a worker reads it: what happened and that nothing is lost, then the
    /// technical words for whoever helps them.
    static func plainSyncError(_ technical: String, _ w: Words) -> String {
        let lower = technical.lowercased()
        let plain: String
        if lower.contains("connect") || lower.contains("timed out") || lower.contains("timeout")
            || lower.contains("network") || lower.contains("host")
        {
            plain = w(
                "Không kết nối được với máy chủ của huyện (mất mạng?).",
                "Could not reach the district's server (no network?).")
        } else {
            plain = w("Huyện chưa nhận được.", "The district did not take it.")
        }
        return plain + " "
            + w("Dữ liệu vẫn an toàn trên máy này; thử lại sau.", "The data is safe on this computer; try again later.")
            + " (" + technical + ")"
    }

    /// Pushes then pulls through the node's backend, and says how it went on the home page, in
    /// words a worker reads: when it reached the district, how many changes went, what is left.
    func syncNow() async -> UIResponse {
        let w = words
        let replica = store.replica
        let filter = LogFilter(onlyOrigin: replica.origin)
        let before = (try? SyncStatus.load(from: replica, pushFilter: filter))?.waiting ?? 0
        let message: String
        do {
            _ = try await app.backend.sync(store)
            audit("sync", nil)
            let after = (try? SyncStatus.load(from: replica, pushFilter: filter))?.waiting ?? 0
            let sent = max(0, before - after)
            let at = Instant.display(Date())
            message =
                w(
                    "Đã gửi lên huyện lúc \(at): \(sent) thay đổi đã gửi",
                    "Sent to the district at \(at): \(sent) changes sent")
                + (after == 0
                    ? w(", không còn gì chờ gửi.", ", nothing left waiting.")
                    : w(", còn \(after) thay đổi chờ lần sau.", ", \(after) still waiting for next time."))
        } catch {
            message =
                w("Chưa gửi lên huyện được. ", "Not sent to the district. ")
                + Self.plainSyncError(String(describing: error), w)
        }
        app.sessions.update(session.token) { $0.flash = message }
        return .redirect("/")
    }
}

import Domain
import Foundation
import SyncCore

/// One request of an unlocked session: the worker, their language, the node's domain.
struct PageContext {
    let app: UIApp
    let session: Session
    let store: DomainStore
    let flash: String?

    var words: Words { Words(language: session.language) }
    var language: Language { session.language }

    func route(_ request: UIRequest) async throws -> UIResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        let method = request.method == "HEAD" ? "GET" : request.method
        // The route's template: literal segments kept, every other one (an id, a position) `:`.
        let ids = parts.filter { !Self.literals.contains($0) }
        let template = parts.map { Self.literals.contains($0) ? $0 : ":" }.joined(separator: "/")
        switch "\(method) /\(template)" {
        case "GET /": return try home()
        case "POST /logout":
            // Every session ends and the replica is let go: the node is locked, not one browser.
            app.sessions.closeAll()
            app.log("lock: every session ended")
            var response = UIResponse.redirect("/")
            response.headers.append(
                ("Set-Cookie", "\(app.sessionCookie)=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"))
            return response
        case "POST /lang":
            let language = request.field("lang").flatMap(Language.init(rawValue:)) ?? .vi
            app.sessions.update(session.token) { $0.language = language }
            return .redirect(request.field("back").flatMap(localPath) ?? "/")
        case "POST /sync": return await syncNow()
        // Typing is activity: the page's script says so at most once a minute (the session was
        // touched on the way here).
        case "POST /alive": return UIResponse(status: 204, headers: [("Cache-Control", "no-store")])
        case "GET /search": return try searchPage()
        case "POST /search":
            let query = request.field("q")
            app.sessions.update(session.token) { $0.query = query }
            return .redirect("/search")
        case "GET /registry": return try registry(village: nil, household: nil)
        case "GET /registry/:": return try registry(village: Int(ids[0]), household: nil)
        case "GET /registry/:/:": return try registry(village: Int(ids[0]), household: Int(ids[1]))
        case "GET /children/:": return try childPage(try recordID(ids[0]))
        case "GET /intakes/new":
            return try intakeForm(
                child: request.query["child"].flatMap(RecordID.init(string:)), values: nil, errors: [:])
        case "POST /intakes": return try await submitIntake(request)
        case "POST /cases": return try await openCase(request)
        case "GET /cases/:": return try casePage(try recordID(ids[0]), failed: nil)
        case "POST /cases/:/act": return try await act(on: try recordID(ids[0]), request)
        case "GET /conflicts": return try conflictsPage(error: nil)
        case "POST /conflicts/resolve": return try await resolve(request)
        case "GET /report": return try reportPage()
        case "GET /activities": return try activitiesPage(values: nil, errors: [:])
        case "POST /activities": return try await addActivity(request)
        default: return notFound()
        }
    }

    static let literals: Set<String> = [
        "logout", "lang", "sync", "search", "registry", "children", "intakes", "new", "cases", "act", "conflicts",
        "resolve", "report", "activities", "alive",
    ]

    func recordID(_ text: String) throws -> RecordID {
        guard let id = RecordID(string: text) else { throw PageNotFound() }
        return id
    }

    /// A path of this site to go back to (never another site's): a browser reads `\` as `/` and
    /// drops tabs and newlines, so `/\evil.example` or `/<tab>/evil.example` would leave the
    /// site; only letters, digits and `/-_.:` are kept.
    func localPath(_ text: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_.:".unicodeScalars)
        guard text.hasPrefix("/"), !text.hasPrefix("//"), text.unicodeScalars.allSatisfy(allowed.contains) else {
            return nil
        }
        return text
    }

    func notFound() -> UIResponse {
        .html(
            layout(
                title: Localized(vi: "Không tìm thấy", en: "Not found"),
                body: "<p>\(HTML.escape(words("Không có trang này.", "There is no such page.")))</p>"), status: 404)
    }

    /// Runs blocking domain work off the cooperative pool.
    func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await app.blocking(work)
    }

    /// The counter of the last change this node made: read before a page's write and given to
    /// `audit(_:_:since:)`, it names exactly the changes the write made.
    func ownCounter() -> UInt64 { (try? store.replica.meta().counter) ?? 0 }

    /// Keeps a line of who did what through the page (sealed at rest with the replica's
    /// settings): the worker, the action and the record's id, never a value; after a write,
    /// the counters of the changes it made (`since` the counter read before it, up to the
    /// counter now), so the conflict view names the worker of exactly those changes.
    /// The trail is read, added to and written back under one lock, so steps taken at the same
    /// moment do not write over each other's line.
    func audit(_ action: String, _ id: RecordID?, since before: UInt64? = nil) {
        let worker = session.worker.replacingOccurrences(of: "\n", with: " ")
        let changes = before.map { " \($0)-\(ownCounter())" } ?? ""
        let line = "\(Instant.format(Date())) \(worker) \(action) \(id?.description ?? "-")\(changes)"
        let replica = store.replica
        app.auditLock.withLock {
            let previous = (try? replica.setting(Self.auditSetting)) ?? nil
            var lines = (previous ?? "").split(separator: "\n").map(String.init)
            lines.append(line)
            try? replica.setSetting(Self.auditSetting, lines.suffix(2_000).joined(separator: "\n"))
        }
    }

    static let auditSetting = "ui.audit"

    // MARK: Layout

    func layout(title: Localized, body: String, current: String = "") -> String {
        let w = words
        let links: [(String, String)] = [
            ("/", w("Việc hôm nay", "Today")), ("/registry", w("Sổ trẻ em", "Registry")),
            ("/search", w("Tìm trẻ", "Find a child")),
            ("/conflicts", w("Xung đột", "Conflicts")), ("/report", w("Chỉ tiêu", "Indicators")),
            ("/activities", w("Hoạt động", "Activities")),
        ]
        let nav = links.map { href, label in
            "<li><a href=\"\(href)\"\(href == current ? " aria-current=\"page\"" : "")>\(HTML.escape(label))</a></li>"
        }.joined()
        let other: Language = language == .vi ? .en : .vi
        let switcher = HTML.form(
            action: "/lang", csrf: session.csrf,
            "<input type=\"hidden\" name=\"lang\" value=\"\(other.rawValue)\"><input type=\"hidden\" name=\"back\" value=\"\(HTML.escape(current.isEmpty ? "/" : current))\"><button type=\"submit\" class=\"link\" lang=\"\(other.rawValue)\">\(other == .en ? "English" : "Tiếng Việt")</button>"
        )
        let logout = HTML.form(
            action: "/logout", csrf: session.csrf,
            "<button type=\"submit\" class=\"link\">\(HTML.escape(w("Khóa", "Lock")))</button>")
        return UIApp.document(
            title: title.text(language), language: language,
            body: """
                <a class="skip" href="#main">\(HTML.escape(w("Tới nội dung", "Skip to content")))</a>
                <header><span class="brand">Tre</span><nav aria-label="\(HTML.escape(w("Trang", "Pages")))"><ul>\(nav)</ul></nav>
                <div class="who"><span>\(HTML.escape(session.worker))</span>\(switcher)\(logout)</div></header>
                <main id="main"><h1>\(HTML.escape(title.text(language)))</h1>\(flash.map { "<p class=\"flash\" role=\"status\">\(HTML.escape($0))</p>" } ?? "")\(body)</main>
                """)
    }
}

struct PageNotFound: Error {}

extension UIApp {
    static func document(title: String, language: Language, body: String) -> String {
        """
        <!doctype html>
        <html lang="\(language.rawValue)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title)) — Tre</title><link rel="stylesheet" href="/assets/tre.css"><script src="/assets/tre.js" defer></script></head>
        <body>\(body)</body></html>
        """
    }

    func unlockPage(_ language: Language, error: String?, ended: Bool = false, code: String? = nil) -> String {
        // The launch code travels from the printed address into the form (hex only: nothing
        // else is echoed).
        let code = code.flatMap { $0.allSatisfy(\.isHexDigit) && $0.count <= 64 ? $0 : nil } ?? ""
        let carried = code.isEmpty ? "" : "<input type=\"hidden\" name=\"code\" value=\"\(code)\">"
        let w = Words(language: language)
        let other: Language = language == .vi ? .en : .vi
        let passphrase =
            backend.asksPassphrase
            ? HTML.field(
                "passphrase", label: w("Mật khẩu bảo vệ dữ liệu", "Passphrase that protects the data"),
                type: "password", required: true, extra: " autocomplete=\"current-password\"") : ""
        let note =
            ended
            ? "<p class=\"flash\" role=\"status\">\(HTML.escape(w("Phiên làm việc đã hết; mở khóa lại.", "The session ended; unlock again.")))</p>"
            : ""
        return Self.document(
            title: w("Mở khóa", "Unlock"), language: language,
            body: """
                <main id="main" class="unlock"><h1>Tre — \(HTML.escape(w("Mở khóa", "Unlock")))</h1>\(note)
                \(error.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
                <form method="post" action="/unlock" autocomplete="off"><input type="hidden" name="lang" value="\(language.rawValue)">\(carried)
                \(HTML.field("worker", label: w("Tên người làm việc", "Your name"), required: true, hint: w("Được ghi cùng mọi thay đổi.", "Recorded with every change."), extra: " autocomplete=\"name\""))
                \(passphrase)<button type="submit">\(HTML.escape(w("Mở khóa", "Unlock")))</button></form>
                <form method="get" action="/"><input type="hidden" name="lang" value="\(other.rawValue)">\(carried)<button type="submit" class="link">\(other == .en ? "English" : "Tiếng Việt")</button></form></main>
                """)
    }
}

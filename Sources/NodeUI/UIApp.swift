public import Domain
public import Foundation
import SyncCore

/// How `tre-node ui` serves: where, and how long a session lasts.
public struct UIConfiguration: Sendable {
    /// The address the page is bound to; requests naming another `Host` are refused.
    public var host: String
    public var port: Int
    /// A session unused this long ends (the worker unlocks again).
    public var idleTimeout: TimeInterval
    /// A session ends this long after it was opened, used or not.
    public var absoluteTimeout: TimeInterval
    /// How often a timer ends the sessions idle or past their limit (and lets the replica go
    /// when none is left), whether or not a request comes.
    public var sweepInterval: TimeInterval

    public init(
        host: String = "127.0.0.1", port: Int = 8_765, idleTimeout: TimeInterval = 900,
        absoluteTimeout: TimeInterval = 8 * 3600, sweepInterval: TimeInterval = 15
    ) {
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.sweepInterval = sweepInterval
    }
}

/// What the page needs from the node that is not the domain's: unlocking its replica, and
/// syncing it. `tre-node ui` gives these from its options; tests give their own.
public struct UIBackend: Sendable {
    /// True when the worker types the passphrase; false when the node's key file was given on
    /// the command line (the page then asks only the worker's name).
    public var asksPassphrase: Bool
    /// Opens the node with the passphrase typed (nil: with the key file), or throws.
    public var unlock: @Sendable (String?) throws -> DomainStore
    /// Pushes then pulls; a sentence saying what was done, or throws.
    public var sync: @Sendable (DomainStore) async throws -> String

    public init(
        asksPassphrase: Bool, unlock: @escaping @Sendable (String?) throws -> DomainStore,
        sync: @escaping @Sendable (DomainStore) async throws -> String
    ) {
        self.asksPassphrase = asksPassphrase
        self.unlock = unlock
        self.sync = sync
    }
}

/// The worker's page: a request in, a response out. Every response carries the security
/// headers; a request naming another host, or a form sent from another origin or without the
/// session's token, is refused before anything is read.
public final class UIApp: Sendable {
    let configuration: UIConfiguration
    let backend: UIBackend
    let sessions: SessionBook
    let log: @Sendable (String) -> Void
    /// `host:port` as the browser names this server (the port it actually listens on).
    let authorityBox: AuthorityBox
    /// Unlocks run here one at a time: each is an scrypt of 128 MiB, so many sent at once must
    /// not run at once (memory), nor guess faster than one core allows.
    let unlockQueue = DispatchQueue(label: "tre.ui.unlock")
    /// Held while the audit trail is read and written back.
    let auditLock = NSLock()
    /// Wrong passphrases for this node, whichever session or address sent them.
    let throttle = UnlockThrottle()
    /// With the key file given on the command line the page asks no secret, so any program of
    /// the machine could unlock it with a name: the unlock form then needs this code, which
    /// `tre-node ui` prints in the address it shows (as a notebook server does) — only who
    /// started the page, or sees its terminal, has it. Nil when the worker types the passphrase.
    public let launchCode: String?

    public init(
        configuration: UIConfiguration, backend: UIBackend, now: @escaping @Sendable () -> Date = { Date() },
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.backend = backend
        self.sessions = SessionBook(
            idleTimeout: configuration.idleTimeout, absoluteTimeout: configuration.absoluteTimeout,
            sweepInterval: configuration.sweepInterval, now: now)
        self.log = log
        self.authorityBox = AuthorityBox(Self.authority(configuration.host, configuration.port))
        var generator = SystemRandomNumberGenerator()
        self.launchCode =
            backend.asksPassphrase
            ? nil : (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Whether `given` is the launch code (compared in constant time), or none is needed.
    func launchCodeMatches(_ given: String?) -> Bool {
        guard let launchCode else { return true }
        let expected = Array(launchCode.utf8)
        let typed = Array((given ?? "").utf8)
        guard typed.count == expected.count else { return false }
        return zip(typed, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Tells the app the port it listens on (when bound to port 0).
    public func listening(port: Int) {
        authorityBox.set(Self.authority(configuration.host, port))
    }

    /// `host:port` as a browser sends it in `Host`: an IPv6 address in brackets.
    public static func authority(_ host: String, _ port: Int) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Whether `Host` names this server. Bound to one address, only that address and port. Bound
    /// to every address (`0.0.0.0`, `::`), the address the browser used, whatever it is, but
    /// only as an IP literal with this port: a DNS rebinding attack needs a name of its own,
    /// which is still refused.
    func acceptsHost(_ host: String?) -> Bool {
        guard let host else { return false }
        if host == authority { return true }
        guard ["0.0.0.0", "::", "[::]"].contains(configuration.host),
            let colon = host.lastIndex(of: ":"),
            host[host.index(after: colon)...] == authority.split(separator: ":").last
        else { return false }
        let address = host[..<colon]
        if address.hasPrefix("[") && address.hasSuffix("]") {
            let inner = address.dropFirst().dropLast()
            return inner.contains(":") && inner.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        let parts = address.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                    && (Int(part) ?? 256) < 256
            }
    }

    public var authority: String { authorityBox.get() }

    /// The session cookie's name carries the port, so the pages of two nodes on two ports do
    /// not overwrite each other's (cookies themselves are sent to every port).
    var sessionCookie: String { "tre_session_" + (authority.split(separator: ":").last.map(String.init) ?? "") }

    /// How many sessions are open now.
    public var openSessions: Int { sessions.openCount }

    public func handle(_ request: UIRequest) async -> UIResponse {
        // `/s/KEY/rest`: the session's key, and the page's own path (what is routed and logged).
        let (pathKey, inner) = Self.splitSessionPath(request.path)
        var request = request
        request.path = inner
        var response = await route(request, pathKey: pathKey)
        response.headers += [
            ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
        ]
        // Method, the path with ids replaced, status: never a name, a query or a form value.
        log("\(request.method) \(Self.template(request.path)) \(response.status)")
        return response
    }

    /// The path as logged: every record id (or number) replaced by `:id`.
    static func template(_ path: String) -> String {
        "/"
            + path.split(separator: "/").map { part in
                RecordID(string: String(part)) != nil || Int(part) != nil ? ":id" : String(part)
            }.joined(separator: "/")
    }

    /// The session key and the rest of a path `/s/KEY/rest`; nil and the path itself otherwise.
    static func splitSessionPath(_ path: String) -> (key: String?, path: String) {
        guard path.hasPrefix("/s/") else { return (nil, path) }
        let rest = path.dropFirst(3)
        let key = rest.prefix { $0 != "/" }
        let remainder = rest.dropFirst(key.count)
        return (String(key), remainder.isEmpty ? "/" : String(remainder))
    }

    /// A session's answer with every address of this site under the session's `/s/KEY` (links
    /// and form actions in its HTML, its redirect), the assets excepted. Values in a page are
    /// escaped (`"` is `&quot;`), so only the page's own attributes match.
    static func rebased(_ response: UIResponse, base: String) -> UIResponse {
        var response = response
        response.headers = response.headers.map { name, value in
            guard name == "Location", value.hasPrefix("/"), !value.hasPrefix("//"), !value.hasPrefix(base + "/")
            else { return (name, value) }
            return (name, base + value)
        }
        guard response.header("Content-Type")?.hasPrefix("text/html") == true else { return response }
        var text = String(decoding: response.body, as: UTF8.self)
        for attribute in ["href", "action"] {
            text = text.replacingOccurrences(of: "\(attribute)=\"/", with: "\(attribute)=\"\(base)/")
                .replacingOccurrences(of: "\(attribute)=\"\(base)/assets/", with: "\(attribute)=\"/assets/")
        }
        response.body = Array(text.utf8)
        return response
    }

    /// A GET that a page of another origin made the browser send — an image, a script, a frame
    /// of 127.0.0.1:9999 (the same *site*: any port) — must not read or keep a session alive.
    /// A browser says so in `Sec-Fetch-Site`; a navigation (a link followed) gets the unlock
    /// page, anything else is refused.
    static func fromAnotherOrigin(_ request: UIRequest) -> Bool {
        guard let site = request.headers["sec-fetch-site"] else { return false }
        return site != "same-origin" && site != "none"
    }

    private func route(_ request: UIRequest, pathKey: String?) async -> UIResponse {
        // DNS rebinding: a page of another site resolving its name to 127.0.0.1 sends its own Host.
        guard acceptsHost(request.headers["host"]) else {
            return .plain("403 host not allowed", status: 403)
        }
        if request.method == "GET" || request.method == "HEAD", let asset = Assets.response(request.path) {
            return asset
        }
        guard ["GET", "HEAD", "POST"].contains(request.method) else {
            return .plain("405 method not allowed", status: 405)
        }
        if request.method == "POST" && !sameOrigin(request) {
            return .plain("403 cross-origin form refused", status: 403)
        }
        if request.method != "POST" && Self.fromAnotherOrigin(request) {
            guard request.headers["sec-fetch-mode"] == "navigate" else {
                return .plain("403 request from another site refused", status: 403)
            }
            return await locked(request, hadSession: false)
        }
        // Every value of the session's cookie is tried (another port's may shadow this one's).
        let tokens = request.cookies(sessionCookie)
        guard let (session, store) = tokens.lazy.compactMap({ self.sessions.session($0, pathKey: pathKey) }).first
        else {
            return await locked(request, hadSession: !tokens.isEmpty && pathKey != nil, inSession: pathKey != nil)
        }
        let answer = await serve(request, session: session, store: store)
        // Locked meanwhile: its addresses lead nowhere, the answer keeps the site's own.
        return sessions.openCount == 0 ? answer : Self.rebased(answer, base: session.base)
    }

    private func serve(_ request: UIRequest, session: Session, store: DomainStore) async -> UIResponse {
        if request.method == "POST" {
            guard let sent = request.field("csrf"), constantTimeEqual(sent, session.csrf) else {
                return .plain("403 form token missing or wrong", status: 403)
            }
        }
        let context = PageContext(
            app: self, session: session, store: store,
            flash: request.method == "GET" ? sessions.takeFlash(session.token) : nil)
        do {
            return try await context.route(request)
        } catch let refusal as DomainRefusal {
            sessions.update(session.token) { $0.flash = refusal.message(session.language) }
            return .redirect("/")
        } catch {
            log("error \(Self.template(request.path)): \(type(of: error))")
            return .html(
                context.layout(
                    title: Localized(vi: "Lỗi", en: "Error"),
                    body:
                        "<p class=\"error\">\(HTML.escape(context.words("Không thực hiện được. Xem nhật ký của máy chủ.", "Could not be done. See the server's log.")))</p>"
                ),
                status: 500)
        }
    }

    /// A form is accepted only from this server's own pages: `Origin` must be this server. Under
    /// `Referrer-Policy: no-referrer` a browser sends `Origin: null` for its own forms, so then
    /// (or with no `Origin` at all) the browser's `Sec-Fetch-Site: same-origin`, or a `Referer`
    /// of this server, must say so. The session's form token is checked besides.
    func sameOrigin(_ request: UIRequest) -> Bool {
        // The Host was accepted (`acceptsHost`): the page's own origin is the one it names.
        let own = "http://\(request.headers["host"] ?? authority)"
        if let origin = request.headers["origin"], origin != "null" { return origin == own }
        if let site = request.headers["sec-fetch-site"] { return site == "same-origin" }
        if let referer = request.headers["referer"] { return referer == own || referer.hasPrefix(own + "/") }
        return false
    }

    /// Without a session: the unlock page, and the unlock form.
    /// A form sent to a session's address (`inSession`) after the session ended is answered
    /// with the unlock page saying so and that what was typed was not saved; nothing of the
    /// form is kept.
    private func locked(_ request: UIRequest, hadSession: Bool, inSession: Bool = false) async -> UIResponse {
        let language: Language =
            (request.field("lang") ?? request.query["lang"]).flatMap(Language.init(rawValue:)) ?? .vi
        if request.method == "POST" && inSession && request.path != "/unlock" {
            let lost =
                request.path == "/alive"
                ? nil
                : Words(language: language)(
                    "Phiên làm việc đã hết (quá lâu không dùng, hoặc máy đã khóa): những gì bạn vừa nhập CHƯA được lưu. Mở khóa lại rồi nhập lại.",
                    "The session ended (idle too long, or the node was locked): what you just typed was NOT saved. Unlock again and type it again."
                )
            return .html(unlockPage(language, error: lost, ended: lost == nil), status: 403)
        }
        if request.method == "POST" && request.path == "/unlock" {
            let worker = request.field("worker").map(Self.workerName).flatMap { $0.isEmpty ? nil : $0 }
            let passphrase = request.form["passphrase"]?.first
            guard let worker, worker.count <= 100 else {
                return .html(
                    unlockPage(
                        language, error: Words(language: language)("Nhập tên của bạn.", "Give your name."),
                        code: request.field("code")),
                    status: 400)
            }
            let code = request.field("code")
            guard launchCodeMatches(code) else {
                return .html(
                    unlockPage(
                        language,
                        error: Words(language: language)(
                            "Mở trang bằng địa chỉ mà `tre-node ui` in ra: địa chỉ đó mang mã của lần chạy này.",
                            "Open the page at the address `tre-node ui` printed: it carries this run's code."),
                        code: nil),
                    status: 403)
            }
            if backend.asksPassphrase && (passphrase ?? "").isEmpty {
                return .html(
                    unlockPage(
                        language, error: Words(language: language)("Nhập mật khẩu.", "Give the passphrase."),
                        code: code),
                    status: 400)
            }
            let (backend, throttle, now) = (self.backend, self.throttle, sessions.now)
            let outcome = try? await blocking(on: unlockQueue) { () -> UnlockOutcome in
                // Checked and counted here, one unlock at a time: forms sent at once all count.
                if let wait = throttle.blocked(at: now()) { return .waiting(wait.failures, wait.until) }
                do {
                    let store = try backend.unlock(backend.asksPassphrase ? passphrase : nil)
                    throttle.succeeded()
                    return .opened(store)
                } catch {
                    return .wrong(backend.asksPassphrase ? throttle.failed(at: now())?.until : nil)
                }
            }
            let words = Words(language: language)
            switch outcome ?? .wrong(nil) {
            case .opened(let store):
                let session = sessions.open(worker: worker, language: language, store: store)
                var response = UIResponse.redirect(session.base + "/")
                response.headers.append(
                    ("Set-Cookie", "\(sessionCookie)=\(session.token); HttpOnly; SameSite=Strict; Path=/"))
                return response
            case .waiting(let failures, let until):
                var response = UIResponse.html(
                    unlockPage(
                        language,
                        error: words(
                            "Đã nhập sai mật khẩu \(failures) lần. Để ngăn người đoán mật khẩu, trang tạm dừng: thử lại sau \(Self.wait(until, from: now(), words)) (lúc \(Self.clock(until))).",
                            "The passphrase was wrong \(failures) times. To stop guessing, the page waits: try again in \(Self.wait(until, from: now(), words)) (at \(Self.clock(until)))."
                        ), code: code),
                    status: 429)
                response.headers.append(("Retry-After", String(Int(until.timeIntervalSince(now()).rounded(.up)))))
                return response
            case .wrong(let until):
                let wait =
                    until.map {
                        words(
                            " Đã sai nhiều lần: thử lại sau \(Self.wait($0, from: now(), words)) (lúc \(Self.clock($0))).",
                            " Wrong several times: try again in \(Self.wait($0, from: now(), words)) (at \(Self.clock($0)))."
                        )
                    } ?? ""
                return .html(
                    unlockPage(
                        language,
                        error: words(
                            "Không mở được dữ liệu: mật khẩu không đúng.", "Could not unlock: the passphrase is wrong.")
                            + wait,
                        code: code),
                    status: 403)
            }
        }
        if request.method == "GET" && request.path == "/" {
            return .html(unlockPage(language, error: nil, ended: hadSession, code: request.query["code"]))
        }
        return .redirect("/")
    }

    enum UnlockOutcome: Sendable {
        case opened(DomainStore)
        /// A wrong passphrase, and when the next try may come if it must wait.
        case wrong(Date?)
        case waiting(Int, Date)
    }

    /// "45 giây", "2 phút": how long until `until`.
    static func wait(_ until: Date, from moment: Date, _ words: Words) -> String {
        let seconds = max(1, Int(until.timeIntervalSince(moment).rounded(.up)))
        if seconds < 60 { return words("\(seconds) giây", "\(seconds) seconds") }
        let minutes = (seconds + 59) / 60
        return words("\(minutes) phút", "\(minutes) minutes")
    }

    /// The moment a wait ends as a worker reads it (`02/12/2026 16:41`, rounded up to the minute).
    static func clock(_ until: Date) -> String {
        Instant.display(Date(timeIntervalSince1970: (until.timeIntervalSince1970 / 60).rounded(.up) * 60))
    }

    /// The name as typed, composed, with every line break and control or format character
    /// (a bidi override) made a space: it goes into every audit line, which it must not split.
    static func workerName(_ typed: String) -> String {
        let unwanted = CharacterSet.controlCharacters.union(.newlines).union(.illegalCharacters)
        let scalars = typed.precomposedStringWithCanonicalMapping.unicodeScalars.map {
            unwanted.contains($0) ? " " : $0
        }
        return String(String.UnicodeScalarView(scalars)).trimmingCharacters(in: .whitespaces)
    }

    /// Runs blocking SQLite (and scrypt) work off the cooperative pool's few threads.
    func blocking<T: Sendable>(
        on queue: DispatchQueue = .global(), _ work: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// The authority the server answers to, set once it listens.
final class AuthorityBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String
    init(_ value: String) { self.value = value }
    func get() -> String { lock.withLock { value } }
    func set(_ new: String) { lock.withLock { value = new } }
}

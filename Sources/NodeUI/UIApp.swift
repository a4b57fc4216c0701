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

    public init(
        host: String = "127.0.0.1", port: Int = 8_765, idleTimeout: TimeInterval = 900,
        absoluteTimeout: TimeInterval = 8 * 3600
    ) {
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
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
            idleTimeout: configuration.idleTimeout, absoluteTimeout: configuration.absoluteTimeout, now: now)
        self.log = log
        self.authorityBox = AuthorityBox("\(configuration.host):\(configuration.port)")
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
        authorityBox.set("\(configuration.host):\(port)")
    }

    public var authority: String { authorityBox.get() }

    static let sessionCookie = "tre_session"

    public func handle(_ request: UIRequest) async -> UIResponse {
        var response = await route(request)
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

    private func route(_ request: UIRequest) async -> UIResponse {
        // DNS rebinding: a page of another site resolving its name to 127.0.0.1 sends its own Host.
        guard request.headers["host"] == authority else {
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
        let token = request.cookie(Self.sessionCookie)
        guard let (session, store) = sessions.session(token) else {
            return await locked(request, hadSession: token != nil)
        }
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
        let own = "http://\(authority)"
        if let origin = request.headers["origin"], origin != "null" { return origin == own }
        if let site = request.headers["sec-fetch-site"] { return site == "same-origin" }
        if let referer = request.headers["referer"] { return referer == own || referer.hasPrefix(own + "/") }
        return false
    }

    /// Without a session: the unlock page, and the unlock form.
    private func locked(_ request: UIRequest, hadSession: Bool) async -> UIResponse {
        let language: Language =
            (request.field("lang") ?? request.query["lang"]).flatMap(Language.init(rawValue:)) ?? .vi
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
            let backend = self.backend
            do {
                let store = try await blocking(on: unlockQueue) {
                    try backend.unlock(backend.asksPassphrase ? passphrase : nil)
                }
                let session = sessions.open(worker: worker, language: language, store: store)
                var response = UIResponse.redirect("/")
                response.headers.append(
                    ("Set-Cookie", "\(Self.sessionCookie)=\(session.token); HttpOnly; SameSite=Strict; Path=/"))
                return response
            } catch {
                return .html(
                    unlockPage(
                        language,
                        error: Words(language: language)(
                            "Không mở được dữ liệu: mật khẩu không đúng.", "Could not unlock: the passphrase is wrong."),
                        code: code),
                    status: 403)
            }
        }
        if request.method == "GET" && request.path == "/" {
            return .html(unlockPage(language, error: nil, ended: hadSession, code: request.query["code"]))
        }
        return .redirect("/")
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

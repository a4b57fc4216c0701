import Foundation
import NodeUI
import TestSupport
import Testing

/// The worker's page served over real HTTP in this process — the same Hummingbird route
/// `tre-node ui` runs — so an attack goes through the sockets, the header parsing and the
/// cookies as a browser's or a local program's would, while the test keeps the app's clock
/// and can see what the app holds. `HTTP.send` is the client: it sends whatever headers a
/// program likes.
final class PageServer: @unchecked Sendable {
    let app: UIApp
    let port: Int
    private let task: Task<Void, any Error>

    private init(app: UIApp, port: Int, task: Task<Void, any Error>) {
        self.app = app
        self.port = port
        self.task = task
    }

    static func start(_ app: UIApp) async throws -> PageServer {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            try await UIServer.run(app: app, host: "127.0.0.1", port: 0) { port in continuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HarnessError("the page did not start") }
        return PageServer(app: app, port: port, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    var cookieName: String { "tre_session_\(port)" }
    var origin: String { "http://127.0.0.1:\(port)" }

    struct Answer {
        let status: Int
        let headers: [String: String]
        let text: String
        var location: String? { headers["location"] }
    }

    /// A request as a program sends it: `Host` this server unless given, a form as the body. The
    /// blocking socket runs on a thread of its own: the page answers on the cooperative pool,
    /// which a blocked test must not hold (2 cores: 2 threads).
    func send(
        _ method: String, _ path: String, cookie: String? = nil, form: [String: String]? = nil,
        headers: [String: String] = [:]
    ) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result { try self.sendBlocking(method, path, cookie: cookie, form: form, headers: headers) })
            }
        }
    }

    private func sendBlocking(
        _ method: String, _ path: String, cookie: String?, form: [String: String]?, headers: [String: String]
    ) throws -> Answer {
        var all = headers
        if let cookie { all["Cookie"] = "\(cookieName)=\(cookie)" }
        var body = Data()
        if let form {
            all["Content-Type"] = "application/x-www-form-urlencoded"
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            body = Data(
                form.map { name, value in
                    "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
                }.joined(separator: "&").utf8)
        }
        let answer = try HTTP.send(method, port: port, path: path, headers: all, body: body)
        return Answer(
            status: answer.status, headers: answer.headers, text: String(decoding: answer.body, as: UTF8.self))
    }

    /// What the worker's own browser holds after unlocking: the cookie, the session's address
    /// (`/s/KEY`) and the form token of its home page.
    struct Worker {
        let cookie: String
        let base: String
        let csrf: String
    }

    /// Unlocks as the worker's browser would (its own origin), and reads the home page.
    func unlock(as worker: String = "Lò Văn Sáng", passphrase: String = "đúng mật khẩu") async throws -> Worker {
        let answer = try await send(
            "POST", "/unlock", form: ["worker": worker, "passphrase": passphrase],
            headers: ["Origin": origin, "Sec-Fetch-Site": "same-origin"])
        guard answer.status == 303, let setCookie = answer.headers["set-cookie"], let location = answer.location
        else { throw HarnessError("unlock answered \(answer.status): \(answer.text)") }
        let cookie = String(setCookie.split(separator: ";")[0].dropFirst(cookieName.count + 1))
        let base = String(location.dropLast())  // "/s/KEY/"
        let home = try await send("GET", base + "/", cookie: cookie, headers: ["Sec-Fetch-Site": "same-origin"])
        guard let csrf = home.text.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/)?.1 else {
            throw HarnessError("no form token on the home page: \(home.status)")
        }
        return Worker(cookie: cookie, base: base, csrf: String(csrf))
    }
}

import Foundation
import TestSupport

/// A small WebDriver client (chromedriver's HTTP + JSON API, on 127.0.0.1), enough to walk the
/// worker's page as a person does: open a page, type, click, read, take a screenshot.
final class WebDriver: @unchecked Sendable {
    let base: URL
    let driver: Process
    var sessionID = ""

    /// Starts chromedriver on a free port and a headless Chromium session of `width`×`height`.
    init(width: Int = 1366, height: Int = 768, log: String) throws {
        guard let chromedriver = Self.which("chromedriver"), let chromium = Self.which("chromium") else {
            throw HarnessError(
                "Chromium and chromedriver are needed for the browser tests and were not found: run scripts/setup (it installs chromium and chromium-driver with apt-get)."
            )
        }
        let port = try freePort()
        base = URL(string: "http://127.0.0.1:\(port)")!
        driver = Process()
        driver.executableURL = URL(fileURLWithPath: chromedriver)
        driver.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1", "--log-path=\(log)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        do {
            try startSession(width: width, height: height, chromium: chromium)
        } catch {
            stopDriver()
            throw error
        }
    }

    private func startSession(width: Int, height: Int, chromium: String) throws {
        let deadline = Date().addingTimeInterval(20)
        while true {
            do {
                try call("GET", "/status")
                break
            } catch {
                guard Date() < deadline else { throw HarnessError("chromedriver did not start at \(base): \(error)") }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": chromium,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--window-size=\(width),\(height)", "--lang=vi", "--no-first-run",
                            "--disable-background-networking", "--disable-extensions",
                        ],
                    ],
                ]
            ]
        ]
        let answer = try call("POST", "/session", capabilities)
        guard let value = answer as? [String: Any], let id = value["sessionId"] as? String else {
            throw HarnessError("chromedriver gave no session: \(answer)")
        }
        sessionID = id
    }

    /// Ends the browser session and stops chromedriver.
    func quit() {
        _ = try? call("DELETE", "/session/\(sessionID)")
        stopDriver()
    }

    /// SIGKILL, once the browser is closed: chromedriver inherits the test runner's blocked
    /// signals and would ignore SIGTERM.
    private func stopDriver() {
        if driver.isRunning {
            kill(driver.processIdentifier, SIGKILL)
            driver.waitUntilExit()
        }
    }

    static func which(_ name: String) -> String? {
        for folder in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
            let path = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    // MARK: Commands

    func go(_ url: String) throws { _ = try session("POST", "/url", ["url": url]) }
    var url: String { get throws { try session("GET", "/url") as? String ?? "" } }
    var title: String { get throws { try session("GET", "/title") as? String ?? "" } }
    var source: String { get throws { try session("GET", "/source") as? String ?? "" } }

    /// The element `css` selects (waits up to 5 s for it).
    func find(_ css: String) throws -> String {
        let deadline = Date().addingTimeInterval(5)
        while true {
            if let value = try? session("POST", "/element", ["using": "css selector", "value": css]) as? [String: Any],
                let id = value.values.first as? String
            {
                return id
            }
            guard Date() < deadline else { throw HarnessError("no element \(css) on \((try? url) ?? "?")") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func click(_ css: String) throws { _ = try session("POST", "/element/\(try find(css))/click", [:]) }

    func type(_ css: String, _ text: String) throws {
        let element = try find(css)
        _ = try session("POST", "/element/\(element)/clear", [:])
        _ = try session("POST", "/element/\(element)/value", ["text": text])
    }

    func text(_ css: String) throws -> String {
        try session("GET", "/element/\(try find(css))/text") as? String ?? ""
    }

    /// The text of `css` once it contains `expected` (a click that submits a form returns before
    /// the next page is in); after `timeout` seconds, the text as it is.
    func text(_ css: String, containing expected: String, timeout: TimeInterval = 15) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let text = (try? self.text(css)) ?? ""
            if text.contains(expected) || Date() > deadline { return text }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// The title once it is `expected` (or after `timeout` seconds, as it is).
    func title(becoming expected: String, timeout: TimeInterval = 15) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let title = (try? self.title) ?? ""
            if title == expected || Date() > deadline { return title }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// The visible text of the page's main part.
    var mainText: String { get throws { try text("main") } }

    func script(_ body: String) throws -> Any {
        try session("POST", "/execute/sync", ["script": body, "args": []])
    }

    func windowSize(width: Int, height: Int) throws {
        _ = try session("POST", "/window/rect", ["width": width, "height": height])
    }

    /// Presses Tab `times` and gives the focused element's tag and text.
    func tab(_ times: Int = 1) throws -> String {
        for _ in 0..<times {
            _ = try session(
                "POST", "/actions",
                [
                    "actions": [
                        [
                            "type": "key", "id": "kb",
                            "actions": [
                                ["type": "keyDown", "value": "\u{E004}"], ["type": "keyUp", "value": "\u{E004}"],
                            ],
                        ]
                    ]
                ])
        }
        return try script("var e=document.activeElement;return e.tagName+' '+(e.textContent||e.value||'').trim()")
            as? String ?? ""
    }

    /// Saves a PNG of the window.
    func screenshot(to path: String) throws {
        guard let base64 = try session("GET", "/screenshot") as? String, let data = Data(base64Encoded: base64) else {
            throw HarnessError("no screenshot")
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    // MARK: Wire

    private func session(_ method: String, _ path: String, _ body: Any? = nil) throws -> Any {
        try call(method, "/session/\(sessionID)" + path, body)
    }

    @discardableResult
    private func call(_ method: String, _ path: String, _ body: Any? = nil) throws -> Any {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let port = base.port!
        let (status, _, answer) = try HTTP.send(
            method, port: port, path: path, headers: data == nil ? [:] : ["Content-Type": "application/json"],
            body: data ?? Data())
        let object = try JSONSerialization.jsonObject(with: answer.isEmpty ? Data("{}".utf8) : answer)
        let value = (object as? [String: Any])?["value"] ?? NSNull()
        guard status < 300 else { throw HarnessError("WebDriver \(method) \(path): \(status) \(value)") }
        return value
    }
}

/// Plain HTTP/1.1 to 127.0.0.1 over a socket (tests only). Not URLSession: chromedriver writes
/// headers without a space after the colon, which FoundationNetworking refuses; and a test
/// must choose the `Host` and `Origin` it sends.
enum HTTP {
    static func send(
        _ method: String, port: Int, path: String, headers: [String: String] = [:], body: Data = Data()
    ) throws -> (status: Int, headers: [String: String], body: Data) {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw HarnessError("no socket") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw HarnessError("cannot connect to 127.0.0.1:\(port)") }
        var head = "\(method) \(path) HTTP/1.1\r\n"
        var all = ["Host": "127.0.0.1:\(port)", "Connection": "close", "Content-Length": String(body.count)]
        for (name, value) in headers { all[name] = value }
        for (name, value) in all { head += "\(name): \(value)\r\n" }
        let request = Data((head + "\r\n").utf8) + body
        try request.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let count = Foundation.send(socket, bytes.baseAddress! + sent, bytes.count - sent, 0)
                guard count > 0 else { throw HarnessError("send failed") }
                sent += count
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response.append(contentsOf: buffer[0..<count])
            if let complete = parse(response), complete.body.count >= complete.length { break }
        }
        guard let parsed = parse(response) else { throw HarnessError("no HTTP answer from 127.0.0.1:\(port)\(path)") }
        return (parsed.status, parsed.headers, parsed.body.prefix(parsed.length))
    }

    private static func parse(_ data: Data) -> (status: Int, headers: [String: String], body: Data, length: Int)? {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let body = Data(data[end.upperBound...])
        return (status, headers, body, Int(headers["content-length"] ?? "") ?? body.count)
    }
}

/// A port nothing listens on now (bound then released).
func freePort() throws -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw HarnessError("no socket") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
        }
    }
    guard bound else { throw HarnessError("cannot bind a port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

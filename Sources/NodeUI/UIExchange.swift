import Foundation

/// One request to the page as the app sees it once HTTP has carried it: the method, the path,
/// the headers (lower-case names) and, for a POST, the form's fields. The Hummingbird route only
/// carries bytes in and out, so tests drive the app in process too.
public struct UIRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var form: [String: [String]]

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
        form: [String: [String]] = [:]
    ) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { $1 }
        self.form = form
    }

    /// The first value of a form field, trimmed; nil when absent or empty.
    func field(_ name: String) -> String? {
        guard let value = form[name]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            return nil
        }
        return value
    }

    /// Every value of a form field (checkboxes, repeated rows), in order, including empty ones.
    func fields(_ name: String) -> [String] { form[name] ?? [] }

    /// The cookie `name`, if sent (the first of that name).
    func cookie(_ name: String) -> String? { cookies(name).first }

    /// Every value of the cookie `name`, in the order sent (at most 16). A page of another port
    /// of the same host may set a cookie of the same name with a longer path, which the browser
    /// then sends first: each value is tried, not only the first.
    func cookies(_ name: String) -> [String] {
        var values: [String] = []
        for part in (headers["cookie"] ?? "").split(separator: ";") where values.count < 16 {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0] == name { values.append(pair[1]) }
        }
        return values
    }

    /// `application/x-www-form-urlencoded` decoded: `+` is a space, then percent-decoding.
    public static func decodeForm(_ body: [UInt8]) -> [String: [String]] {
        var form: [String: [String]] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            guard !name.isEmpty else { continue }
            form[name, default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
        return form
    }
}

/// What the app answers.
public struct UIResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func html(_ text: String, status: Int = 200) -> UIResponse {
        UIResponse(
            status: status, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
            body: Array(text.utf8))
    }

    /// Post/redirect/get: a form's answer sends the browser to a page to GET.
    static func redirect(_ location: String) -> UIResponse {
        UIResponse(status: 303, headers: [("Location", location), ("Cache-Control", "no-store")])
    }

    static func plain(_ text: String, status: Int) -> UIResponse {
        UIResponse(
            status: status, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")],
            body: Array(text.utf8))
    }

    /// The first value of header `name` (any case).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

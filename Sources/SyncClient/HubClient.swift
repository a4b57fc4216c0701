public import Foundation
public import SyncCore

/// Why a sync with the hub did not complete. `exitCode` is what `tre-node` exits with.
public enum SyncFailure: Error, CustomStringConvertible, Sendable {
    /// No answer: the link is down or the hub is not running. Retry later.
    case unreachable(String)
    /// The hub answered and refused: retrying the same thing will not help.
    case refused(status: Int, code: String, message: String, hint: String)
    /// The hub answered something this program cannot use.
    case protocolViolation(String)

    public var exitCode: Int32 {
        switch self {
        case .unreachable: 2
        case .refused, .protocolViolation: 3
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let reason): "the hub is unreachable: \(reason)"
        case .refused(let status, let code, let message, _): "the hub refused (\(status) \(code)): \(message)"
        case .protocolViolation(let reason): "the hub's answer is unusable: \(reason)"
        }
    }

    public var hint: String {
        switch self {
        case .unreachable: "Check the link and that the hub is running; nothing was lost, sync again later."
        case .refused(_, _, _, let hint): hint
        case .protocolViolation: "Check that the hub runs a matching version of Tre."
        }
    }
}

/// One HTTP answer.
public struct HubResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]
    /// The hub signed this answer to this request with the enrolment key.
    public var verified = false

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// One request as `HubClient` made it: signed, with its headers, ready to carry.
public struct HubRequest: Sendable {
    public let method: String
    /// The path and query, relative to the hub's base URL (what the signature covers).
    public let pathAndQuery: String
    public let headers: [String: String]
    public let body: [UInt8]

    public init(method: String, pathAndQuery: String, headers: [String: String], body: [UInt8]) {
        self.method = method
        self.pathAndQuery = pathAndQuery
        self.headers = headers
        self.body = body
    }
}

/// Carries a signed request to the hub and its answer back, and nothing more: signing,
/// checking the answer's signature, the clock and refusals stay in `HubClient`. The programs use
/// HTTP (`HTTPTransport`); a test can put a hub in the same process behind it, so the client's
/// whole logic runs against the real hub code without a socket.
public protocol HubTransport: Sendable {
    /// The hub's answer, whatever its status; throws `SyncFailure.unreachable` when none came.
    func exchange(_ request: HubRequest) async throws(SyncFailure) -> HubResponse
}

/// Talks to a hub, over HTTP (`HTTPTransport`) unless given another transport, signing every request with the
/// enrolment key and correcting for a wrong local clock from the hub's answers.
public final class HubClient: @unchecked Sendable {
    public let baseURL: URL
    public let origin: OriginID
    let key: PeerKey
    let time: any TimeSource
    let transport: any HubTransport
    private let lock = NSLock()
    private var offsetMillis: Int64
    /// Bytes sent and received in request and response bodies, for reports and tests.
    private var counters = (sent: 0, received: 0)

    /// `transport` nil: HTTP to `baseURL`.
    public init(
        baseURL: URL, origin: OriginID, key: PeerKey, time: any TimeSource, clockOffsetMillis: Int64 = 0,
        transport: (any HubTransport)? = nil
    ) {
        self.baseURL = baseURL
        self.origin = origin
        self.key = key
        self.time = time
        self.offsetMillis = clockOffsetMillis
        self.transport = transport ?? HTTPTransport(baseURL: baseURL)
    }

    /// How far the hub's clock is ahead of this machine's, as last seen.
    public var clockOffsetMillis: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return offsetMillis
    }

    public var bodyBytes: (sent: Int, received: Int) {
        lock.lock()
        defer { lock.unlock() }
        return counters
    }

    /// Sends a signed request and checks the hub's signature of the answer. A refusal for
    /// clock skew is retried once with the time that refusal gives (it cannot be signed: the
    /// request did not authenticate), but only a signed answer's time is kept.
    public func send(
        _ method: String, _ path: String, query: String? = nil, body: [UInt8] = [], contentType: String? = nil
    )
        async throws(SyncFailure) -> HubResponse
    {
        var response = try await sendOnce(method, path, query: query, body: body, contentType: contentType)
        if response.status == 401, let answer = try? JSONDecoder().decode(ErrorAnswer.self, from: Data(response.body)) {
            if answer.error == "clock_skew",
                let hubTime = response.header(RequestSignature.hubTimeHeader).flatMap(Int64.init)
            {
                response = try await sendOnce(
                    method, path, query: query, body: body, contentType: contentType,
                    offset: Self.offset(hubTime: hubTime, localNow: time.nowMillis()))
            } else if answer.error == "replayed" {
                // This client never sends a nonce twice, but the transport may: libcurl sends a
                // request again on a new connection when the kept one dies before any answer,
                // and if the hub had received it, the copy is refused as a replay. Once more
                // with a new nonce is safe: a push sent again is only duplicates, a pull reads.
                response = try await sendOnce(method, path, query: query, body: body, contentType: contentType)
            }
        }
        guard (200..<300).contains(response.status) || response.status == 409 else {
            throw Self.refusal(response)
        }
        guard response.verified else {
            // Damaged on the way, or not from the hub: either way nothing in it can be used.
            throw .unreachable("the hub's answer does not carry a valid signature (damaged or altered on the way)")
        }
        return response
    }

    /// How far the hub's clock is ahead of this machine's, bounded so no answer can make the
    /// arithmetic overflow (a hub more than ten years off is not a clock to follow).
    static func offset(hubTime: Int64, localNow: UInt64) -> Int64 {
        let bound: Int64 = 10 * 366 * 86_400_000
        let local = Int64(clamping: localNow)
        let (difference, overflow) = hubTime.subtractingReportingOverflow(local)
        if overflow { return hubTime < 0 ? -bound : bound }
        return min(max(difference, -bound), bound)
    }

    struct ErrorAnswer: Decodable {
        let error: String
        let message: String?
        let hint: String?
    }

    static func refusal(_ response: HubResponse) -> SyncFailure {
        if let answer = try? JSONDecoder().decode(ErrorAnswer.self, from: Data(response.body)) {
            return .refused(
                status: response.status, code: answer.error, message: answer.message ?? answer.error,
                hint: answer.hint ?? "See the hub's log.")
        }
        return .refused(
            status: response.status, code: "http_\(response.status)", message: "HTTP \(response.status)",
            hint: "See the hub's log.")
    }

    private func sendOnce(
        _ method: String, _ path: String, query: String?, body: [UInt8], contentType: String?, offset: Int64? = nil
    )
        async throws(SyncFailure) -> HubResponse
    {
        let pathAndQuery = query.map { "\(path)?\($0)" } ?? path
        let local = Int64(clamping: time.nowMillis())
        let now = UInt64(clamping: local.addingReportingOverflow(offset ?? clockOffsetMillis).partialValue)
        let signed = RequestSignature.headers(
            origin: origin, key: key, method: method, pathAndQuery: pathAndQuery, timeMillis: now, body: body)
        var headers = signed
        if let contentType { headers["Content-Type"] = contentType }
        var response = try await transport.exchange(
            HubRequest(method: method, pathAndQuery: pathAndQuery, headers: headers, body: body))
        let hubTime = response.header(RequestSignature.hubTimeHeader) ?? ""
        response.verified =
            response.header(RequestSignature.responseSignatureHeader).map { signature in
                RequestSignature.verifyResponse(
                    key: key, signature: signature, nonce: signed[RequestSignature.nonceHeader] ?? "",
                    status: response.status, hubTime: hubTime,
                    epoch: response.header(RequestSignature.logEpochHeader) ?? "",
                    acknowledged: response.header(RequestSignature.acknowledgedHeader) ?? "", body: response.body)
            } ?? false
        let localNow = time.nowMillis()
        lock.withLock {
            counters.sent += body.count
            counters.received += response.body.count
            if response.verified, let hubTime = Int64(hubTime) {
                offsetMillis = Self.offset(hubTime: hubTime, localNow: localNow)
            }
        }
        return response
    }

    /// What a hub answers an enrolment.
    public struct Enrolment: Codable, Sendable {
        /// The origin the hub assigned to the new replica.
        public let origin: String
        public let unit: String
        public let unitName: String
        public let key: String
        public let hubOrigin: String
        public let hubUnit: String

        enum CodingKeys: String, CodingKey {
            case origin, unit, key
            case unitName = "unit_name"
            case hubOrigin = "hub_origin"
            case hubUnit = "hub_unit"
        }
    }

    /// Uses a one-time enrolment code (unsigned: the code is the credential). The code fixes
    /// the unit and the kind; `kind` and, when given, `unit` must be the code's, or the hub
    /// refuses and the code stays unused. The hub assigns the new replica's origin.
    public static func enrol(baseURL: URL, code: String, kind: String, name: String, unit: String? = nil)
        async throws(SyncFailure) -> Enrolment
    {
        var body = ["code": code, "kind": kind, "name": name]
        if let unit { body["unit"] = unit }
        let request = HubRequest(
            method: "POST", pathAndQuery: "/v1/enrol", headers: ["Content-Type": "application/json"],
            body: Array((try? JSONEncoder().encode(body)) ?? Data()))
        let response = try await HTTPTransport(baseURL: baseURL).exchange(request)
        guard response.status == 200 else { throw refusal(response) }
        do {
            return try JSONDecoder().decode(Enrolment.self, from: Data(response.body))
        } catch {
            throw .protocolViolation("enrolment answer: \(error)")
        }
    }
}

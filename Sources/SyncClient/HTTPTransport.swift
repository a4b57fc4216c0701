import CCurl
import Dispatch
public import Foundation

/// How long an exchange with a hub may take and how much of an answer is read.
public struct HTTPLimits: Sendable, Equatable {
    /// Seconds to open the connection (TCP, and TLS for https).
    public var connectSeconds = 30
    /// Seconds with no byte moving either way before the exchange is given up: a link that
    /// stalls, or a hub that never answers. A slow link that keeps moving is never cut.
    public var stallSeconds = 60
    /// Seconds for one whole exchange, however slowly it moves.
    public var totalSeconds = 30 * 60
    /// The most an answer's body may be: a hub's largest answer (a pull page, at most 4 MiB
    /// before compression) stays well under it; more is refused before it can exhaust memory.
    public var maxBodyBytes = 8 << 20
    /// The most an answer's status line and headers may be, all together. libcurl itself refuses
    /// a single header line over 100 KiB (`CURL_MAX_HTTP_HEADER`), which is reported as this cap.
    public var maxHeaderBytes = 64 << 10

    public init() {}
}

/// HTTP to a hub with libcurl's easy API: one easy handle for this transport's life, so the
/// requests of a sync ride one kept-alive connection (libcurl reopens it when the link dropped
/// it; it drops one left idle for two minutes). Requests go out one at a time, each on a thread of
/// its own queue, never on Swift's cooperative threads. Only http and https, no redirect
/// followed, TLS verified against the system's trust store, no `Expect: 100-continue`.
public final class HTTPTransport: HubTransport, @unchecked Sendable {
    public let baseURL: URL
    public let limits: HTTPLimits
    private let queue = DispatchQueue(label: "tre.http-transport")
    /// Used on `queue` only.
    private let handle: CurlEasy

    /// `trace` receives libcurl's own notes on the connection (which it opens, reuses, finds
    /// dead or closes, and why), never a header or a body: for diagnosing a link.
    public init(baseURL: URL, limits: HTTPLimits = HTTPLimits(), trace: (@Sendable (String) -> Void)? = nil) {
        self.baseURL = baseURL
        self.limits = limits
        self.handle = CurlEasy(limits: limits, trace: trace.map(CurlTrace.init))
    }

    public func exchange(_ request: HubRequest) async throws(SyncFailure) -> HubResponse {
        guard let url = URL(string: request.pathAndQuery, relativeTo: baseURL)?.absoluteURL,
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil
        else {
            throw .protocolViolation("bad URL \(baseURL)\(request.pathAndQuery)")
        }
        let transfer = CurlTransfer(limits: limits)
        let result: Result<HubResponse, SyncFailure> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async {
                    continuation.resume(returning: self.handle.perform(request, url: url.absoluteString, transfer))
                }
            }
        } onCancel: {
            transfer.cancel()
        }
        return try result.get()
    }
}

/// What one exchange gathers from libcurl's callbacks, and why it stopped it, if it did.
final class CurlTransfer: @unchecked Sendable {
    let limits: HTTPLimits
    var status = 0
    var headers: [(name: String, value: String)] = []
    var headerBytes = 0
    /// Whether the blank line that ends the answer's headers came.
    var headersEnded = false
    var body: [UInt8] = []
    /// The sockets of the easy handle running this transfer: the connection it rides is one.
    var sockets: SocketBook?
    /// Set by a callback that stopped the transfer: what to report instead of libcurl's code.
    var failure: SyncFailure?
    var lastMoved = ContinuousClock.now
    var moved = 0
    private let lock = NSLock()
    private var cancelled = false

    init(limits: HTTPLimits) { self.limits = limits }

    func cancel() { lock.withLock { cancelled = true } }
    var isCancelled: Bool { lock.withLock { cancelled } }

    /// One header line as libcurl hands it over (the status line, each field, the blank end).
    func header(_ line: UnsafeRawBufferPointer) -> Bool {
        headerBytes += line.count
        guard headerBytes <= limits.maxHeaderBytes else {
            failure = Self.headersTooLarge(limits)
            return false
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("HTTP/") {
            // A new answer (after an interim one, or on a connection opened again): start afresh.
            headers = []
            body = []
            headersEnded = false
        } else if text.isEmpty {
            headersEnded = true
        } else if let colon = text.firstIndex(of: ":") {
            let name = String(text[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
        }
        return true
    }

    func received(_ data: UnsafeRawBufferPointer) -> Bool {
        guard body.count + data.count <= limits.maxBodyBytes else {
            failure = Self.tooLarge(limits)
            return false
        }
        body.append(contentsOf: data)
        return true
    }

    static func headersTooLarge(_ limits: HTTPLimits) -> SyncFailure {
        .protocolViolation("the answer's headers are over \(limits.maxHeaderBytes) bytes")
    }

    static func tooLarge(_ limits: HTTPLimits) -> SyncFailure {
        .protocolViolation("the answer is over \(limits.maxBodyBytes) bytes, more than any hub's answer")
    }

    /// Called by libcurl about once a second and whenever bytes move: false stops the transfer.
    /// `bodies` is the body bytes libcurl counts both ways. The answer's headers count as moving
    /// too (libcurl leaves them out): on a slow link an answer's first seconds are its headers,
    /// and a hub sending them is not stalled. libcurl hands them over a whole line at a time, so
    /// the bytes the connection's socket received (`tre_socket_bytes_received`: the kernel's
    /// count, on Linux) are counted besides: a long header line dripped slowly is moving too.
    func progress(_ bodies: Int) -> Bool {
        let total = bodies + headerBytes + max(0, Int(socketBytesReceived()))
        if isCancelled {
            failure = .unreachable("the sync was cancelled")
            return false
        }
        let now = ContinuousClock.now
        if total != moved {
            moved = total
            lastMoved = now
        } else if now - lastMoved > .seconds(limits.stallSeconds) {
            failure = .unreachable("no byte moved for \(limits.stallSeconds) s (the stall timeout)")
            return false
        }
        return true
    }

    /// What the kernel counts as received on the handle's open sockets (the transfer's
    /// connection among them); 0 when unknown (no connection yet, or not Linux).
    func socketBytesReceived() -> Int64 {
        (sockets?.open ?? []).reduce(0) { $0 + max(0, Int64(tre_socket_bytes_received($1))) }
    }
}

/// Where libcurl's notes go (`CURLINFO_TEXT` only).
final class CurlTrace: Sendable {
    let note: @Sendable (String) -> Void
    init(_ note: @escaping @Sendable (String) -> Void) { self.note = note }
}

/// The sockets libcurl opened for an easy handle and has not closed yet: its kept connection,
/// and one being opened. (libcurl's `CURLINFO_ACTIVESOCKET` answers only between transfers.)
final class SocketBook: @unchecked Sendable {
    private let lock = NSLock()
    private var sockets: Set<curl_socket_t> = []

    var open: Set<curl_socket_t> { lock.withLock { sockets } }
    func opened(_ socket: curl_socket_t) { lock.withLock { _ = sockets.insert(socket) } }
    func closed(_ socket: curl_socket_t) { lock.withLock { _ = sockets.remove(socket) } }
}

/// One libcurl easy handle and the options every exchange shares.
final class CurlEasy {
    private static let globalInit: Bool = tre_curl_global_init() == CURLE_OK
    /// Where a CA bundle usually is, for a libcurl built without a default (FoundationNetworking
    /// looked in the same places).
    static let caBundles = [
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
        "/usr/share/ssl/certs/ca-bundle.crt", "/usr/local/share/certs/ca-root-nss.crt", "/etc/ssl/cert.pem",
    ]

    let raw: UnsafeMutableRawPointer?
    let limits: HTTPLimits
    let sockets = SocketBook()
    let trace: CurlTrace?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    init(limits: HTTPLimits, trace: CurlTrace? = nil) {
        _ = Self.globalInit
        self.limits = limits
        self.trace = trace
        raw = curl_easy_init()
        guard let raw else { return }
        // Many threads, no signals (a signal would be how libcurl times out name lookups).
        tre_curl_setopt_long(raw, CURLOPT_NOSIGNAL, 1)
        tre_curl_setopt_pointer(raw, CURLOPT_PROTOCOLS_STR, "http,https")
        tre_curl_setopt_long(raw, CURLOPT_FOLLOWLOCATION, 0)
        // TLS: the peer's certificate chain checked against the trust store, and its name.
        tre_curl_setopt_long(raw, CURLOPT_SSL_VERIFYPEER, 1)
        tre_curl_setopt_long(raw, CURLOPT_SSL_VERIFYHOST, 2)
        var caInfo: UnsafeMutablePointer<CChar>?
        if tre_curl_getinfo_string(raw, CURLINFO_CAINFO, &caInfo) != CURLE_OK || caInfo == nil,
            let bundle = Self.caBundles.first(where: { Self.isFile($0) })
        {
            tre_curl_setopt_pointer(raw, CURLOPT_CAINFO, bundle)
        }
        tre_curl_setopt_long(raw, CURLOPT_CONNECTTIMEOUT, limits.connectSeconds)
        tre_curl_setopt_long(raw, CURLOPT_TIMEOUT, limits.totalSeconds)
        // An answer that announces more than the cap is refused before its body is read.
        tre_curl_setopt_offset(raw, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limits.maxBodyBytes))
        tre_curl_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer)
        tre_curl_setopt_long(raw, CURLOPT_NOPROGRESS, 0)
        tre_curl_setopt_write(raw, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.header(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }
        tre_curl_setopt_write(raw, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.received(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }
        if let trace {
            tre_curl_setopt_long(raw, CURLOPT_VERBOSE, 1)
            tre_curl_setopt_pointer(raw, CURLOPT_DEBUGDATA, Unmanaged.passUnretained(trace).toOpaque())
            tre_curl_setopt_debug(raw) { _, kind, data, size, context in
                guard kind == CURLINFO_TEXT, let data, let context else { return 0 }
                let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
                Unmanaged<CurlTrace>.fromOpaque(context).takeUnretainedValue().note(text)
                return 0
            }
        }
        // Every socket libcurl opens and closes, noted (the stall timer asks what each received).
        let book = Unmanaged.passUnretained(sockets).toOpaque()
        tre_curl_setopt_pointer(raw, CURLOPT_SOCKOPTDATA, book)
        tre_curl_setopt_pointer(raw, CURLOPT_CLOSESOCKETDATA, book)
        tre_curl_setopt_sockopt(raw) { context, socket, _ in
            Unmanaged<SocketBook>.fromOpaque(context!).takeUnretainedValue().opened(socket)
            return CURL_SOCKOPT_OK
        }
        tre_curl_setopt_closesocket(raw) { context, socket in
            Unmanaged<SocketBook>.fromOpaque(context!).takeUnretainedValue().closed(socket)
            return close(socket)
        }
        tre_curl_setopt_xferinfo(raw) { context, _, downloaded, _, uploaded in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.progress(downloaded + uploaded) ? 0 : 1
        }
    }

    deinit {
        if let raw { curl_easy_cleanup(raw) }
        errorBuffer.deallocate()
    }

    static func isFile(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && !directory.boolValue
    }

    /// One request and its answer; libcurl keeps the connection for the next one.
    func perform(_ request: HubRequest, url: String, _ transfer: CurlTransfer) -> Result<HubResponse, SyncFailure> {
        guard let raw else { return .failure(.unreachable("libcurl could not start a transfer")) }
        tre_curl_setopt_pointer(raw, CURLOPT_URL, url)
        if request.method == "GET" && request.body.isEmpty {
            tre_curl_setopt_long(raw, CURLOPT_HTTPGET, 1)
        } else {
            tre_curl_setopt_long(raw, CURLOPT_POST, 1)
            tre_curl_setopt_offset(raw, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            // Copied by libcurl, which can then send it again on a new connection when a kept
            // one turns out dead under the request.
            if request.body.isEmpty {
                tre_curl_setopt_pointer(raw, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                request.body.withUnsafeBytes { bytes in
                    _ = tre_curl_setopt_pointer(raw, CURLOPT_COPYPOSTFIELDS, bytes.baseAddress)
                }
            }
        }
        if request.method == "GET" || request.method == "POST" {
            tre_curl_setopt_pointer(raw, CURLOPT_CUSTOMREQUEST, nil)
        } else {
            tre_curl_setopt_pointer(raw, CURLOPT_CUSTOMREQUEST, request.method)
        }
        var fields = request.headers.map { "\($0.key): \($0.value)" }
        // No `Expect: 100-continue` (a round trip lost on every push), no `Accept: */*`, and no
        // form content type on a POST that names none.
        fields += ["Expect:", "Accept:"]
        if !request.headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            fields.append("Content-Type:")
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for field in fields { list = curl_slist_append(list, field) }
        defer { curl_slist_free_all(list) }
        tre_curl_setopt_pointer(raw, CURLOPT_HTTPHEADER, list)
        transfer.sockets = sockets
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        tre_curl_setopt_pointer(raw, CURLOPT_HEADERDATA, context)
        tre_curl_setopt_pointer(raw, CURLOPT_WRITEDATA, context)
        tre_curl_setopt_pointer(raw, CURLOPT_XFERINFODATA, context)
        errorBuffer[0] = 0
        let code = withExtendedLifetime(transfer) { curl_easy_perform(raw) }
        tre_curl_setopt_pointer(raw, CURLOPT_HTTPHEADER, nil)
        guard code == CURLE_OK else {
            if let failure = transfer.failure { return .failure(failure) }
            // libcurl keeps a header line until it ends, and gives up with "out of memory" past
            // 100 KiB: a line that long is over the headers' cap, and said so.
            if code == CURLE_OUT_OF_MEMORY && !transfer.headersEnded {
                return .failure(CurlTransfer.headersTooLarge(limits))
            }
            return .failure(failure(code, connected: Self.connected(raw)))
        }
        var status = 0
        tre_curl_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &status)
        var headers: [String: String] = [:]
        for (name, value) in transfer.headers {
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        return .success(HubResponse(status: status, headers: headers, body: transfer.body))
    }

    /// Whether the transfer reached a server (libcurl knows the address it connected to).
    static func connected(_ raw: UnsafeMutableRawPointer) -> Bool {
        var address: UnsafeMutablePointer<CChar>?
        return tre_curl_getinfo_string(raw, CURLINFO_PRIMARY_IP, &address) == CURLE_OK
            && address.map { $0[0] != 0 } == true
    }

    /// What libcurl's code means for the sync: the link (retry later) or something unusable.
    /// `connected`: a server was reached, so a protocol libcurl does not take is its answer's.
    func failure(_ code: CURLcode, connected: Bool) -> SyncFailure {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_FILESIZE_EXCEEDED:
            return CurlTransfer.tooLarge(limits)
        case CURLE_UNSUPPORTED_PROTOCOL where connected, CURLE_WEIRD_SERVER_REPLY:
            // Garbage, an HTTP/0.9 answer (a status line never came), another protocol's
            // greeting on that port: no hub answered.
            return .protocolViolation(
                "the answer is not HTTP (\(detail)): is the address the hub's, and its port the hub's?")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .protocolViolation("the hub's address cannot be used: \(detail)")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CONNECT_ERROR:
            return .unreachable("TLS with the hub failed: \(detail)")
        case CURLE_OPERATION_TIMEDOUT:
            return .unreachable("timed out: \(detail)")
        case CURLE_GOT_NOTHING:
            return .unreachable("the connection closed before any answer (\(detail))")
        default:
            return .unreachable(detail)
        }
    }
}

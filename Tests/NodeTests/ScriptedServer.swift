import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 server on 127.0.0.1 that misbehaves as a test tells it to, request by request:
/// answers and keeps the connection, closes before answering, never answers, drips an answer,
/// streams a body without end, or relays to a real hub and drips the hub's answer back. It keeps
/// every request it read, with the number of the connection it came on.
final class ScriptedServer: @unchecked Sendable {
    enum Action: Sendable {
        /// A whole answer, the connection kept for the next request.
        case answer(status: Int, headers: [String: String], body: [UInt8])
        /// An orderly close (FIN) with no answer at all.
        case closeBeforeAnswer
        /// Nothing, until the server stops.
        case stall
        /// `head` (status line and headers, blank line included), then `bodyBytes` bytes as fast
        /// as the client takes them, until it stops taking them.
        case stream(head: String, bodyBytes: Int)
        /// The request sent on to a server on `port`, whose answer goes back in `pieces`
        /// pieces, `gap` seconds apart.
        case relay(port: UInt16, pieces: Int, gap: Double)
    }

    struct Request: Sendable {
        let connection: Int
        let method: String
        let path: String
        let headers: [String: String]
        let body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private let script: @Sendable (Request) -> Action
    private var requests: [Request] = []
    private var connections = 0
    private var streamed = 0
    private var stopped = false
    private var ends: [Int: String] = [:]

    init(_ script: @escaping @Sendable (Request) -> Action) throws {
        self.script = script
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = FaultProxy.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw HarnessError("scripted server cannot listen") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: actual.sin_port)
        // Held by its accepting thread until `stop`: the thread uses it after `accept` returns.
        Thread { self.acceptLoop() }.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var seen: [Request] { lock.withLock { requests } }
    /// Body bytes a `.stream` answer got into the connection before the client stopped it.
    var bytesStreamed: Int { lock.withLock { streamed } }
    /// How each connection that ended, ended, by its number: what the last read returned.
    var endings: [Int: String] { lock.withLock { ends } }
    private var isStopped: Bool { lock.withLock { stopped } }

    /// Stops listening. The socket is only shut down here (which wakes `accept`); the accepting
    /// thread closes it once out of `accept`: closed here, its number could be given to the next
    /// server's socket before that thread calls `accept` again, and the stopped server would take
    /// the next server's connections (seen: a round whose three requests this server never saw).
    func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if isStopped {
                if client >= 0 { close(client) }
                return
            }
            if client < 0 { continue }
            let number = lock.withLock {
                connections += 1
                return connections
            }
            Thread { [unowned self] in
                self.serve(client, number)
                close(client)
            }.start()
        }
    }

    private func serve(_ client: Int32, _ number: Int) {
        var pending: [UInt8] = []
        var ending = "answered and left"
        defer { lock.withLock { ends[number] = ending } }
        while let (request, raw) = Self.readRequest(client, connection: number, pending: &pending, ending: &ending) {
            lock.withLock { requests.append(request) }
            switch script(request) {
            case .answer(let status, let headers, let body):
                var head = "HTTP/1.1 \(status) Scripted\r\nContent-Length: \(body.count)\r\n"
                for (name, value) in headers { head += "\(name): \(value)\r\n" }
                guard Self.write(client, Array((head + "\r\n").utf8) + body) else { return }
            case .closeBeforeAnswer:
                shutdown(client, Int32(SHUT_WR))
                return
            case .stall:
                while !isStopped { usleep(50_000) }
                return
            case .stream(let head, let bodyBytes):
                guard Self.write(client, Array(head.utf8)) else { return }
                let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
                var sent = 0
                while sent < bodyBytes && !isStopped {
                    let count = Glibc.send(client, chunk, min(chunk.count, bodyBytes - sent), Int32(MSG_NOSIGNAL))
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    sent += count
                    lock.withLock { streamed = sent }
                }
                return
            case .relay(let port, let pieces, let gap):
                guard let answer = Self.relay(raw, to: port) else { return }
                let size = max(1, (answer.count + pieces - 1) / pieces)
                var offset = 0
                while offset < answer.count {
                    if offset > 0 { usleep(UInt32(gap * 1_000_000)) }
                    guard Self.write(client, Array(answer[offset..<min(answer.count, offset + size)])) else { return }
                    offset += size
                }
            }
        }
    }

    /// One request (headers, then `Content-Length` bytes of body) and its raw bytes; nil at the
    /// connection's end.
    static func readRequest(
        _ socket: Int32, connection: Int, pending: inout [UInt8], ending: inout String
    ) -> (Request, [UInt8])? {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        func more() -> Bool {
            // A signal (another test's child process ending) interrupts a read: not the end.
            var count: Int
            repeat { count = read(socket, &buffer, buffer.count) } while count < 0 && errno == EINTR
            if count == 0 { ending = "the client closed it (\(pending.count) bytes unread)" }
            if count < 0 { ending = "read failed: \(String(cString: strerror(errno)))" }
            if count <= 0 { return false }
            pending += buffer[0..<count]
            return true
        }
        let end = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            if pending.count >= 4 {
                headEnd = (0...(pending.count - 4)).first { Array(pending[$0..<$0 + 4]) == end }
            }
            if headEnd == nil && !more() { return nil }
        }
        let head = String(decoding: pending[0..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let words = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = headers.first { $0.key.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let total = headEnd! + 4 + length
        while pending.count < total {
            if !more() { return nil }
        }
        let raw = Array(pending[0..<total])
        pending.removeFirst(total)
        let request = Request(
            connection: connection, method: words.first.map(String.init) ?? "",
            path: words.count > 1 ? String(words[1]) : "", headers: headers, body: Array(raw[(headEnd! + 4)...]))
        return (request, raw)
    }

    /// Sends `raw` to 127.0.0.1:`port` on a connection of its own and reads the whole answer
    /// (headers and `Content-Length` bytes).
    static func relay(_ raw: [UInt8], to port: UInt16) -> [UInt8]? {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(upstream) }
        var address = FaultProxy.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0, write(upstream, raw) else { return nil }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let end = Array("\r\n\r\n".utf8)
        while true {
            if pending.count >= 4,
                let headEnd = (0...(pending.count - 4)).first(where: { Array(pending[$0..<$0 + 4]) == end })
            {
                let head = String(decoding: pending[0..<headEnd], as: UTF8.self).lowercased()
                let length =
                    head.components(separatedBy: "\r\n").compactMap { line -> Int? in
                        guard line.hasPrefix("content-length:") else { return nil }
                        return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
                    }.first ?? 0
                if pending.count >= headEnd + 4 + length { return Array(pending[0..<headEnd + 4 + length]) }
            }
            let count = read(upstream, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            pending += buffer[0..<count]
        }
    }

    static func write(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }
}

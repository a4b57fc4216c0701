import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on 127.0.0.1 that behaves like a poor 2G link: each direction carries
/// `bytesPerSecond` (one byte after another, shared by every connection), every byte arrives
/// `oneWayDelay` after it left, a new connection waits one round trip (the TCP handshake) before
/// its first byte leaves, and, from a seed, a connection is cut with probability
/// `cutProbability` after a random number of bytes (both ways together, at most `cutWithin`),
/// hard (a reset), as when the signal drops. It counts what crossed the link: connections,
/// requests (method and path, never the query) and how many rode each connection (the
/// requests on a kept-alive connection are told apart by their headers' end and
/// `Content-Length`), bytes each way, cuts.
final class LinkProxy: @unchecked Sendable {
    struct Settings {
        /// False: a plain relay, no delay, no cut (the set-up before the night).
        var throttled = false
        var bytesPerSecond = 5_000.0
        var oneWayDelay = 0.25
        var cutProbability = 0.0
        var cutWithin = 4_096
    }

    struct Counts {
        var connections = 0
        var requests: [String] = []
        /// Requests seen on each connection, by the connection's number.
        var requestsByConnection: [Int: Int] = [:]
        var bytesUp = 0
        var bytesDown = 0
        var cuts = 0
    }

    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var target: UInt16
    private var settings = Settings()
    private var random: SplitMix64
    private var counts = Counts()
    /// When each direction's link is free for the next byte (up: towards the hub).
    private var free = (up: 0.0, down: 0.0)
    private var stopped = false
    private var connectionNumber = 0

    init(targetPort: UInt16, seed: UInt64) throws {
        target = targetPort
        random = SplitMix64(seed: seed)
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw BenchError("the link proxy cannot listen") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: actual.sin_port)
        // Held by its accepting thread until `stop`: the thread uses it after `accept` returns.
        Thread { self.acceptLoop() }.start()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    func configure(_ new: Settings, targetPort: UInt16? = nil) {
        lock.withLock {
            settings = new
            if let targetPort { target = targetPort }
        }
    }

    /// What crossed the link since the last call, and starts counting afresh.
    func takeCounts() -> Counts {
        lock.withLock {
            defer { counts = Counts() }
            return counts
        }
    }

    /// Stops listening: the socket is shut down here and closed by the accepting thread once out
    /// of `accept`, so its number is never another socket's under that thread.
    func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if lock.withLock({ stopped }) {
                if client >= 0 { close(client) }
                return
            }
            if client < 0 { continue }
            Thread { [unowned self] in self.serve(client) }.start()
        }
    }

    /// One connection's state, shared by its four threads.
    final class Connection: @unchecked Sendable {
        let condition = NSCondition()
        /// Bytes either way still allowed before the cut (Int.max: no cut).
        var budget: Int
        var cut = false
        /// Chunks waiting to be delivered, per direction: when, and what (nil: the end).
        var queues: [[(at: Double, bytes: [UInt8]?)]] = [[], []]

        init(budget: Int) { self.budget = budget }
    }

    private func serve(_ client: Int32) {
        let accepted = Self.now()
        let (current, targetPort, budget, number): (Settings, UInt16, Int, Int) = lock.withLock {
            counts.connections += 1
            connectionNumber += 1
            counts.requestsByConnection[connectionNumber] = 0
            var budget = Int.max
            let now = self.settings
            if now.throttled && now.cutProbability > 0
                && Double(random.next() % 1_000_000) / 1_000_000 < now.cutProbability
            {
                budget = 1 + Int(random.next() % UInt64(max(1, now.cutWithin)))
            }
            return (now, target, budget, connectionNumber)
        }
        let settings = current
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: targetPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(client)
            close(upstream)
            return
        }
        let connection = Connection(budget: budget)
        let group = DispatchGroup()
        for direction in 0..<2 {
            let from = direction == 0 ? client : upstream
            let to = direction == 0 ? upstream : client
            group.enter()
            Thread { [unowned self] in
                self.read(
                    from, direction, connection, settings, notBefore: accepted + 2 * settings.oneWayDelay,
                    number: number)
                group.leave()
            }.start()
            group.enter()
            Thread { [unowned self] in
                self.deliver(to, direction, connection, client: client, upstream: upstream)
                group.leave()
            }.start()
        }
        group.wait()
        close(client)
        close(upstream)
    }

    /// Reads one direction and schedules each piece: it leaves when the link is free (and, up,
    /// not before the handshake's round trip), takes its size over the rate, arrives a delay later.
    private func read(
        _ from: Int32, _ direction: Int, _ connection: Connection, _ settings: Settings, notBefore: Double,
        number: Int
    ) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var scanner = RequestScanner()
        while true {
            let count = Glibc.read(from, &buffer, buffer.count)
            // A signal (a child process of the benchmark ending) interrupts a read: not the end.
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            if direction == 0 {
                let started = scanner.feed(buffer[0..<count])
                if !started.isEmpty {
                    lock.withLock {
                        counts.requests += started
                        counts.requestsByConnection[number, default: 0] += started.count
                    }
                }
            }
            var offset = 0
            while offset < count {
                let piece = Array(buffer[offset..<min(count, offset + 512)])
                offset += piece.count
                var at = Self.now()
                if settings.throttled {
                    at = lock.withLock { () -> Double in
                        var start = max(Self.now(), direction == 0 ? free.up : free.down)
                        if direction == 0 { start = max(start, notBefore) }
                        let end = start + Double(piece.count) / settings.bytesPerSecond
                        if direction == 0 { free.up = end } else { free.down = end }
                        return end + settings.oneWayDelay
                    }
                }
                connection.condition.withLock {
                    connection.queues[direction].append((at, piece))
                    connection.condition.broadcast()
                }
            }
        }
        connection.condition.withLock {
            connection.queues[direction].append((Self.now(), nil))
            connection.condition.broadcast()
        }
    }

    /// Writes one direction's pieces when they are due, until its end or the cut.
    private func deliver(_ to: Int32, _ direction: Int, _ connection: Connection, client: Int32, upstream: Int32) {
        while true {
            connection.condition.lock()
            while connection.queues[direction].isEmpty && !connection.cut { connection.condition.wait() }
            if connection.cut {
                connection.condition.unlock()
                return
            }
            let (at, bytes) = connection.queues[direction].removeFirst()
            connection.condition.unlock()
            let wait = at - Self.now()
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            guard let bytes else {
                shutdown(to, Int32(SHUT_WR))
                return
            }
            // Take what the cut still allows; the rest never arrives.
            let (allowed, cutNow): (Int, Bool) = connection.condition.withLock {
                if connection.cut { return (0, false) }
                let allowed = min(bytes.count, connection.budget)
                connection.budget -= allowed
                if connection.budget == 0 {
                    connection.cut = true
                    connection.condition.broadcast()
                    return (allowed, true)
                }
                return (allowed, false)
            }
            var sent = 0
            while sent < allowed {
                let written = bytes.withUnsafeBufferPointer { write(to, $0.baseAddress! + sent, allowed - sent) }
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { break }
                sent += written
            }
            lock.withLock {
                if direction == 0 { counts.bytesUp += sent } else { counts.bytesDown += sent }
                if cutNow { counts.cuts += 1 }
            }
            if cutNow || allowed == 0 {
                // The signal drops: both ends see the connection reset, never an orderly end
                // (no FIN: shutting down only the reading side wakes this connection's reader,
                // and the close that follows, with no linger, sends the reset).
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                setsockopt(upstream, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                shutdown(client, Int32(SHUT_RD))
                shutdown(upstream, Int32(SHUT_RD))
                return
            }
        }
    }
}

/// Finds where each request starts in what a client sends on one connection: a request line,
/// headers up to a blank line, then `Content-Length` bytes of body (the hub's clients send no
/// chunked bodies).
struct RequestScanner {
    private var head: [UInt8] = []
    private var bodyLeft = 0
    private var counted = false

    /// The requests ("METHOD /path", never the query) whose request line ends in `bytes`.
    mutating func feed(_ bytes: ArraySlice<UInt8>) -> [String] {
        var started: [String] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bodyLeft > 0 {
                let skipped = min(bodyLeft, bytes.endIndex - index)
                bodyLeft -= skipped
                index += skipped
                continue
            }
            head.append(bytes[index])
            index += 1
            guard head.last == UInt8(ascii: "\n") else { continue }
            let text = String(decoding: head, as: UTF8.self)
            if !counted, text.hasSuffix("\r\n") {
                counted = true
                let words = text.split(separator: " ")
                started.append(
                    words.count >= 2 ? "\(words[0]) \(words[1].split(separator: "?").first ?? "")" : "?")
            }
            guard text.hasSuffix("\r\n\r\n") else { continue }
            bodyLeft = 0
            for line in text.split(separator: "\r\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == "content-length" {
                    bodyLeft = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            head = []
            counted = false
        }
        return started
    }
}

import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on 127.0.0.1 that damages connections on purpose, from a seed: it drops a
/// connection partway through a request body, truncates an answer, resets, or delays. It
/// counts every byte it relays, so a faulty night's traffic can be compared with a clean one, and
/// can keep them, to see what an eavesdropper on the link would.
final class FaultProxy: @unchecked Sendable {
    enum Fault: String, CaseIterable {
        case none, dropRequest, truncateResponse, reset, delay
    }

    let port: UInt16
    let targetPort: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var random: SeededGenerator
    private var enabled = false
    private var relayed = 0
    private var injected: [Fault: Int] = [:]
    private var stopped = false
    private var capturing = false
    private var captured: [UInt8] = []
    /// The threads pumping bytes now, each noted under `lock` while it runs (`interruptPumps`).
    private var pumps: [pthread_t] = []
    private var interrupted = 0

    init(targetPort: UInt16, seed: UInt64) throws {
        self.targetPort = targetPort
        self.random = SeededGenerator(seed: seed)
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
        guard bound == 0, listen(listener, 64) == 0 else { throw HarnessError("proxy cannot listen") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: actual.sin_port)
        // Held by its accepting thread until `stop`: the thread uses it after `accept` returns.
        let thread = Thread { self.acceptLoop() }
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func setFaults(_ on: Bool) { lock.withLock { enabled = on } }
    var bytesRelayed: Int { lock.withLock { relayed } }
    var faults: [Fault: Int] { lock.withLock { injected } }
    func resetCount() { lock.withLock { relayed = 0 } }
    /// Keep (or stop keeping) every byte relayed, both ways, from now on.
    func capture(_ on: Bool) { lock.withLock { capturing = on } }
    var capturedBytes: [UInt8] { lock.withLock { captured } }

    /// Stops listening: the socket is shut down here and closed by the accepting thread once out
    /// of `accept`, so its number is never another socket's under that thread.
    func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    /// Sends `signal` to every thread pumping bytes now, as a child process ending sends SIGCHLD
    /// to whichever thread it lands on: a read or write it interrupts returns EINTR.
    func interruptPumps(with signal: Int32) {
        lock.withLock {
            for pump in pumps where pthread_kill(pump, signal) == 0 { interrupted += 1 }
        }
    }

    /// How many signals `interruptPumps` delivered.
    var interruptions: Int { lock.withLock { interrupted } }

    /// `read`, again when a signal interrupted it before any byte came (EINTR is no end).
    static func read(_ socket: Int32, _ buffer: inout [UInt8]) -> Int {
        var count: Int
        repeat { count = Glibc.read(socket, &buffer, buffer.count) } while count < 0 && errno == EINTR
        return count
    }

    /// Writes the first `count` bytes of `buffer`, again after a signal interrupted a write; how
    /// many went (fewer when the connection took no more).
    static func write(_ socket: Int32, _ buffer: [UInt8], count: Int) -> Int {
        var offset = 0
        while offset < count {
            let written = buffer.withUnsafeBytes { Glibc.write(socket, $0.baseAddress! + offset, count - offset) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { break }
            offset += written
        }
        return offset
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
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

    /// Picks the fault for the next request on a connection (connections are kept alive, so
    /// faults are drawn per request, not per connection).
    private func nextFault() -> (Fault, Int) {
        lock.withLock {
            guard enabled else { return (.none, 0) }
            let roll = Int(random.next() % 100)
            let budget = 32 + Int(random.next() % 1_500)
            let fault: Fault =
                switch roll {
                case 0..<8: .dropRequest
                case 8..<16: .truncateResponse
                case 16..<21: .reset
                case 21..<31: .delay
                default: .none
                }
            if fault != .none { injected[fault, default: 0] += 1 }
            return (fault, budget)
        }
    }

    /// What one connection's two pumps share.
    final class Connection: @unchecked Sendable {
        let lock = NSLock()
        var answered = true
        var requestLimit = Int.max
        var responseLimit = Int.max
        var delay = false
        var closed = false
    }

    private func serve(_ client: Int32) {
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
        let state = Connection()
        let closeBoth: @Sendable (Bool) -> Void = { hard in
            state.lock.withLock { state.closed = true }
            if hard {
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            }
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(upstream, Int32(SHUT_RDWR))
        }
        let group = DispatchGroup()
        for towardsHub in [true, false] {
            let from = towardsHub ? client : upstream
            let to = towardsHub ? upstream : client
            group.enter()
            Thread { [unowned self] in
                // A thread inherits its maker's signal mask, and a dispatch thread's blocks
                // every signal: SIGUSR2 (`interruptPumps`) is let through, as on a plain thread.
                var signals = sigset_t()
                sigemptyset(&signals)
                sigaddset(&signals, SIGUSR2)
                pthread_sigmask(SIG_UNBLOCK, &signals, nil)
                let pump = pthread_self()
                self.lock.withLock { self.pumps.append(pump) }
                defer { self.lock.withLock { self.pumps.removeAll { pthread_equal($0, pump) != 0 } } }
                var buffer = [UInt8](repeating: 0, count: 16 * 1024)
                while true {
                    let count = Self.read(from, &buffer)
                    if count <= 0 { break }
                    var limit = Int.max
                    var delay = false
                    if towardsHub {
                        let newRequest = state.lock.withLock { () -> Bool in
                            defer { state.answered = false }
                            return state.answered
                        }
                        if newRequest {
                            let (fault, budget) = self.nextFault()
                            state.lock.withLock {
                                state.requestLimit = fault == .dropRequest ? budget : (fault == .reset ? 0 : Int.max)
                                state.responseLimit = fault == .truncateResponse ? budget : Int.max
                                state.delay = fault == .delay
                            }
                        }
                        limit = state.lock.withLock { state.requestLimit }
                    } else {
                        limit = state.lock.withLock {
                            state.answered = true
                            return state.responseLimit
                        }
                    }
                    delay = state.lock.withLock { state.delay }
                    if delay { usleep(150_000) }
                    let allowed = max(0, min(count, limit))
                    let offset = Self.write(to, buffer, count: allowed)
                    self.lock.withLock {
                        self.relayed += offset
                        if self.capturing { self.captured += buffer[0..<offset] }
                    }
                    if limit != Int.max {
                        state.lock.withLock {
                            if towardsHub { state.requestLimit -= allowed } else { state.responseLimit -= allowed }
                        }
                    }
                    if allowed < count || limit - allowed <= 0 {
                        closeBoth(limit == 0)
                        break
                    }
                }
                shutdown(to, Int32(SHUT_WR))
                group.leave()
            }.start()
        }
        group.wait()
        close(client)
        close(upstream)
    }
}

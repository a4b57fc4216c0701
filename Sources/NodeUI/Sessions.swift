import Crypto
import Domain
import Foundation

/// One worker's unlocked session. Two secrets open it, and a request needs both: a random token
/// in a cookie, and a random key in the path of every address of the session (`/s/KEY/…`).
/// Cookies are not kept apart by port, so a server another user runs on 127.0.0.1:9999 receives
/// the cookie as soon as the worker's browser opens one of its pages; the path's key is sent to
/// this port only, and no page of another origin can read it (the same-origin policy keeps
/// ports apart). The form token (`csrf`) is checked on every form besides.
struct Session: Sendable {
    let token: String
    let pathKey: String
    let csrf: String
    let worker: String
    var language: Language
    let created: Date
    var lastSeen: Date
    /// A message for the next page (post/redirect/get), then forgotten.
    var flash: String? = nil
    /// The last search typed: kept here, never in a URL or a log.
    var query: String? = nil

    /// `/s/KEY`: what every address of this session starts with.
    var base: String { "/s/\(pathKey)" }
}

/// The sessions of the page, and the unlocked domain they share: the replica lives in this
/// process only, and is let go when the last session ends — when it is locked, or when a timer
/// finds every session idle or past its limit (no request needs to come for that).
///
/// The timer is a dispatch timer on a queue of its own, not a task: the cooperative pool has as
/// many threads as cores (2 on a commune's laptop), and the page's requests can keep them busy
/// for seconds, which must not keep the unlocked replica (and its key) in the process.
final class SessionBook: @unchecked Sendable {
    private let lock = NSLock()
    private var sessions: [String: Session] = [:]
    private var unlockedStore: DomainStore?
    /// Running while any session is open; cancelled when none is left, and on `closeAll`.
    private var sweeper: (any DispatchSourceTimer)?
    private let sweepQueue = DispatchQueue(label: "tre.ui.sessions.sweep")
    let idleTimeout: TimeInterval
    let absoluteTimeout: TimeInterval
    /// How often the timer looks for sessions to end while any is open.
    let sweepInterval: TimeInterval
    let now: @Sendable () -> Date

    init(
        idleTimeout: TimeInterval, absoluteTimeout: TimeInterval, sweepInterval: TimeInterval,
        now: @escaping @Sendable () -> Date
    ) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.sweepInterval = sweepInterval
        self.now = now
    }

    deinit { sweeper?.cancel() }

    /// 32 random bytes, hex.
    static func randomToken(bits: Int = 256) -> String {
        SymmetricKey(size: SymmetricKeySize(bitCount: bits)).withUnsafeBytes { bytes in
            bytes.map { String(format: "%02x", $0) }.joined()
        }
    }

    func open(worker: String, language: Language, store: DomainStore) -> Session {
        let moment = now()
        let session = Session(
            token: Self.randomToken(), pathKey: Self.randomToken(bits: 128), csrf: Self.randomToken(), worker: worker,
            language: language, created: moment, lastSeen: moment)
        lock.withLock {
            sessions[session.token] = session
            unlockedStore = store
            startSweeper()
        }
        return session
    }

    /// The live session of the cookie's `token` whose path key is `pathKey`, touched; nil (and
    /// forgotten when timed out) when absent, timed out, or either secret is wrong.
    func session(_ token: String?, pathKey: String?) -> (Session, DomainStore)? {
        guard let token, let pathKey else { return nil }
        let moment = now()
        var released: DomainStore?
        let found: (Session, DomainStore)? = lock.withLock {
            released = expire(at: moment)
            guard var session = sessions[token], constantTimeEqual(pathKey, session.pathKey),
                let store = unlockedStore
            else { return nil }
            session.lastSeen = moment
            sessions[token] = session
            return (session, store)
        }
        // The replica let go is closed here, out of the lock.
        withExtendedLifetime(released) {}
        return found
    }

    func update(_ token: String, _ change: (inout Session) -> Void) {
        lock.withLock {
            if var session = sessions[token] {
                change(&session)
                sessions[token] = session
            }
        }
    }

    /// Takes the flash message of a session (shown once).
    func takeFlash(_ token: String) -> String? {
        lock.withLock {
            let flash = sessions[token]?.flash
            sessions[token]?.flash = nil
            return flash
        }
    }

    /// Locking: every session ends, and the unlocked replica (with the key that opens its
    /// sealed fields) is let go — the node is locked, not one browser.
    func closeAll() {
        let store: DomainStore? = lock.withLock {
            sessions = [:]
            stopSweeper()
            defer { unlockedStore = nil }
            return unlockedStore
        }
        withExtendedLifetime(store) {}
    }

    /// How many sessions are open (the timer's tests).
    var openCount: Int { lock.withLock { sessions.count } }

    /// Ends the sessions idle or past their limit; true when none is left (the timer stops).
    @discardableResult func sweep() -> Bool {
        let moment = now()
        var released: DomainStore?
        let none = lock.withLock {
            released = expire(at: moment)
            return sessions.isEmpty
        }
        withExtendedLifetime(released) {}
        return none
    }

    /// Under the lock: the timer that ends idle sessions while any is open. It holds the book
    /// weakly (the book cancels it when it goes), so neither keeps the other.
    private func startSweeper() {
        guard sweeper == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: sweepQueue)
        let interval = DispatchTimeInterval.nanoseconds(Int(sweepInterval * 1_000_000_000))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(10))
        timer.setEventHandler { [weak self] in self?.sweep() }
        sweeper = timer
        timer.resume()
    }

    /// Under the lock.
    private func stopSweeper() {
        sweeper?.cancel()
        sweeper = nil
    }

    /// Under the lock: ends the sessions idle or past their limit; when none is left, stops the
    /// timer and returns the replica let go, for the caller to drop out of the lock.
    private func expire(at moment: Date) -> DomainStore? {
        sessions = sessions.filter { _, session in
            moment.timeIntervalSince(session.lastSeen) < idleTimeout
                && moment.timeIntervalSince(session.created) < absoluteTimeout
        }
        guard sessions.isEmpty else { return nil }
        stopSweeper()
        defer { unlockedStore = nil }
        return unlockedStore
    }
}

/// Wrong passphrases, counted for the node (every session and address alike): the first
/// `freeTries` cost only scrypt's time; after them each wrong try makes the page wait before
/// the next, 30 seconds, then twice as long each time, never more than 15 minutes — a program
/// guessing gets a few hundred tries a day, and the worker who mistyped is never locked out for
/// good. The right passphrase clears the count; so does starting `tre-node ui` again, which only
/// who started it can do.
final class UnlockThrottle: @unchecked Sendable {
    let freeTries = 5
    let firstWait: TimeInterval = 30
    let longestWait: TimeInterval = 15 * 60
    private let lock = NSLock()
    private var failures = 0
    private var until: Date?

    /// When the next try is allowed, if it must wait.
    func blocked(at moment: Date) -> (failures: Int, until: Date)? {
        lock.withLock {
            guard let until, until > moment else { return nil }
            return (failures, until)
        }
    }

    /// A wrong try: counted, and the wait that follows it (if any) set.
    @discardableResult func failed(at moment: Date) -> (failures: Int, until: Date)? {
        lock.withLock {
            failures += 1
            guard failures >= freeTries else { return nil }
            let doublings = min(failures - freeTries, 10)
            let wait = min(firstWait * Double(1 << doublings), longestWait)
            until = moment.addingTimeInterval(wait)
            return (failures, until!)
        }
    }

    func succeeded() {
        lock.withLock {
            failures = 0
            until = nil
        }
    }
}

/// Equal strings, compared in time that does not depend on where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let left = Array(a.utf8)
    let right = Array(b.utf8)
    guard left.count == right.count else { return false }
    var difference: UInt8 = 0
    for index in left.indices { difference |= left[index] ^ right[index] }
    return difference == 0
}

import Crypto
import Domain
import Foundation

/// One worker's unlocked session: a random token in a cookie, who the worker is (every change
/// is recorded under that name), the language, and a per-session token every form carries.
struct Session: Sendable {
    let token: String
    let csrf: String
    let worker: String
    var language: Language
    let created: Date
    var lastSeen: Date
    /// A message for the next page (post/redirect/get), then forgotten.
    var flash: String? = nil
    /// The last search typed: kept here, never in a URL or a log.
    var query: String? = nil
}

/// The sessions of the page, and the unlocked domain they share: the replica lives in this
/// process only, and is let go when the last session ends.
final class SessionBook: @unchecked Sendable {
    private let lock = NSLock()
    private var sessions: [String: Session] = [:]
    private var unlockedStore: DomainStore?
    let idleTimeout: TimeInterval
    let absoluteTimeout: TimeInterval
    let now: @Sendable () -> Date

    init(idleTimeout: TimeInterval, absoluteTimeout: TimeInterval, now: @escaping @Sendable () -> Date) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.now = now
    }

    /// 32 random bytes, hex.
    static func randomToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
    }

    func open(worker: String, language: Language, store: DomainStore) -> Session {
        let moment = now()
        let session = Session(
            token: Self.randomToken(), csrf: Self.randomToken(), worker: worker, language: language, created: moment,
            lastSeen: moment)
        lock.withLock {
            sessions[session.token] = session
            unlockedStore = store
        }
        return session
    }

    /// The live session of `token`, touched; nil (and forgotten) when absent or timed out.
    func session(_ token: String?) -> (Session, DomainStore)? {
        guard let token else { return nil }
        let moment = now()
        return lock.withLock {
            expire(at: moment)
            guard var session = sessions[token], let store = unlockedStore else { return nil }
            session.lastSeen = moment
            sessions[token] = session
            return (session, store)
        }
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

    func close(_ token: String) {
        lock.withLock {
            sessions[token] = nil
            if sessions.isEmpty { unlockedStore = nil }
        }
    }

    private func expire(at moment: Date) {
        sessions = sessions.filter { _, session in
            moment.timeIntervalSince(session.lastSeen) < idleTimeout
                && moment.timeIntervalSince(session.created) < absoluteTimeout
        }
        if sessions.isEmpty { unlockedStore = nil }
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

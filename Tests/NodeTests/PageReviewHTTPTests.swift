import Domain
import Foundation
import NodeUI
import SyncCore
import TestSupport
import Testing

/// The five findings of the page's outside review that held, each now a defence proven by
/// mounting the attack over real HTTP (`PageServer`: the route `tre-node ui` serves, on a port
/// of 127.0.0.1, with the test's clock).
extension PageReviewTests {
    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private weak var held: Replica?
        private var opened = 0
        var replica: Replica? {
            get { lock.withLock { held } }
            set {
                lock.withLock {
                    held = newValue
                    opened += 1
                }
            }
        }
        /// How many times the backend ran the (scrypt) unlock.
        var unlocks: Int { lock.withLock { opened } }
    }

    /// A page whose every unlock with the right passphrase opens a new in-memory replica (so the
    /// test can see when the app lets it go), and counts every scrypt it runs.
    static func seenApp(
        _ seen: Seen, clock: Page.Clock, sweepInterval: TimeInterval = 15, tries: Page.Lines? = nil
    ) -> UIApp {
        UIApp(
            configuration: UIConfiguration(host: "127.0.0.1", port: 0, idleTimeout: 900, sweepInterval: sweepInterval),
            backend: UIBackend(
                asksPassphrase: true,
                unlock: { passphrase in
                    tries?.add(passphrase ?? "")
                    guard passphrase == "đúng mật khẩu" else { throw CocoaError(.fileReadNoPermission) }
                    let replica = try makeReplica(.memory, origin: 1, unit: "17605")
                    seen.replica = replica
                    return DomainStore(replica: replica)
                }, sync: { _ in "nothing" }),
            now: { clock.now() })
    }

    /// A program on this machine is no browser: it sends whatever `Origin` it likes and guesses
    /// the passphrase in a loop. After 5 wrong tries the node makes every unlock wait — 30 s, then
    /// twice as long after each further wrong try, at most 15 minutes — answering 429 with the
    /// time to come back, without running scrypt; the right passphrase after the wait opens, and
    /// clears the count.
    @Test func wrongPassphrasesMakeTheNodeWait() async throws {
        let clock = Page.Clock()
        let tries = Page.Lines()
        let server = try await PageServer.start(Self.seenApp(Seen(), clock: clock, tries: tries))
        defer { Task { await server.stop() } }
        let forged = ["Origin": server.origin]
        var statuses: [Int] = []
        for attempt in 0..<20 {
            let answer = try await server.send(
                "POST", "/unlock", form: ["worker": "x\(attempt)", "passphrase": "guess \(attempt)"], headers: forged)
            statuses.append(answer.status)
            #expect(answer.headers["set-cookie"] == nil)
            if attempt == 4 { #expect(answer.text.contains("thử lại sau 30 giây"), "\(answer.text)") }
            if attempt >= 5 {
                #expect(answer.headers["retry-after"] == "30")
                #expect(
                    answer.text.contains("Đã nhập sai mật khẩu 5 lần") && answer.text.contains("thử lại sau 30 giây"))
            }
        }
        #expect(statuses == Array(repeating: 403, count: 5) + Array(repeating: 429, count: 15))
        // Only the 5 tries before the wait ran the passphrase through scrypt.
        #expect(tries.all.count == 5)
        // Even the right passphrase waits; in English too.
        var right = try await server.send(
            "POST", "/unlock", form: ["worker": "Lò Văn Sáng", "passphrase": "đúng mật khẩu", "lang": "en"],
            headers: forged)
        #expect(right.status == 429 && right.text.contains("try again in 30 seconds"))
        clock.advance(29)
        #expect(
            try await server.send("POST", "/unlock", form: ["worker": "x", "passphrase": "y"], headers: forged).status
                == 429)
        // Each wrong try after a wait doubles it, up to 15 minutes: 60, 120, 240, 480, 900, 900.
        var waits: [Int] = []
        for attempt in 0..<6 {
            clock.advance(Double(waits.last ?? 30) + 1)
            let wrong = try await server.send(
                "POST", "/unlock", form: ["worker": "x", "passphrase": "again \(attempt)"], headers: forged)
            #expect(wrong.status == 403)
            let waiting = try await server.send(
                "POST", "/unlock", form: ["worker": "x", "passphrase": "again"], headers: forged)
            waits.append(Int(waiting.headers["retry-after"] ?? "") ?? -1)
        }
        #expect(waits == [60, 120, 240, 480, 900, 900])
        // Never locked out for good: after the wait, the right passphrase opens, and the count
        // starts again (one wrong try no longer waits).
        clock.advance(901)
        right = try await server.send(
            "POST", "/unlock", form: ["worker": "Lò Văn Sáng", "passphrase": "đúng mật khẩu"], headers: forged)
        #expect(right.status == 303)
        let wrong = try await server.send(
            "POST", "/unlock", form: ["worker": "x", "passphrase": "typo"], headers: forged)
        #expect(wrong.status == 403 && !wrong.text.contains("thử lại sau"))
        #expect(
            try await server.send("POST", "/unlock", form: ["worker": "x", "passphrase": "typo"], headers: forged)
                .status
                == 403)
    }

    /// Cookies are not kept apart by port: a server another user runs on 127.0.0.1:9999 receives
    /// the session cookie as soon as the worker's browser opens one of its pages. Replayed by a
    /// program with a forged `Origin` and `Sec-Fetch-Site`, the cookie alone now opens nothing:
    /// every address of the session carries the session's key in its path, which the browser
    /// sends to this port only.
    @Test func aSessionCookieReplayedFromAnotherPortOpensNothing() async throws {
        let world = try Page.world()
        _ = try world.store.create(
            "children",
            fields: [
                "full_name": .string("Lò Thị Mai"), "sex": .string("F"), "date_of_birth": .string("2015-03-01"),
                "village": .string("Bản Mòn"),
            ])
        let server = try await PageServer.start(world.app)
        defer { Task { await server.stop() } }
        let worker = try await server.unlock()
        #expect(worker.base.count == "/s/".count + 32)
        // The worker's browser: cookie and key.
        let own = try await server.send("GET", worker.base + "/search", cookie: worker.cookie)
        #expect(own.status == 200 && own.text.contains("Lò Văn Sáng"))
        // The other port's program: the cookie, whatever headers it likes, and no key.
        let forged = ["Origin": server.origin, "Sec-Fetch-Site": "same-origin"]
        let guessedKey = "/s/" + String(repeating: "0", count: 32)
        for path in ["/", "/search", "/registry", guessedKey + "/", guessedKey + "/registry", "/s//registry"] {
            let answer = try await server.send("GET", path, cookie: worker.cookie, headers: forged)
            #expect(answer.status == 200 || answer.status == 303, "\(path)")
            #expect(!answer.text.contains("Lò Văn Sáng") && !answer.text.contains("Bản Mòn"), "\(path)")
            #expect(answer.text.firstMatch(of: /name="csrf"/) == nil, "\(path)")
            #expect(!(answer.location ?? "").hasPrefix("/s/"), "\(path)")
        }
        // Its forms change nothing, even with the worker's own form token (which it cannot read).
        let before = world.syncs.all.count
        for path in ["/sync", guessedKey + "/sync"] {
            let answer = try await server.send(
                "POST", path, cookie: worker.cookie, form: ["csrf": worker.csrf], headers: forged)
            // Under a session's address, the unlock page saying the session ended (nothing kept);
            // elsewhere, the unlock page's address.
            if path.hasPrefix("/s/") {
                #expect(answer.status == 403 && answer.text.contains("Phiên làm việc đã hết"), "\(path)")
                #expect(answer.text.firstMatch(of: /name="csrf"/) == nil, "\(path)")
            } else {
                #expect(answer.status == 303 && answer.location == "/", "\(path) \(answer.status)")
            }
        }
        #expect(world.syncs.all.count == before)
        // The worker's own form works.
        let synced = try await server.send(
            "POST", worker.base + "/sync", cookie: worker.cookie, form: ["csrf": worker.csrf], headers: forged)
        #expect(synced.status == 303 && synced.location == worker.base + "/")
        #expect(world.syncs.all.count == before + 1)
    }

    /// A page of 127.0.0.1:9999 is the same *site*: its `<img src="http://127.0.0.1:8765/…">`
    /// carries the Strict cookie. Such requests (`Sec-Fetch-Site: same-site` or `cross-site`)
    /// are refused unless a navigation (then the unlock page), and never touch the session: the
    /// 15-minute idle limit comes as if they had not been sent — even for one that knew the key.
    @Test func requestsFromAnotherPortDoNotKeepTheSessionAlive() async throws {
        let world = try Page.world()
        let server = try await PageServer.start(world.app)
        defer { Task { await server.stop() } }
        let worker = try await server.unlock()
        var served: [Int] = []
        for site in ["same-site", "cross-site", "same-site", "cross-site"] {
            world.clock.advance(4 * 60)
            for mode in ["no-cors", "cors"] {
                let answer = try await server.send(
                    "GET", worker.base + "/", cookie: worker.cookie,
                    headers: ["Sec-Fetch-Site": site, "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": "image"])
                served.append(answer.status)
                #expect(!answer.text.contains("Lò Văn Sáng"))
            }
            let followed = try await server.send(
                "GET", worker.base + "/registry", cookie: worker.cookie,
                headers: ["Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"])
            #expect(followed.status == 303 && followed.location == "/")
            #expect(!followed.text.contains("Lò Văn Sáng"))
        }
        #expect(served.allSatisfy { $0 == 403 })
        // 16 minutes since the worker's own last request: the session has ended.
        world.clock.advance(1)
        let own = try await server.send(
            "GET", worker.base + "/", cookie: worker.cookie, headers: ["Sec-Fetch-Site": "same-origin"])
        #expect(own.status == 200 && own.text.contains("Phiên làm việc đã hết"))
        // A request typed in the address bar (`none`) or from the page itself is the worker's own.
        let again = try await server.unlock()
        world.clock.advance(14 * 60)
        #expect(
            try await server.send("GET", again.base + "/", cookie: again.cookie, headers: ["Sec-Fetch-Site": "none"])
                .status
                == 200)
        world.clock.advance(14 * 60)
        #expect(try await server.send("GET", again.base + "/registry", cookie: again.cookie).status == 200)
    }

    /// "Khóa" (Lock) locks the node: every session ends (another browser's, a copied cookie's),
    /// and the unlocked replica, with the key that opens its sealed fields, is let go.
    @Test func lockingEndsEverySessionAndLetsTheReplicaGo() async throws {
        let seen = Seen()
        let clock = Page.Clock()
        let server = try await PageServer.start(Self.seenApp(seen, clock: clock))
        defer { Task { await server.stop() } }
        let first = try await server.unlock()
        let second = try await server.unlock(as: "Giàng A Pao")
        #expect(server.app.openSessions == 2 && seen.replica != nil)
        #expect(try await server.send("GET", second.base + "/search", cookie: second.cookie).status == 200)
        let locked = try await server.send(
            "POST", first.base + "/logout", cookie: first.cookie, form: ["csrf": first.csrf],
            headers: ["Origin": server.origin])
        #expect(locked.status == 303 && locked.location == "/")
        #expect(locked.headers["set-cookie"]?.hasPrefix("\(server.cookieName)=;") == true)
        #expect(server.app.openSessions == 0)
        #expect(seen.replica == nil)
        let other = try await server.send("GET", second.base + "/search", cookie: second.cookie)
        #expect(other.status == 303 && other.location == "/")
        let home = try await server.send("GET", second.base + "/", cookie: second.cookie)
        #expect(home.text.contains("Phiên làm việc đã hết") && !home.text.contains("Giàng A Pao"))
        let form = try await server.send(
            "POST", second.base + "/sync", cookie: second.cookie, form: ["csrf": second.csrf],
            headers: ["Origin": server.origin])
        // A form sent to the ended session: the unlock page says so, and that nothing was saved.
        #expect(form.status == 403 && form.text.contains("CHƯA được lưu"))
        #expect(form.text.firstMatch(of: /name="csrf"/) == nil)
    }

    /// "Let go when the last session ends": a timer ends idle sessions, so a worker who walks
    /// away does not leave the unlocked replica (and its key) in the process until someone opens
    /// the page again; a session still in use keeps it.
    @Test func anIdleSessionLetsTheReplicaGoWithoutARequest() async throws {
        let seen = Seen()
        let clock = Page.Clock()
        let server = try await PageServer.start(Self.seenApp(seen, clock: clock, sweepInterval: 0.05))
        defer { Task { await server.stop() } }
        let worker = try await server.unlock()
        clock.advance(14 * 60)
        try await Task.sleep(for: .milliseconds(400))
        #expect(seen.replica != nil && server.app.openSessions == 1)
        #expect(try await server.send("GET", worker.base + "/", cookie: worker.cookie).status == 200)
        clock.advance(15 * 60 + 1)
        // No request from here on: only the timer can end it — and it must while every thread of
        // Swift's cooperative pool is busy (as requests running scrypt keep them on a 2-core
        // laptop): twice as many tasks as cores hold them, and this test waits without an await.
        let released = Flag()
        let holders = 2 * ProcessInfo.processInfo.activeProcessorCount
        for _ in 0..<holders {
            Task.detached {
                while !released.isSet { usleep(1_000) }
            }
        }
        let deadline = Date().addingTimeInterval(10)
        while seen.replica != nil && Date() < deadline { usleep(20_000) }
        let gone = seen.replica == nil
        released.set()
        #expect(gone, "the replica was still held 10 s after the session's idle limit")
        #expect(server.app.openSessions == 0)
    }

    /// Set once, read from any thread.
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.withLock { value } }
        func set() { lock.withLock { value = true } }
    }
}

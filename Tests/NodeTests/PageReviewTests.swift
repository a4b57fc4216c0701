import Domain
import Foundation
import NodeUI
import SyncCore
import TestSupport
import Testing

/// An outside review of the worker's page, in process through `UIApp.handle` like
/// `PageSecurityTests`: each test mounts one attack. Those not fixed are recorded as known issues.
@Suite struct PageReviewTests {
    typealias Page = PageSecurityTests

    /// A program on this machine is no browser: it sends whatever `Origin` it likes. Nothing
    /// slows or stops guessing the passphrase but scrypt's own cost, one guess at a time (see
    /// `unlocksRunOneAtATime`).
    @Test func wrongPassphrasesAreNotLimited() async throws {
        let world = try Page.world()
        var statuses: [Int] = []
        for attempt in 0..<20 {
            let answer = await world.app.handle(
                Page.request("POST", "/unlock", form: ["worker": "x", "passphrase": "guess \(attempt)"]))
            statuses.append(answer.status)
        }
        #expect(statuses.prefix(5).allSatisfy { $0 == 403 })
        withKnownIssue("no limit on wrong passphrases: a local program guesses as fast as scrypt allows") {
            #expect(statuses.suffix(10).allSatisfy { $0 == 429 })
        }
    }

    /// With `--key-file` the page asks only a name: any program or other user of this machine that
    /// can reach 127.0.0.1 opened every child's record, forging `Origin` as it liked. The unlock
    /// now needs the code `tre-node ui` prints in the address it shows.
    @Test func withAKeyFileAnyLocalProgramUnlocksWithAName() async throws {
        let replica = try makeReplica(.memory, origin: 1, unit: "17605")
        let store = DomainStore(replica: replica)
        let app = UIApp(
            configuration: UIConfiguration(host: "127.0.0.1", port: 8765),
            backend: UIBackend(asksPassphrase: false, unlock: { _ in store }, sync: { _ in "nothing" }))
        // First seen unlocking with a name alone; now the unlock needs the code `tre-node ui`
        // printed in its address.
        let code = try #require(app.launchCode)
        #expect(code.count == 32)
        for given in [nil, "", "00000000000000000000000000000000", String(code.dropLast()) + "x"] as [String?] {
            var form = ["worker": "anyone"]
            form["code"] = given
            let answer = await app.handle(Page.request("POST", "/unlock", form: form))
            #expect(answer.status == 403, "\(given ?? "no code")")
        }
        let page = String(
            decoding: await app.handle(
                UIRequest(
                    method: "GET", path: "/", query: ["code": code],
                    headers: ["Host": Page.authority, "Origin": Page.origin])
            ).body, as: UTF8.self)
        #expect(page.contains("name=\"code\" value=\"\(code)\""))
        let answer = await app.handle(Page.request("POST", "/unlock", form: ["worker": "Lò Văn Sáng", "code": code]))
        #expect(answer.status == 303)
    }

    /// Cookies are not scoped by port: a server another user runs on 127.0.0.1:9999 receives
    /// `tre_session` as soon as the worker's browser opens one of its pages (`SameSite` counts every
    /// port of 127.0.0.1 as the same site). Nothing else binds the session, so a program replaying
    /// the cookie with a forged `Origin` reads the form token and acts as the worker.
    @Test func aSessionCookieReplayedFromAnotherPortActsAsTheWorker() async throws {
        let world = try Page.world()
        let (cookie, _) = try await Page.unlock(world.app)
        let forged = ["Host": Page.authority, "Origin": Page.origin, "Sec-Fetch-Site": "same-origin"]
        let home = String(
            decoding: await world.app.handle(Page.request("GET", "/", cookie: cookie, headers: forged)).body,
            as: UTF8.self)
        let csrf = try #require(home.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/)?.1)
        let post = await world.app.handle(
            Page.request("POST", "/sync", cookie: cookie, form: ["csrf": String(csrf)], headers: forged))
        withKnownIssue("the session is its cookie alone, and 127.0.0.1's cookies reach every port") {
            #expect(post.status == 403)
        }
    }

    /// A page of 127.0.0.1:9999 is the same site: its `<img src="http://127.0.0.1:8765/">` carries the
    /// Strict cookie, is served, and counts as use — the 15-minute idle limit never comes.
    @Test func requestsFromAnotherPortKeepTheSessionAlive() async throws {
        let world = try Page.world()
        let (cookie, _) = try await Page.unlock(world.app)
        let sameSite = ["Host": Page.authority, "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"]
        var served: [Int] = []
        for _ in 0..<8 {
            world.clock.advance(14 * 60)
            served.append(await world.app.handle(Page.request("GET", "/", cookie: cookie, headers: sameSite)).status)
        }
        withKnownIssue("GETs are not checked for Sec-Fetch-Site; another port's page keeps the session open") {
            #expect(served.allSatisfy { $0 != 200 })
        }
    }

    /// "Khóa" (Lock) ends the worker's own session only: another session (another browser, or a
    /// copied cookie) keeps the replica unlocked.
    @Test func lockingLeavesOtherSessionsOpen() async throws {
        let world = try Page.world()
        let (first, firstToken) = try await Page.unlock(world.app)
        let (second, _) = try await Page.unlock(world.app, as: "Người khác")
        let locked = await world.app.handle(Page.request("POST", "/logout", cookie: first, form: ["csrf": firstToken]))
        #expect(locked.status == 303)
        let other = await world.app.handle(Page.request("GET", "/search", cookie: second))
        withKnownIssue("Lock ends one session; the node stays unlocked for the others") {
            #expect(other.status == 303)
        }
    }

    /// Malformed bodies: invalid percent-escapes and invalid UTF-8 decode to nothing, never crash,
    /// and a form token mangled so is refused.
    @Test func malformedFormsAreRefusedCalmly() async throws {
        let world = try Page.world()
        let (cookie, csrf) = try await Page.unlock(world.app)
        for body in ["csrf=%zz&lang=en", "csrf=\(csrf)%FF&lang=en", "%FF%FE=1&csrf", "&&&==&=%", "csrf=\(csrf)%"] {
            var request = Page.request("POST", "/lang", cookie: cookie)
            request.form = UIRequest.decodeForm(Array(body.utf8))
            #expect(await world.app.handle(request).status == 403, "\(body)")
        }
        var bytes = Array("lang=en&csrf=\(csrf)&worker=".utf8)
        bytes += [0xFF, 0xC0, 0x80]
        var request = Page.request("POST", "/lang", cookie: cookie)
        request.form = UIRequest.decodeForm(bytes)
        #expect(await world.app.handle(request).status == 303)
    }

    /// Names typed at unlock, with markup and quotes, are shown as text in the header.
    @Test func aWorkerNameWithMarkupIsShownAsText() async throws {
        let world = try Page.world()
        let name = "\"><script>alert(1)</script><textarea>'"
        let (cookie, _) = try await Page.unlock(world.app, as: name)
        let home = String(
            decoding: await world.app.handle(Page.request("GET", "/", cookie: cookie)).body, as: UTF8.self)
        #expect(!home.contains("<script>alert"))
        #expect(home.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;textarea&gt;&#39;"))
        #expect(!world.log.all.joined().contains("alert"))
    }

    /// The static assets answer only their own names: `..`, encoded or not, finds nothing.
    @Test func assetPathsDoNotTraverse() async throws {
        let world = try Page.world()
        for path in ["/assets/../Package.swift", "/assets/%2e%2e/%2e%2e/etc/passwd", "/assets/tre.css/..", "/assets/"] {
            let answer = await world.app.handle(Page.request("GET", path))
            #expect(answer.status == 303, "\(path)")
        }
    }
}

extension PageReviewTests {
    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private weak var held: Replica?
        var replica: Replica? {
            get { lock.withLock { held } }
            set { lock.withLock { held = newValue } }
        }
    }

    /// "Let go when the last session ends": a session that times out is only noticed by the next
    /// request, so a worker who walks away leaves the unlocked replica (and its key) in the
    /// process until someone opens the page again.
    @Test func anIdleSessionKeepsTheReplicaUntilTheNextRequest() async throws {
        let seen = Seen()
        let clock = Page.Clock()
        let app = UIApp(
            configuration: UIConfiguration(host: "127.0.0.1", port: 8765, idleTimeout: 900),
            backend: UIBackend(
                asksPassphrase: true,
                unlock: { passphrase in
                    guard passphrase == "đúng mật khẩu" else { throw CocoaError(.fileReadNoPermission) }
                    let replica = try makeReplica(.memory, origin: 1, unit: "17605")
                    seen.replica = replica
                    return DomainStore(replica: replica)
                }, sync: { _ in "nothing" }),
            now: { clock.now() })
        _ = try await Page.unlock(app)
        #expect(seen.replica != nil)
        clock.advance(3_600)
        withKnownIssue("sessions expire only when a request comes; no timer lets the replica go") {
            #expect(seen.replica == nil)
        }
        _ = await app.handle(Page.request("GET", "/", cookie: "any"))
        #expect(seen.replica == nil)
    }
}

import Domain
import Foundation
import NodeUI
import SyncCore
import TestSupport
import Testing

/// The worker's page in process (`UIApp.handle`, no HTTP): unlock, the session's timeouts, and
/// every refusal that keeps another site, another host or a stale session out; values escaped;
/// the log free of names.
@Suite struct PageSecurityTests {
    static let authority = "127.0.0.1:8765"
    static let origin = "http://127.0.0.1:8765"

    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var moment = Date(timeIntervalSince1970: 1_796_000_000)
        func now() -> Date { lock.withLock { moment } }
        func advance(_ seconds: TimeInterval) { lock.withLock { moment += seconds } }
    }

    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    struct World {
        let app: UIApp
        let store: DomainStore
        let clock: Clock
        let log: Lines
        /// One line per sync the page ran.
        let syncs: Lines
    }

    static func world() throws -> World {
        let replica = try makeReplica(.memory, origin: 1, unit: "17605")
        let store = DomainStore(replica: replica)
        let clock = Clock()
        let log = Lines()
        let syncs = Lines()
        let backend = UIBackend(
            asksPassphrase: true,
            unlock: { passphrase in
                guard passphrase == "đúng mật khẩu" else { throw CocoaError(.fileReadNoPermission) }
                return store
            },
            sync: { _ in
                syncs.add("sync")
                return "nothing"
            })
        let app = UIApp(
            configuration: UIConfiguration(host: "127.0.0.1", port: 8765, idleTimeout: 900), backend: backend,
            now: { clock.now() }, log: { log.add($0) })
        return World(app: app, store: store, clock: clock, log: log, syncs: syncs)
    }

    /// A request as the worker's browser sends it. `cookie` is what `unlock` gives: the session's
    /// cookie and its key (`TOKEN KEY`); with a key, the path is put under the session's `/s/KEY`
    /// (unless it is there already).
    static func request(
        _ method: String, _ path: String, cookie: String? = nil, form: [String: String] = [:],
        headers: [String: String] = ["Host": authority, "Origin": origin]
    ) -> UIRequest {
        var all = headers
        var path = path
        if let cookie {
            let parts = cookie.split(separator: " ")
            all["Cookie"] = "tre_session_8765=\(parts.first ?? "")"
            if parts.count > 1 { path = "/s/\(parts[1])" + inner(path) }
        }
        return UIRequest(method: method, path: path, headers: all, form: form.mapValues { [$0] })
    }

    /// A path of the site without the `/s/KEY` of the session it was given under.
    static func inner(_ path: String) -> String {
        guard path.hasPrefix("/s/") else { return path }
        let rest = path.dropFirst(3).drop { $0 != "/" }
        return rest.isEmpty ? "/" : String(rest)
    }

    /// Unlocks as `worker` and gives the session (its cookie and key, `TOKEN KEY`) and the form
    /// token of the home page.
    static func unlock(_ app: UIApp, as worker: String = "Lò Văn Sáng") async throws -> (cookie: String, csrf: String) {
        let answer = await app.handle(
            request("POST", "/unlock", form: ["worker": worker, "passphrase": "đúng mật khẩu"]))
        #expect(answer.status == 303)
        let setCookie = try #require(answer.headers.first { $0.0 == "Set-Cookie" }?.1)
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
        let token = String(setCookie.split(separator: ";")[0].dropFirst("tre_session_8765=".count))
        #expect(token.count == 64)
        let location = try #require(answer.header("Location"))
        let key = try #require(location.firstMatch(of: /^\/s\/([0-9a-f]{32})\/$/)?.1)
        let cookie = "\(token) \(key)"
        let home = String(decoding: await app.handle(request("GET", "/", cookie: cookie)).body, as: UTF8.self)
        let csrf = try #require(home.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/)?.1)
        return (cookie, String(csrf))
    }

    @Test func aWrongPassphraseOpensNothing() async throws {
        let world = try Self.world()
        let answer = await world.app.handle(
            Self.request("POST", "/unlock", form: ["worker": "Lò Văn Sáng", "passphrase": "sai"]))
        #expect(answer.status == 403)
        #expect(!answer.headers.contains { $0.0 == "Set-Cookie" })
        let home = await world.app.handle(Self.request("GET", "/cases/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"))
        #expect(home.status == 303)
    }

    @Test func formsFromElsewhereAreRefused() async throws {
        let world = try Self.world()
        let (cookie, csrf) = try await Self.unlock(world.app)
        let forms: [(String, [String: String], [String: String], Int)] = [
            ("no token", [:], ["Host": Self.authority, "Origin": Self.origin], 403),
            (
                "wrong token", ["csrf": String(repeating: "0", count: 64)],
                ["Host": Self.authority, "Origin": Self.origin], 403
            ),
            ("other origin", ["csrf": csrf], ["Host": Self.authority, "Origin": "http://evil.example"], 403),
            ("null origin alone", ["csrf": csrf], ["Host": Self.authority, "Origin": "null"], 403),
            (
                "cross-site fetch", ["csrf": csrf],
                ["Host": Self.authority, "Origin": "null", "Sec-Fetch-Site": "cross-site"], 403
            ),
            ("no origin", ["csrf": csrf], ["Host": Self.authority], 403),
            ("other host", ["csrf": csrf], ["Host": "evil.example:8765", "Origin": Self.origin], 403),
            ("own page", ["csrf": csrf], ["Host": Self.authority, "Origin": Self.origin], 303),
            (
                "own page, no-referrer", ["csrf": csrf],
                ["Host": Self.authority, "Origin": "null", "Sec-Fetch-Site": "same-origin"], 303
            ),
        ]
        for (what, form, headers, status) in forms {
            let answer = await world.app.handle(
                Self.request(
                    "POST", "/lang", cookie: cookie, form: form.merging(["lang": "vi"]) { $1 }, headers: headers))
            #expect(answer.status == status, "\(what)")
            #expect(answer.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        }
        let rebound = await world.app.handle(
            Self.request("GET", "/", cookie: cookie, headers: ["Host": "evil.example"]))
        #expect(rebound.status == 403)
    }

    @Test func sessionsEndWhenIdleAndAtTheirLimit() async throws {
        let world = try Self.world()
        let (cookie, _) = try await Self.unlock(world.app)
        world.clock.advance(14 * 60)
        #expect(await world.app.handle(Self.request("GET", "/search", cookie: cookie)).status == 200)
        world.clock.advance(15 * 60 + 1)
        let ended = await world.app.handle(Self.request("GET", "/", cookie: cookie))
        #expect(String(decoding: ended.body, as: UTF8.self).contains("Phiên làm việc đã hết"))
        // Used every 10 minutes, a session still ends after 8 hours.
        let (second, _) = try await Self.unlock(world.app)
        for _ in 0..<47 {
            world.clock.advance(600)
            #expect(await world.app.handle(Self.request("GET", "/search", cookie: second)).status == 200)
        }
        world.clock.advance(600)
        #expect(await world.app.handle(Self.request("GET", "/search", cookie: second)).status == 303)
        // Locking ends it at once.
        let (third, thirdToken) = try await Self.unlock(world.app)
        let locked = await world.app.handle(Self.request("POST", "/logout", cookie: third, form: ["csrf": thirdToken]))
        #expect(locked.status == 303)
        #expect(await world.app.handle(Self.request("GET", "/search", cookie: third)).status == 303)
    }

    @Test func valuesAreEscapedAndNamesStayOutOfTheLog() async throws {
        let world = try Self.world()
        let child = try world.store.create(
            "children",
            fields: [
                "full_name": .string("Đặng <script>alert(1)</script> Đức"), "sex": .string("M"),
                "date_of_birth": .string("2016-09-05"), "village": .string("Bản \"Pha\""),
            ])
        let (cookie, csrf) = try await Self.unlock(world.app)
        let search = await world.app.handle(
            Self.request("POST", "/search", cookie: cookie, form: ["csrf": csrf, "q": "dang duc"]))
        #expect(search.status == 303 && search.header("Location").map(Self.inner) == "/search")
        let results = String(
            decoding: await world.app.handle(Self.request("GET", "/search", cookie: cookie)).body, as: UTF8.self)
        #expect(results.contains("Đặng &lt;script&gt;alert(1)&lt;/script&gt; Đức"))
        #expect(!results.contains("<script>alert"))
        #expect(results.contains("/children/\(child)"))
        let profile = await world.app.handle(Self.request("GET", "/children/\(child)", cookie: cookie))
        let page = String(decoding: profile.body, as: UTF8.self)
        #expect(page.contains("<title>Hồ sơ trẻ em — Tre</title>") && page.contains("Bản &quot;Pha&quot;"))
        #expect(profile.header("Cache-Control") == "no-store")
        for line in world.log.all {
            #expect(!line.contains("Đặng") && !line.contains("dang") && !line.contains("Lò Văn Sáng"), "\(line)")
        }
        #expect(world.log.all.contains("GET /children/:id 200"))
    }

    @Test func aRefusedReportShowsBesideItsFieldAndStoresNothing() async throws {
        let world = try Self.world()
        let (cookie, csrf) = try await Self.unlock(world.app)
        let before = try world.store.replica.stateHash()
        let answer = await world.app.handle(
            Self.request(
                "POST", "/intakes", cookie: cookie,
                form: ["csrf": csrf, "do": "submit", "received_at": "01/12/2026 08:00", "source": "hotline_111"]))
        #expect(answer.status == 422)
        let page = String(decoding: answer.body, as: UTF8.self)
        #expect(page.contains("fieldset class=\"field invalid\"") && page.contains("Hình thức xâm hại"))
        #expect(try world.store.replica.stateHash() == before)
    }

    /// The approval loop through the page: the officer drafts and submits the plan, the
    /// chairman (unlocked under their own name) returns it with a reason, which the officer's
    /// home page shows; resubmitted, it is approved.
    @Test func thePlanIsSubmittedReturnedAndApproved() async throws {
        let world = try Self.world()
        let child = try world.store.create(
            "children",
            fields: [
                "full_name": .string("Lò Thị Mai"), "sex": .string("F"), "date_of_birth": .string("2015-03-01"),
                "village": .string("Bản Mòn"),
            ])
        let (officer, officerToken) = try await Self.unlock(world.app)
        let intake = await world.app.handle(
            Self.request(
                "POST", "/intakes", cookie: officer,
                form: [
                    "csrf": officerToken, "do": "submit", "child": child.description, "received_at": "now",
                    "source": "school", "abuse_types": "neglect",
                ]))
        #expect(intake.status == 303)
        let intakeID = try #require(try world.store.records("intakes").first?.id)
        let opened = await world.app.handle(
            Self.request(
                "POST", "/cases", cookie: officer, form: ["csrf": officerToken, "intake": intakeID.description]))
        let location = try #require(opened.header("Location"))
        func act(_ cookie: String, _ token: String, _ form: [String: String]) async -> Int {
            await world.app.handle(
                Self.request("POST", location + "/act", cookie: cookie, form: form.merging(["csrf": token]) { $1 })
            ).status
        }
        #expect(await act(officer, officerToken, ["action": "assess_initial", "serious_danger": "no"]) == 303)
        #expect(await act(officer, officerToken, ["action": "assess_detailed", "needs": "Hỗ trợ học tập"]) == 303)
        let plan = [
            "action": "draft_plan", "goals": "Trẻ đi học đều", "service": "Tư vấn tâm lý", "responsible": "Trạm y tế",
            "due": "15/12/2026", "submit": "yes",
        ]
        #expect(await act(officer, officerToken, plan) == 303)
        let (chairman, chairmanToken) = try await Self.unlock(world.app, as: "Giàng A Pao")
        // A plan is not approved by who submitted it: refused beside the step, nothing stored.
        #expect(await act(officer, officerToken, ["action": "approve_plan"]) == 422)
        #expect(
            await act(chairman, chairmanToken, ["action": "return_plan", "reason": "Thiếu người phụ trách"]) == 303)
        let home = String(
            decoding: await world.app.handle(Self.request("GET", "/", cookie: officer)).body, as: UTF8.self)
        #expect(home.contains("Thiếu người phụ trách"))
        #expect(await act(officer, officerToken, plan) == 303)
        #expect(await act(chairman, chairmanToken, ["action": "approve_plan"]) == 303)
        let page = String(
            decoding: await world.app.handle(Self.request("GET", location, cookie: officer)).body, as: UTF8.self)
        #expect(page.contains("<strong id=\"case-state\">Thực hiện kế hoạch</strong>"))
        #expect(page.contains("Giàng A Pao"))
    }
}

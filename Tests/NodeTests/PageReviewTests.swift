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

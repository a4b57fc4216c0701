import Domain
import Foundation
import NodeUI
import SyncCore
import TestSupport
import Testing

extension PageReviewTests {
    /// `POST /lang` sends the browser back to the `back` field. A browser reads `\` as `/` and
    /// drops tabs and newlines inside a URL, so `/\evil.example` left the site.
    @Test func theLanguageSwitchSendsBackOnlyWithinTheSite() async throws {
        let world = try Page.world()
        let (cookie, csrf) = try await Page.unlock(world.app)
        for back in ["/\\evil.example", "/\t/evil.example", "/\n/evil.example", "/\\/evil.example", "//evil.example"] {
            let answer = await world.app.handle(
                Page.request("POST", "/lang", cookie: cookie, form: ["csrf": csrf, "lang": "en", "back": back]))
            #expect(answer.status == 303)
            #expect(answer.header("Location").map(Page.inner) == "/", "\(back.debugDescription)")
        }
        let own = await world.app.handle(
            Page.request("POST", "/lang", cookie: cookie, form: ["csrf": csrf, "lang": "vi", "back": "/registry"]))
        #expect(own.header("Location").map(Page.inner) == "/registry")
    }
}

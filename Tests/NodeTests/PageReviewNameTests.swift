import Domain
import Foundation
import NodeUI
import SyncCore
import TestSupport
import Testing

extension PageReviewTests {
    /// The name typed at unlock goes into every audit line: with a line break (or a bidi override)
    /// inside it, a worker wrote a second, forged line under someone else's name.
    @Test func aWorkerNameCannotForgeAnAuditLine() async throws {
        let world = try Page.world()
        let forged = "Lò Văn Sáng\r\n2026-01-01T00:00:00Z Chủ tịch case.approve -\u{2028}x\u{202E}y"
        let (cookie, csrf) = try await Page.unlock(world.app, as: forged)
        _ = await world.app.handle(Page.request("POST", "/sync", cookie: cookie, form: ["csrf": csrf]))
        let trail = try world.store.replica.setting("ui.audit") ?? ""
        #expect(trail.components(separatedBy: .newlines).count == 1)
        #expect(!trail.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) })
        #expect(trail.contains("Lò Văn Sáng"))
    }
}

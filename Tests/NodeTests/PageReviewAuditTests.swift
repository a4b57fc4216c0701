import Domain
import Foundation
import NodeUI
import SyncCore
import TestSupport
import Testing

extension PageReviewTests {
    /// Every step is written to the audit trail by reading the trail, adding a line and writing it
    /// back: requests at the same moment each wrote over the other's line.
    @Test func concurrentStepsKeepEveryAuditLine() async throws {
        let world = try Page.world()
        let (cookie, csrf) = try await Page.unlock(world.app)
        let count = 60
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask {
                    _ = await world.app.handle(Page.request("POST", "/sync", cookie: cookie, form: ["csrf": csrf]))
                }
            }
        }
        let trail = try world.store.replica.setting("ui.audit") ?? ""
        #expect(trail.split(separator: "\n").filter { $0.hasSuffix(" sync -") }.count == count)
    }
}

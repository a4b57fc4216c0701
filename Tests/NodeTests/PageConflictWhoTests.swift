import Domain
import Foundation
import NodeUI
import SyncCore
import TestSupport
import Testing

/// Who wrote each value of a conflict, as far as the node can honestly say: the change log
/// keeps the node of each change, not the person. A value this node wrote through the page is
/// the worker's of the page's trail; one written otherwise, the worker configured on the node
/// (said as such); one from another node, that node, with no person.
@Suite struct PageConflictWhoTests {
    typealias Page = PageSecurityTests

    @Test func theConflictViewNamesTheWorkerWhereTheTrailKnowsIt() async throws {
        // This node, on the real clock (the trail's moments are real), and a neighbour node.
        let here = try Replica.initialize(
            storage: try StoreKind.memory.makeStorage(), origin: testOrigin(1), unit: "17605",
            time: SystemTimeSource())
        let store = DomainStore(replica: here)
        let neighbour = try makeReplica(.memory, origin: 2, unit: "17605")
        let other = DomainStore(replica: neighbour)
        let app = UIApp(
            configuration: UIConfiguration(host: "127.0.0.1", port: 8765),
            backend: UIBackend(
                asksPassphrase: true,
                unlock: { passphrase in
                    guard passphrase == "đúng mật khẩu" else { throw CocoaError(.fileReadNoPermission) }
                    return store
                }, sync: { _ in "nothing" }))
        try here.setSetting("config.worker", "Mùa A Dế")
        let child = try store.create(
            "children",
            fields: [
                "full_name": .string("Lò Thị Mai"), "sex": .string("F"), "date_of_birth": .string("2015-03-01"),
                "village": .string("Bản Mòn"), "school_status": .string("primary"),
            ])
        try neighbour.apply(try here.allChanges())
        // Both change the school status apart: a command here, the neighbour there.
        _ = try store.update("children", id: child, fields: ["school_status": .string("lower_secondary")])
        _ = try other.update("children", id: child, fields: ["school_status": .string("out_of_school")])
        try here.apply(try neighbour.allChanges())
        let (cookie, csrf) = try await Page.unlock(app)
        func conflicts() async -> String {
            String(decoding: await app.handle(Page.request("GET", "/conflicts", cookie: cookie)).body, as: UTF8.self)
        }
        var text = await conflicts()
        #expect(text.contains("Trung học cơ sở") && text.contains("Bỏ học / không đi học"))
        #expect(text.contains("Mùa A Dế (người làm việc đã cấu hình) — máy này"), "\(text)")
        #expect(text.contains("máy khác 00000000; không ghi tên người"))
        // The worker resolves it through the page; the neighbour, not having seen that, changes it
        // again: the value kept here is now the worker's own, as the trail says.
        let resolved = await app.handle(
            Page.request(
                "POST", "/conflicts/resolve", cookie: cookie,
                form: [
                    "csrf": csrf, "collection": "children", "id": child.description, "field": "school_status",
                    "choice": "new", "value": "upper_secondary",
                ]))
        #expect(resolved.status == 303)
        #expect(try store.record("children", id: child)?.string("school_status") == "upper_secondary")
        _ = try other.update("children", id: child, fields: ["school_status": .string("preschool")])
        try here.apply(try neighbour.allChanges())
        text = await conflicts()
        #expect(text.contains("Trung học phổ thông") && text.contains("Mầm non"), "\(text)")
        #expect(text.contains("Lò Văn Sáng — máy này"), "\(text)")
        #expect(!text.contains("Mùa A Dế"))
        // The worker keeps one of the two values through the page; a command on
        // this node then changes the same field seconds later, apart from the neighbour again:
        // that value is the command's, not the page worker's, however close in time.
        let kept = await app.handle(
            Page.request(
                "POST", "/conflicts/resolve", cookie: cookie,
                form: [
                    "csrf": csrf, "collection": "children", "id": child.description, "field": "school_status",
                    "choice": "1",
                ]))
        #expect(kept.status == 303)
        _ = try store.update("children", id: child, fields: ["school_status": .string("lower_secondary")])
        _ = try other.update("children", id: child, fields: ["school_status": .string("out_of_school")])
        try here.apply(try neighbour.allChanges())
        text = await conflicts()
        #expect(text.contains("Trung học cơ sở") && text.contains("Bỏ học / không đi học"), "\(text)")
        #expect(text.contains("Mùa A Dế (người làm việc đã cấu hình) — máy này"), "\(text)")
        #expect(!text.contains("Lò Văn Sáng — máy này"), "\(text)")
    }
}

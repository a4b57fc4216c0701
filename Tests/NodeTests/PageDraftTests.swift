import Domain
import Foundation
import NodeUI
import SyncCore
import TestSupport
import Testing

/// The long step forms — the support plan, the reassessment (Mẫu 06), the closure's proposal —
/// are kept as a draft until the step is taken, as Mẫu 01 is: saved with "Lưu nháp", opened
/// again with the case page (the worker's own, not another's), removed once the step is taken.
@Suite struct PageDraftTests {
    typealias Page = PageSecurityTests

    @Test func stepFormsAreKeptAsDraftsUntilTaken() async throws {
        let world = try Page.world()
        let child = try world.store.create(
            "children",
            fields: [
                "full_name": .string("Lò Thị Mai"), "sex": .string("F"), "date_of_birth": .string("2015-03-01"),
                "village": .string("Bản Mòn"),
            ])
        let (officer, officerToken) = try await Page.unlock(world.app)
        #expect(
            await world.app.handle(
                Page.request(
                    "POST", "/intakes", cookie: officer,
                    form: [
                        "csrf": officerToken, "do": "submit", "child": child.description, "received_at": "now",
                        "source": "school", "abuse_types": "neglect",
                    ])
            ).status == 303)
        let intake = try #require(try world.store.records("intakes").first?.id)
        let opened = await world.app.handle(
            Page.request("POST", "/cases", cookie: officer, form: ["csrf": officerToken, "intake": intake.description]))
        let location = Page.inner(try #require(opened.header("Location")))
        func act(_ cookie: String, _ token: String, _ form: [String: String]) async -> Int {
            await world.app.handle(
                Page.request("POST", location + "/act", cookie: cookie, form: form.merging(["csrf": token]) { $1 })
            ).status
        }
        func page(_ cookie: String) async -> String {
            String(decoding: await world.app.handle(Page.request("GET", location, cookie: cookie)).body, as: UTF8.self)
        }
        let note = "Đang mở bản nháp đã lưu"
        #expect(await act(officer, officerToken, ["action": "assess_initial", "serious_danger": "no"]) == 303)
        #expect(await act(officer, officerToken, ["action": "assess_detailed", "needs": "Hỗ trợ học tập"]) == 303)

        // The plan: a draft saves nothing in the case, and comes back with the page.
        let before = try world.store.record("cases", id: try #require(try world.store.records("cases").first?.id))
        #expect(
            await act(officer, officerToken, ["action": "draft_plan", "do": "draft", "goals": "Mai đi học đều"]) == 303)
        #expect(try world.store.records("cases").first?.string("status") == before?.string("status"))
        var text = await page(officer)
        #expect(text.contains(note) && text.contains(">Mai đi học đều</textarea>"))
        // Another worker does not see it.
        let (chairman, chairmanToken) = try await Page.unlock(world.app, as: "Giàng A Pao")
        #expect(!(await page(chairman)).contains(note))
        let plan = [
            "action": "draft_plan", "goals": "Mai đi học đều", "service": "Tư vấn", "responsible": "Trạm y tế",
            "due": "15/12/2026", "submit": "yes",
        ]
        #expect(await act(officer, officerToken, plan) == 303)
        #expect(await act(chairman, chairmanToken, ["action": "approve_plan"]) == 303)
        text = await page(officer)
        #expect(text.contains("Thực hiện kế hoạch") && !text.contains(note))

        // Mẫu 06: the ratings chosen so far, kept.
        #expect(
            await act(officer, officerToken, ["action": "reassess", "do": "draft", "residual_harm": "medium"]) == 303)
        text = await page(officer)
        #expect(text.contains(note) && text.contains("<option value=\"medium\" selected>"))
        #expect(
            await act(
                officer, officerToken,
                ["action": "reassess", "residual_harm": "low", "abuser_access": "low", "care_environment": "low"])
                == 303)
        text = await page(officer)
        #expect(text.contains("Đánh giá lại (Mẫu 06)") && !text.contains(note))

        // The closure's proposal: its reason kept; taking it removes the draft.
        #expect(
            await act(officer, officerToken, ["action": "propose_closure", "do": "draft", "closure_reason": "safe"])
                == 303)
        text = await page(officer)
        #expect(text.contains(note) && text.contains("<option value=\"safe\" selected>"))
        #expect(await act(officer, officerToken, ["action": "propose_closure", "closure_reason": "safe"]) == 303)
        #expect(await act(chairman, chairmanToken, ["action": "return_closure", "reason": "Chưa đủ căn cứ"]) == 303)
        text = await page(officer)
        #expect(text.contains("Chưa đủ căn cứ") && !text.contains(note))
        // The trail says a draft was saved, never what it holds.
        let trail = try world.store.replica.setting("ui.audit") ?? ""
        #expect(trail.contains("draft.reassess") && !trail.contains("medium") && !trail.contains("Mai đi học"))
    }
}

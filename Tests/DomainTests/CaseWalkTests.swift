import Domain
import Foundation
import Testing

/// One case from a call to the 111 hotline to its closure, every deadline checked against a
/// moment written out by hand.
@Suite struct CaseWalkTests {
    let calendar = WorkingCalendar.standard
    let rules = DeadlineRules.standard

    func step(
        _ action: CaseAction, _ facts: CaseFacts, at: String, role: CaseRole = .officer, reason: String? = nil,
        seriousDanger: Bool? = nil, ratings: [String: String] = [:], placementStart: String? = nil,
        closureReason: String? = nil
    ) throws(DomainRefusal) -> CaseTransition {
        try CaseWorkflow.apply(
            action, to: facts,
            input: CaseStepInput(
                at: moment(at), by: role == .chairman ? "chu.tich" : "can.bo", role: role, reason: reason,
                seriousDanger: seriousDanger, ratings: ratings, placementStart: placementStart.map(moment),
                closureReason: closureReason),
            calendar: calendar, rules: rules)
    }

    @Test func fromAHotlineCallToClosure() throws {
        // Friday 24/4/2026 10:00: a call to 111.
        var facts = CaseFacts(receivedAt: moment("2026-04-24T10:00:00+07:00"))
        #expect(facts.state == .received && facts.planCycle == 0 && facts.deadlines.isEmpty)

        // Initial assessment finds serious danger: emergency by 22:00 the same day, the plan by
        // the end of Wednesday 6/5 (Giỗ Tổ Monday, 30/4, 1/5 and two weekends skipped).
        var transition = try step(.assessInitial, facts, at: "2026-04-24T11:30:00+07:00", seriousDanger: true)
        #expect(transition.from == .received && transition.state == .initialAssessment)
        #expect(
            Set(transition.deadlines) == [
                CaseDeadline(kind: .plan, due: moment("2026-05-06T23:59:59+07:00")),
                CaseDeadline(kind: .emergency, due: moment("2026-04-24T22:00:00+07:00")),
            ])
        #expect(transition.warnings.isEmpty)
        facts = transition.facts
        #expect(facts.seriousDanger == true)
        #expect(
            CaseWorkflow.overdue(deadlines: facts.deadlines, now: moment("2026-04-24T12:00:00+07:00"))
                == [CaseDeadline(kind: .emergency, due: moment("2026-04-24T22:00:00+07:00"))])

        // With serious danger, the detailed assessment waits for the emergency intervention.
        let early = try #require(refusal { try step(.assessDetailed, facts, at: "2026-04-24T12:00:00+07:00") })
        #expect(early.code == "not_allowed")
        #expect(early.message(.vi).contains("phải can thiệp khẩn cấp trước (trong 12 giờ"))
        #expect(early.message(.en).contains("emergency intervention comes first"))

        // Emergency intervention at 16:00, the child placed in temporary care: placement ends by
        // the end of Friday 8/5 (day 15, counting the 24th).
        transition = try step(
            .emergency, facts, at: "2026-04-24T16:00:00+07:00", placementStart: "2026-04-24T16:00:00+07:00")
        #expect(transition.state == .emergency)
        #expect(
            transition.deadlines == [
                CaseDeadline(
                    kind: .emergency, due: moment("2026-04-24T22:00:00+07:00"),
                    met: moment("2026-04-24T16:00:00+07:00")),
                CaseDeadline(kind: .placement, due: moment("2026-05-08T23:59:59+07:00")),
            ])
        facts = transition.facts
        #expect(facts.placementRunning)

        facts = try step(.assessDetailed, facts, at: "2026-04-28T09:00:00+07:00").facts
        #expect(facts.state == .detailedAssessment)
        facts = try step(.draftPlan, facts, at: "2026-04-28T14:00:00+07:00").facts
        #expect(facts.state == .planDrafting && facts.planCycle == 1)

        // Submitted Wednesday 29/4: the plan deadline is met, the chairman decides by the end of
        // Tuesday 5/5 (30/4, 1/5 and the weekend skipped).
        transition = try step(.submitPlan, facts, at: "2026-04-29T10:00:00+07:00")
        #expect(transition.state == .planSubmitted)
        #expect(
            transition.deadlines == [
                CaseDeadline(
                    kind: .plan, due: moment("2026-05-06T23:59:59+07:00"), met: moment("2026-04-29T10:00:00+07:00")),
                CaseDeadline(kind: .decision, due: moment("2026-05-05T23:59:59+07:00")),
            ])
        facts = transition.facts

        // The officer cannot decide; the chairman must give a reason to return.
        let notTheirs = try #require(refusal { try step(.approvePlan, facts, at: "2026-05-04T08:00:00+07:00") })
        #expect(notTheirs.code == "not_allowed")
        #expect(notTheirs.message(.vi) == "Phê duyệt kế hoạch: chỉ Chủ tịch UBND xã được thực hiện bước này")
        #expect(notTheirs.message(.en) == "Approve the plan: only the commune chairman may take this step")
        let noReason = try #require(
            refusal { try step(.returnPlan, facts, at: "2026-05-04T15:00:00+07:00", role: .chairman, reason: "  ") })
        #expect(noReason.code == "missing" && noReason.field == "reason")
        #expect(noReason.message(.vi) == "Lý do: chưa được nhập")
        #expect(noReason.message(.en) == "Reason: is missing")

        // Returned Monday 4/5 at 15:00: the decision deadline is met; the plan goes back to drafting.
        transition = try step(
            .returnPlan, facts, at: "2026-05-04T15:00:00+07:00", role: .chairman,
            reason: "Bổ sung phân công trách nhiệm của trường học")
        #expect(transition.state == .planDrafting)
        #expect(
            transition.deadlines == [
                CaseDeadline(
                    kind: .decision, due: moment("2026-05-05T23:59:59+07:00"),
                    met: moment("2026-05-04T15:00:00+07:00"))
            ])
        facts = transition.facts

        // Editing the draft keeps the cycle.
        transition = try step(.draftPlan, facts, at: "2026-05-05T09:00:00+07:00")
        #expect(transition.state == .planDrafting && transition.facts.planCycle == 1 && transition.deadlines.isEmpty)
        facts = transition.facts

        // The child goes home on Tuesday 5/5: the placement deadline is met.
        transition = try step(.endPlacement, facts, at: "2026-05-05T17:00:00+07:00")
        #expect(transition.state == .planDrafting)
        #expect(
            transition.deadlines == [
                CaseDeadline(
                    kind: .placement, due: moment("2026-05-08T23:59:59+07:00"),
                    met: moment("2026-05-05T17:00:00+07:00"))
            ])
        facts = transition.facts
        #expect(!facts.placementRunning)

        // Submitted again on Wednesday 6/5: a new decision deadline, the end of Friday 8/5; the
        // plan deadline stays met by the first submission.
        transition = try step(.submitPlan, facts, at: "2026-05-06T10:00:00+07:00")
        #expect(transition.deadlines == [CaseDeadline(kind: .decision, due: moment("2026-05-08T23:59:59+07:00"))])
        facts = transition.facts
        #expect(facts.deadline(.plan)?.met == moment("2026-04-29T10:00:00+07:00"))

        transition = try step(.approvePlan, facts, at: "2026-05-07T16:00:00+07:00", role: .chairman)
        #expect(transition.state == .implementing)
        #expect(
            transition.deadlines == [
                CaseDeadline(
                    kind: .decision, due: moment("2026-05-08T23:59:59+07:00"),
                    met: moment("2026-05-07T16:00:00+07:00"))
            ])
        facts = transition.facts

        // Closure is not possible before the reassessment.
        let tooSoon = try #require(
            refusal { try step(.proposeClosure, facts, at: "2026-06-01T09:00:00+07:00", closureReason: "Ổn định") })
        #expect(tooSoon.code == "not_allowed")
        #expect(tooSoon.message(.vi).contains("chưa đến bước “Đánh giá lại (Mẫu 06)”"))
        #expect(tooSoon.message(.en).contains("before the step “Reassessment (Form 06)”"))

        // Reassessment (Mẫu 06): the abuser can still reach the child. Closure is refused; a
        // new plan cycle follows.
        facts = try step(
            .reassess, facts, at: "2026-06-15T09:00:00+07:00",
            ratings: ["residual_harm": "medium", "abuser_access": "high", "care_environment": "low"]
        ).facts
        #expect(facts.state == .reassessment)
        #expect(facts.reassessment == Reassessment(residualHarm: .medium, abuserAccess: .high, careEnvironment: .low))
        let risky = try #require(
            refusal { try step(.proposeClosure, facts, at: "2026-06-15T10:00:00+07:00", closureReason: "Ổn định") })
        #expect(risky.code == "not_allowed")
        #expect(
            risky.message(.vi)
                == "Đề xuất đóng hồ sơ: còn nguy cơ cao (Khả năng người gây hại tiếp cận trẻ): chưa thể đóng hồ sơ; "
                + "hãy xây dựng kế hoạch mới (chu kỳ 2). Có thể: Xây dựng kế hoạch, Đánh giá lại (Mẫu 06), Chuyển hồ sơ."
        )
        #expect(
            risky.message(.en)
                == "Propose closure: risks remain high (The abuser's access to the child): the case cannot be closed; "
                + "draft a new plan (cycle 2) instead. Possible: Draft the plan, Reassess (Form 06), Transfer.")
        #expect(!CaseWorkflow.possibleActions(from: facts.state, facts: facts).contains(.proposeClosure))

        facts = try step(.draftPlan, facts, at: "2026-06-15T14:00:00+07:00").facts
        #expect(facts.state == .planDrafting && facts.planCycle == 2)
        // Tuesday 16/6: decided by the end of Thursday 18/6.
        transition = try step(.submitPlan, facts, at: "2026-06-16T10:00:00+07:00")
        #expect(transition.deadlines == [CaseDeadline(kind: .decision, due: moment("2026-06-18T23:59:59+07:00"))])
        facts = try step(.approvePlan, transition.facts, at: "2026-06-17T08:30:00+07:00", role: .chairman).facts
        #expect(facts.state == .implementing && facts.planCycle == 2)

        facts = try step(
            .reassess, facts, at: "2026-08-27T09:00:00+07:00",
            ratings: ["residual_harm": "low", "abuser_access": "low", "care_environment": "medium"]
        ).facts
        // Proposed on Friday 28/8: Monday 31/8, not 1/9 and 2/9 (Quốc khánh), Thursday 3/9.
        transition = try step(
            .proposeClosure, facts, at: "2026-08-28T10:00:00+07:00",
            closureReason: "Trẻ an toàn, gia đình chăm sóc tốt, người gây hại đã chuyển đi nơi khác")
        #expect(transition.state == .closureSubmitted)
        #expect(transition.deadlines == [CaseDeadline(kind: .decision, due: moment("2026-09-03T23:59:59+07:00"))])
        facts = transition.facts
        #expect(
            CaseWorkflow.overdue(deadlines: facts.deadlines, now: moment("2026-09-02T08:00:00+07:00"))
                == [CaseDeadline(kind: .decision, due: moment("2026-09-03T23:59:59+07:00"))])

        transition = try step(.approveClosure, facts, at: "2026-09-03T08:00:00+07:00", role: .chairman)
        #expect(transition.state == .closed)
        facts = transition.facts
        #expect(!facts.state.isOpen)
        #expect(
            Set(facts.deadlines) == [
                CaseDeadline(
                    kind: .emergency, due: moment("2026-04-24T22:00:00+07:00"),
                    met: moment("2026-04-24T16:00:00+07:00")),
                CaseDeadline(
                    kind: .plan, due: moment("2026-05-06T23:59:59+07:00"), met: moment("2026-04-29T10:00:00+07:00")),
                CaseDeadline(
                    kind: .placement, due: moment("2026-05-08T23:59:59+07:00"),
                    met: moment("2026-05-05T17:00:00+07:00")),
                CaseDeadline(
                    kind: .decision, due: moment("2026-09-03T23:59:59+07:00"),
                    met: moment("2026-09-03T08:00:00+07:00")),
            ])
        #expect(facts.deadlines.allSatisfy { !$0.wasMetLate })
        #expect(CaseWorkflow.overdue(deadlines: facts.deadlines, now: moment("2026-12-01T00:00:00+07:00")).isEmpty)
        #expect(CaseWorkflow.possibleActions(from: .closed, facts: facts) == [.reopen])
    }

    @Test func aReopenedCaseCountsItsDeadlinesFromTheReopening() throws {
        var facts = CaseFacts(receivedAt: moment("2026-03-02T09:00:00+07:00"))
        facts = try step(.assessInitial, facts, at: "2026-03-02T10:00:00+07:00", seriousDanger: false).facts
        #expect(
            CaseWorkflow.possibleActions(from: facts.state, facts: facts) == [
                .assessDetailed, .notSubstantiated, .transfer,
            ])
        let closing = try step(.notSubstantiated, facts, at: "2026-03-03T10:00:00+07:00", reason: "Tin báo sai")
        #expect(closing.state == .notSubstantiated)
        // The plan deadline is no longer owed.
        #expect(
            closing.deadlines == [
                CaseDeadline(
                    kind: .plan, due: moment("2026-03-09T23:59:59+07:00"), met: moment("2026-03-03T10:00:00+07:00"))
            ])
        facts = try step(.reopen, closing.facts, at: "2026-06-25T14:00:00+07:00", reason: "Tin báo mới từ nhà trường")
            .facts
        #expect(facts.state == .reopened && facts.seriousDanger == nil)
        // Thursday 25/6/2026: Friday 26, Monday 29, Tuesday 30, Wednesday 1/7, Thursday 2/7.
        let again = try step(.assessInitial, facts, at: "2026-06-25T16:00:00+07:00", seriousDanger: true)
        #expect(
            Set(again.deadlines) == [
                CaseDeadline(kind: .plan, due: moment("2026-07-02T23:59:59+07:00")),
                CaseDeadline(kind: .emergency, due: moment("2026-06-26T02:00:00+07:00")),
            ])
    }

    @Test func aTransferDischargesWhatIsOwedAndEndsThePlacement() throws {
        var facts = CaseFacts(receivedAt: moment("2026-03-02T09:00:00+07:00"))
        facts = try step(.assessInitial, facts, at: "2026-03-02T10:00:00+07:00", seriousDanger: true).facts
        facts = try step(
            .emergency, facts, at: "2026-03-02T12:00:00+07:00", placementStart: "2026-03-02T12:00:00+07:00"
        ).facts
        let noTarget = try #require(refusal { try step(.transfer, facts, at: "2026-03-03T09:00:00+07:00") })
        #expect(noTarget.code == "missing" && noTarget.field == "target")
        let transfer = try CaseWorkflow.apply(
            .transfer, to: facts,
            input: CaseStepInput(
                at: moment("2026-03-03T09:00:00+07:00"), by: "can.bo", target: "UBND phường Hà Đông"),
            calendar: calendar, rules: rules)
        #expect(transfer.state == .transferred)
        #expect(Set(transfer.deadlines.map(\.kind)) == [.plan, .placement])
        #expect(transfer.facts.deadlines.allSatisfy { $0.met != nil })
        #expect(!transfer.facts.placementRunning)
    }

    @Test func ratingsMustBeHighMediumOrLowForEachItem() throws {
        let facts = CaseFacts(state: .implementing, receivedAt: moment("2026-03-02T09:00:00+07:00"), planCycle: 1)
        let bad = try #require(
            refusal {
                try step(
                    .reassess, facts, at: "2026-04-01T09:00:00+07:00",
                    ratings: ["residual_harm": "very high", "abuser_access": "low", "care_environment": "low"])
            })
        #expect(bad.code == "bad_value" && bad.field == "residual_harm")
        #expect(bad.message(.vi) == "Mức độ tổn hại còn lại: “very high” không phải là một mức đánh giá")
        #expect(bad.message(.en) == "Residual harm: “very high” is not a rating")
        #expect(bad.hint(.vi) == "high (cao), medium (trung bình) hoặc low (thấp)")
        let absent = try #require(
            refusal {
                try step(
                    .reassess, facts, at: "2026-04-01T09:00:00+07:00",
                    ratings: ["residual_harm": "low", "care_environment": "low"])
            })
        #expect(absent.code == "missing" && absent.field == "abuser_access")
        let unknown = try #require(
            refusal {
                try step(
                    .reassess, facts, at: "2026-04-01T09:00:00+07:00",
                    ratings: [
                        "residual_harm": "low", "abuser_access": "low", "care_environment": "low", "school": "low",
                    ])
            })
        #expect(unknown.code == "bad_value" && unknown.field == "school")
        let typed = try step(
            .reassess, facts, at: "2026-04-01T09:00:00+07:00",
            ratings: Reassessment(residualHarm: .low, abuserAccess: .medium, careEnvironment: .low).fields)
        #expect(typed.facts.reassessment?.abuserAccess == .medium)
    }

    @Test func aCaseAtADeadlineInAnUnknownYearWarns() throws {
        let only2027 = try WorkingCalendar(parsing: [2027: WorkingCalendar.embeddedFiles[2027]!])
        let facts = CaseFacts(receivedAt: moment("2027-12-30T09:00:00+07:00"))
        let transition = try CaseWorkflow.apply(
            .assessInitial, to: facts,
            input: CaseStepInput(at: moment("2027-12-30T10:00:00+07:00"), by: "can.bo", seriousDanger: false),
            calendar: only2027, rules: rules)
        #expect(transition.warnings.count == 1)
        #expect(transition.warnings.first?.vi.contains("2028") == true)
    }

    @Test func overdueListsWhatIsOwedSoonestFirst() {
        let now = moment("2026-05-04T12:00:00+07:00")
        let deadlines = [
            CaseDeadline(kind: .plan, due: moment("2026-05-06T23:59:59+07:00")),
            CaseDeadline(kind: .decision, due: moment("2026-05-05T23:59:59+07:00")),
            CaseDeadline(kind: .placement, due: moment("2026-05-01T23:59:59+07:00")),
            CaseDeadline(
                kind: .emergency, due: moment("2026-04-24T22:00:00+07:00"), met: moment("2026-04-24T16:00:00+07:00")),
        ]
        #expect(
            CaseWorkflow.overdue(deadlines: deadlines, now: now).map(\.kind) == [.placement, .decision])
        #expect(CaseWorkflow.overdue(deadlines: deadlines, now: now, horizon: 0).map(\.kind) == [.placement])
        #expect(
            CaseWorkflow.overdue(deadlines: deadlines, now: now, horizon: 7 * 24 * 3600).map(\.kind) == [
                .placement, .decision, .plan,
            ])
        #expect(deadlines[2].isOverdue(now: now) && !deadlines[1].isOverdue(now: now))
    }
}

import Domain
import Foundation
import Testing

@Suite struct DeadlineTests {
    let calendar = WorkingCalendar.standard
    let rules = DeadlineRules.standard

    /// Friday 24/4/2026 10:00: not Saturday 25, Sunday 26, Monday 27 (Giỗ Tổ, compensatory),
    /// Tuesday 28 (1), Wednesday 29 (2), not 30/4, 1/5 or the weekend, Monday 4/5 (3),
    /// Tuesday 5/5 (4), Wednesday 6/5 (5).
    @Test func thePlanIsDueAtTheEndOfTheFifthWorkingDay() {
        #expect(
            planDue(receivedAt: moment("2026-04-24T10:00:00+07:00"), calendar: calendar, rules: rules)
                == moment("2026-05-06T23:59:59+07:00"))
        // Received on the Saturday, or after midnight local time (still Friday in UTC): the same.
        #expect(
            planDue(receivedAt: moment("2026-04-25T23:00:00+07:00"), calendar: calendar, rules: rules)
                == moment("2026-05-06T23:59:59+07:00"))
        #expect(
            planDue(receivedAt: moment("2026-04-24T18:00:00Z"), calendar: calendar, rules: rules)
                == moment("2026-05-06T23:59:59+07:00"))
        // 23:59 on Thursday 23/4 local is still the 23rd: five working days end on Tuesday 5/5.
        #expect(
            planDue(receivedAt: moment("2026-04-23T16:59:00Z"), calendar: calendar, rules: rules)
                == moment("2026-05-05T23:59:59+07:00"))
    }

    @Test func theDecisionIsDueTwoWorkingDaysAfterTheSubmission() {
        // Wednesday 29/4/2026: 30/4, 1/5 and the weekend do not count; Monday 4/5, Tuesday 5/5.
        #expect(
            decisionDue(submittedAt: moment("2026-04-29T15:00:00+07:00"), calendar: calendar, rules: rules)
                == moment("2026-05-05T23:59:59+07:00"))
        // Friday 25/4/2025: Saturday 26/4/2025 was a working day (swapped against Friday 2/5).
        #expect(
            decisionDue(submittedAt: moment("2025-04-25T09:00:00+07:00"), calendar: calendar, rules: rules)
                == moment("2025-04-28T23:59:59+07:00"))
        // Friday 28/8/2026: Monday 31/8 (1), not 1/9 and 2/9 (Quốc khánh), Thursday 3/9 (2).
        #expect(
            decisionDue(submittedAt: moment("2026-08-28T10:00:00+07:00"), calendar: calendar, rules: rules)
                == moment("2026-09-03T23:59:59+07:00"))
    }

    @Test func emergencyIsHoursAfterReceiptWhateverTheDay() {
        let received = moment("2026-04-24T10:00:00+07:00")
        #expect(
            emergencyDue(receivedAt: received, calendar: calendar, rules: rules)
                == moment("2026-04-24T22:00:00+07:00"))
        #expect(
            emergencyDue(receivedAt: received, calendar: calendar, rules: DeadlineRules(emergencyHours: 8))
                == moment("2026-04-24T18:00:00+07:00"))
        #expect(
            emergencyDue(receivedAt: moment("2026-04-30T20:00:00+07:00"), calendar: calendar, rules: rules)
                == moment("2026-05-01T08:00:00+07:00"))
    }

    /// Placed on Friday 24/4/2026 at 21:00: day 1 is the 24th, day 15 is Friday 8/5; holidays
    /// do not extend it.
    @Test func aPlacementEndsByTheEndOfItsFifteenthDay() {
        #expect(
            placementEnds(startedAt: moment("2026-04-24T21:00:00+07:00"), calendar: calendar, rules: rules)
                == moment("2026-05-08T23:59:59+07:00"))
        #expect(
            placementEnds(startedAt: moment("2026-04-24T00:30:00+07:00"), calendar: calendar, rules: rules)
                == moment("2026-05-08T23:59:59+07:00"))
        #expect(
            placementEnds(
                startedAt: moment("2026-12-25T08:00:00+07:00"), calendar: calendar,
                rules: DeadlineRules(placementDays: 10))
                == moment("2027-01-03T23:59:59+07:00"))
    }

    @Test func rulesReadFromAConfigurationKeepTheDecreesDefaults() throws {
        let rules = try JSONDecoder().decode(DeadlineRules.self, from: Data(#"{"emergency_hours": 8}"#.utf8))
        #expect(
            rules == DeadlineRules(emergencyHours: 8, planWorkingDays: 5, decisionWorkingDays: 2, placementDays: 15))
        let again = try JSONDecoder().decode(DeadlineRules.self, from: JSONEncoder().encode(rules))
        #expect(again == rules)
        try rules.validate()
        let refused = try #require(refusal { try DeadlineRules(planWorkingDays: 0).validate() })
        #expect(refused.field == "plan_working_days" && refused.code == "bad_value")
        #expect(refused.hint(.vi) == "một số từ 1 đến 30")
    }

    @Test func labelsSayTheConfiguredLimits() {
        #expect(DeadlineKind.emergency.label.vi == "Can thiệp khẩn cấp (trong 12 giờ)")
        #expect(DeadlineKind.plan.label.vi == "Kế hoạch hỗ trợ, can thiệp (5 ngày làm việc)")
        #expect(DeadlineKind.decision.label.en == "Commune chairman's decision (2 working days)")
        #expect(DeadlineKind.placement.label.vi == "Bố trí nơi tạm thời an toàn (tối đa 15 ngày)")
        #expect(DeadlineKind.emergency.label(rules: DeadlineRules(emergencyHours: 8)).en.hasSuffix("(within 8 hours)"))
    }
}

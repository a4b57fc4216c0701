public import Foundation

/// The time limits of a case (Nghị định 56/2017/NĐ-CP). Local procedures differ on some, so an
/// office's configuration can change them; `standard` is the decree's.
public struct DeadlineRules: Sendable, Codable, Hashable {
    /// Emergency intervention, in hours after receipt, when the initial assessment finds serious
    /// danger (12 in the decree; some provincial procedures say 8).
    public var emergencyHours: Int
    /// The support plan, in working days after the day of receipt.
    public var planWorkingDays: Int
    /// The chairman's decision on a plan or a closure, in working days after the day submitted.
    public var decisionWorkingDays: Int
    /// Emergency placement in temporary care, in calendar days counting the first.
    public var placementDays: Int

    public static let standard = DeadlineRules()

    public init(
        emergencyHours: Int = 12, planWorkingDays: Int = 5, decisionWorkingDays: Int = 2, placementDays: Int = 15
    ) {
        self.emergencyHours = emergencyHours
        self.planWorkingDays = planWorkingDays
        self.decisionWorkingDays = decisionWorkingDays
        self.placementDays = placementDays
    }

    enum CodingKeys: String, CodingKey {
        case emergencyHours = "emergency_hours"
        case planWorkingDays = "plan_working_days"
        case decisionWorkingDays = "decision_working_days"
        case placementDays = "placement_days"
    }

    /// A configuration names only the limits it changes; the others keep the decree's values.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let standard = DeadlineRules()
        emergencyHours = try container.decodeIfPresent(Int.self, forKey: .emergencyHours) ?? standard.emergencyHours
        planWorkingDays =
            try container.decodeIfPresent(Int.self, forKey: .planWorkingDays) ?? standard.planWorkingDays
        decisionWorkingDays =
            try container.decodeIfPresent(Int.self, forKey: .decisionWorkingDays) ?? standard.decisionWorkingDays
        placementDays = try container.decodeIfPresent(Int.self, forKey: .placementDays) ?? standard.placementDays
    }

    /// Refuses limits no procedure would set (zero, negative, or beyond the plausible), so a
    /// typo in a configuration file does not silently move every deadline.
    public func validate() throws(DomainRefusal) {
        let limits: [(String, Int, ClosedRange<Int>, Localized)] = [
            ("emergency_hours", emergencyHours, 1...72, DeadlineKind.emergency.generalLabel),
            ("plan_working_days", planWorkingDays, 1...30, DeadlineKind.plan.generalLabel),
            ("decision_working_days", decisionWorkingDays, 1...30, DeadlineKind.decision.generalLabel),
            ("placement_days", placementDays, 1...90, DeadlineKind.placement.generalLabel),
        ]
        for (field, value, range, label) in limits where !range.contains(value) {
            throw DomainRefusal(
                code: "bad_value", field: field, label: label,
                problem: Localized(vi: "\(value) nằm ngoài giới hạn", en: "\(value) is out of bounds"),
                accepted: Localized(
                    vi: "một số từ \(range.lowerBound) đến \(range.upperBound)",
                    en: "a number from \(range.lowerBound) to \(range.upperBound)"))
        }
    }
}

/// The kinds of time limit a case runs against.
public enum DeadlineKind: String, Sendable, Hashable, CaseIterable, Codable {
    case emergency
    case plan
    case decision
    case placement

    /// The label with the decree's limits: "Kế hoạch hỗ trợ, can thiệp (5 ngày làm việc)".
    public var label: Localized { label(rules: .standard) }

    /// The label with an office's own limits, so a page never shows 12 hours where the
    /// procedure says 8.
    public func label(rules: DeadlineRules) -> Localized {
        let name = generalLabel
        switch self {
        case .emergency:
            return Localized(
                vi: "\(name.vi) (trong \(rules.emergencyHours) giờ)",
                en: "\(name.en) (within \(rules.emergencyHours) hours)")
        case .plan:
            return Localized(
                vi: "\(name.vi) (\(rules.planWorkingDays) ngày làm việc)",
                en: "\(name.en) (\(rules.planWorkingDays) working days)")
        case .decision:
            return Localized(
                vi: "\(name.vi) (\(rules.decisionWorkingDays) ngày làm việc)",
                en: "\(name.en) (\(rules.decisionWorkingDays) working days)")
        case .placement:
            return Localized(
                vi: "\(name.vi) (tối đa \(rules.placementDays) ngày)",
                en: "\(name.en) (at most \(rules.placementDays) days)")
        }
    }

    /// The label without its limit.
    public var generalLabel: Localized {
        switch self {
        case .emergency: Localized(vi: "Can thiệp khẩn cấp", en: "Emergency intervention")
        case .plan: Localized(vi: "Kế hoạch hỗ trợ, can thiệp", en: "Support and intervention plan")
        case .decision: Localized(vi: "Quyết định của Chủ tịch UBND xã", en: "Commune chairman's decision")
        case .placement: Localized(vi: "Bố trí nơi tạm thời an toàn", en: "Emergency placement in temporary care")
        }
    }
}

/// When the support plan is due: the end (23:59:59, Vietnam's time) of the `planWorkingDays`-th
/// working day after the day of receipt. The day of receipt does not count, as the Civil Code
/// (Art. 147) counts a period from the day after its event: a report received on Friday
/// afternoon owes no work that same evening.
public func planDue(receivedAt: Date, calendar: WorkingCalendar, rules: DeadlineRules) -> Date {
    endOfWorkingDays(rules.planWorkingDays, after: receivedAt, calendar: calendar)
}

/// When the chairman's decision on a submitted plan or closure is due: the end of the
/// `decisionWorkingDays`-th working day after the day of submission.
public func decisionDue(submittedAt: Date, calendar: WorkingCalendar, rules: DeadlineRules) -> Date {
    endOfWorkingDays(rules.decisionWorkingDays, after: submittedAt, calendar: calendar)
}

/// When emergency intervention is due: exactly `emergencyHours` after receipt, nights and
/// holidays included, because danger does not wait for office hours. (`calendar` keeps the four
/// deadline functions called alike; hours do not depend on it.)
public func emergencyDue(receivedAt: Date, calendar: WorkingCalendar, rules: DeadlineRules) -> Date {
    receivedAt.addingTimeInterval(TimeInterval(rules.emergencyHours) * 3600)
}

/// When an emergency placement must have ended: "at most 15 days" counts the day the child was
/// placed as the first, so a placement starting on day D ends by 23:59:59 of D+14. The Civil
/// Code's rule (the first day does not count) would allow one more day; taking the earlier end
/// keeps a child from being held a day beyond the limit, and a warning a day early harms no one.
/// Calendar days: holidays do not extend it.
public func placementEnds(startedAt: Date, calendar: WorkingCalendar, rules: DeadlineRules) -> Date {
    LocalDate.today(at: startedAt).adding(days: max(rules.placementDays, 1) - 1).end()
}

func endOfWorkingDays(_ count: Int, after instant: Date, calendar: WorkingCalendar) -> Date {
    calendar.addingWorkingDays(count, to: LocalDate.today(at: instant)).end()
}

import Foundation

/// The refusals of the workflow, worded for the worker: each says where the case stands and
/// what can be done instead.
extension CaseWorkflow {
    static func roleRefusal(_ action: CaseAction, needs role: CaseRole) -> DomainRefusal {
        let problem =
            switch role {
            case .chairman:
                Localized(
                    vi: "chỉ Chủ tịch UBND xã được thực hiện bước này",
                    en: "only the commune chairman may take this step")
            case .officer:
                Localized(
                    vi: "bước này do cán bộ bảo vệ trẻ em thực hiện", en: "this step is the child-protection officer's")
            }
        return DomainRefusal(
            code: "not_allowed", field: "case.\(action.rawValue)", label: action.label, problem: problem,
            accepted: role.label)
    }

    /// The action cannot be taken from the case's state: names the state, the step the action
    /// needs when the case has not reached it yet, and the actions possible instead.
    static func stateRefusal(_ action: CaseAction, facts: CaseFacts) -> DomainRefusal {
        let state = facts.state
        var vi = "không thể thực hiện khi hồ sơ đang ở bước “\(state.label.vi)”"
        var en = "not possible while the case is at the step “\(state.label.en)”"
        if let current = state.stepIndex,
            let needed = rule(for: action).from.filter({ ($0.stepIndex ?? -1) > current })
                .min(by: { $0.stepIndex! < $1.stepIndex! })
        {
            vi += ", chưa đến bước “\(needed.label.vi)”"
            en += ", before the step “\(needed.label.en)”"
        }
        let possible = possibleList(facts)
        return DomainRefusal(
            code: "not_allowed", field: "case.\(action.rawValue)", label: action.label,
            problem: Localized(vi: "\(vi). Có thể: \(possible.vi).", en: "\(en). Possible: \(possible.en)."),
            accepted: possible)
    }

    /// What the case's facts forbid even from a state the action belongs to (nil: nothing),
    /// with the actions possible instead.
    static func factRefusal(_ action: CaseAction, _ facts: CaseFacts, rules: DeadlineRules) -> DomainRefusal? {
        guard let (code, field, problem) = factProblem(action, facts, rules: rules) else { return nil }
        let possible = possibleList(facts, excluding: action)
        return DomainRefusal(
            code: code, field: field ?? "case.\(action.rawValue)", label: action.label,
            problem: Localized(
                vi: "\(problem.vi). Có thể: \(possible.vi).", en: "\(problem.en). Possible: \(possible.en)."),
            accepted: possible)
    }

    /// The code, field (nil: the action) and text of what the facts forbid.
    static func factProblem(_ action: CaseAction, _ facts: CaseFacts, rules: DeadlineRules) -> (
        String, String?, Localized
    )? {
        switch action {
        case .emergency where facts.seriousDanger != true:
            return (
                "not_allowed", nil,
                Localized(
                    vi: "đánh giá ban đầu không xác định nguy cơ nghiêm trọng, nên không can thiệp khẩn cấp",
                    en: "the initial assessment found no serious danger, so there is no emergency intervention")
            )
        case .assessDetailed where facts.state == .initialAssessment && facts.seriousDanger == true:
            return (
                "not_allowed", nil,
                Localized(
                    vi: "đánh giá ban đầu xác định nguy cơ nghiêm trọng: phải can thiệp khẩn cấp trước "
                        + "(trong \(rules.emergencyHours) giờ kể từ khi tiếp nhận)",
                    en: "the initial assessment found serious danger: emergency intervention comes first "
                        + "(within \(rules.emergencyHours) hours of receipt)")
            )
        case .endPlacement where !facts.placementRunning:
            return (
                "not_allowed", nil,
                Localized(vi: "không có bố trí nơi tạm thời nào đang diễn ra", en: "no temporary placement is running")
            )
        case .proposeClosure:
            guard let reassessment = facts.reassessment else {
                return (
                    "missing", "reassessment",
                    Localized(
                        vi: "chưa có kết quả đánh giá lại (Mẫu 06), cần trước khi đề xuất đóng hồ sơ",
                        en: "there is no reassessment (Form 06), which closure requires")
                )
            }
            let high = reassessment.highItems
            if !high.isEmpty {
                return (
                    "not_allowed", nil,
                    Localized(
                        vi: "còn nguy cơ cao (\(high.map(\.label.vi).joined(separator: ", "))): chưa thể đóng hồ sơ; "
                            + "hãy xây dựng kế hoạch mới (chu kỳ \(facts.planCycle + 1))",
                        en: "risks remain high (\(high.map(\.label.en).joined(separator: ", "))): the case cannot "
                            + "be closed; draft a new plan (cycle \(facts.planCycle + 1)) instead")
                )
            }
            if facts.placementRunning {
                return (
                    "not_allowed", nil,
                    Localized(
                        vi: "trẻ vẫn đang được bố trí nơi tạm thời: kết thúc việc bố trí trước khi đề xuất đóng hồ sơ",
                        en: "the child is still in a temporary placement: end it before proposing closure")
                )
            }
            return nil
        default:
            return nil
        }
    }

    /// Refuses a step whose required `field` is absent or empty (the ratings are checked, and
    /// refused item by item, when read).
    static func requireInput(_ field: CaseInputField, action: CaseAction, input: CaseStepInput) throws(DomainRefusal) {
        func text(_ value: String?, accepted: Localized) throws(DomainRefusal) {
            guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw missing(field.rawValue, field.label, accepted: accepted)
            }
        }
        switch field {
        case .seriousDanger:
            guard input.seriousDanger != nil else {
                throw missing(
                    field.rawValue, field.label,
                    accepted: Localized(
                        vi: "có (true) hoặc không (false)", en: "yes (true) or no (false)"))
            }
        case .reason:
            try text(
                input.reason,
                accepted: Localized(
                    vi: "một lý do (\(action.label.vi)), không để trống",
                    en: "a reason (\(action.label.en)), not empty"))
        case .closureReason:
            try text(
                input.closureReason,
                accepted: Localized(
                    vi: "lý do đóng hồ sơ, không để trống", en: "why the case can be closed, not empty"))
        case .target:
            try text(
                input.target,
                accepted: Localized(
                    vi: "tên cơ quan, đơn vị nhận hồ sơ", en: "the organisation or unit receiving the case"))
        case .residualHarm, .abuserAccess, .careEnvironment, .placementStart:
            break
        }
    }

    /// Refuses a step dated before the case's deadlines count from (its receipt, or its last
    /// reopening), an emergency placement starting before it, and a placement ended before it
    /// started: such a step would mark a deadline met before it was even set, and a report on
    /// timeliness would count a late plan as on time. (A step may be recorded later than it was
    /// taken, so the date given is kept; only dates that cannot be are refused.)
    static func checkMoments(_ action: CaseAction, facts: CaseFacts, input: CaseStepInput) throws(DomainRefusal) {
        let start = facts.countsFrom
        func refuse(_ field: String, _ label: Localized, _ moment: Date, before: Date, _ what: Localized)
            -> DomainRefusal
        {
            DomainRefusal(
                code: "bad_value", field: field, label: label,
                problem: Localized(
                    vi: "\(Instant.display(moment)) trước \(what.vi) (\(Instant.display(before)))",
                    en: "\(Instant.display(moment)) is before \(what.en) (\(Instant.display(before)))"),
                accepted: Localized(
                    vi: "một thời điểm từ \(Instant.display(before)) trở đi",
                    en: "a moment from \(Instant.display(before)) on"))
        }
        let received =
            facts.reopenedAt == nil
            ? Localized(vi: "lúc tiếp nhận thông tin", en: "the report was received")
            : Localized(vi: "lúc mở lại hồ sơ", en: "the case was reopened")
        if input.at < start {
            throw refuse("at", action.label, input.at, before: start, received)
        }
        if action == .emergency, let placement = input.placementStart, placement < start {
            throw refuse("placement_start", CaseInputField.placementStart.label, placement, before: start, received)
        }
        if action == .endPlacement, let started = facts.placementStartedAt, input.at < started {
            throw refuse(
                "at", action.label, input.at, before: started,
                Localized(vi: "lúc bắt đầu bố trí nơi tạm thời", en: "the placement started"))
        }
    }

    static func missing(_ field: String, _ label: Localized, accepted: Localized) -> DomainRefusal {
        DomainRefusal(
            code: "missing", field: field, label: label,
            problem: Localized(vi: "chưa được nhập", en: "is missing"), accepted: accepted)
    }

    static let ratingAccepted = Localized(
        vi: "high (cao), medium (trung bình) hoặc low (thấp)", en: "high, medium or low")

    /// "Đánh giá ban đầu, Không có căn cứ, Chuyển hồ sơ": the actions possible from the case as
    /// it is.
    private static func possibleList(_ facts: CaseFacts, excluding action: CaseAction? = nil) -> Localized {
        let actions = possibleActions(from: facts.state, facts: facts).filter { $0 != action }
        guard !actions.isEmpty else { return Localized(vi: "không còn bước nào", en: "no step") }
        return Localized(
            vi: actions.map(\.label.vi).joined(separator: ", "), en: actions.map(\.label.en).joined(separator: ", "))
    }
}

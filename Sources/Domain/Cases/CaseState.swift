/// Where a case stands (Nghị định 56/2017, Điều 20–30). The raw value is what the case record's
/// `status` field stores; a state names the step last completed, or the wait it is in.
public enum CaseState: String, Sendable, Hashable, CaseIterable, Codable {
    case received
    case initialAssessment = "initial_assessment"
    case emergency
    case detailedAssessment = "detailed_assessment"
    case planDrafting = "plan_drafting"
    case planSubmitted = "plan_submitted"
    case implementing
    case reassessment
    case closureSubmitted = "closure_submitted"
    case closed
    case notSubstantiated = "not_substantiated"
    case transferred
    case reopened

    public var label: Localized {
        switch self {
        case .received: Localized(vi: "Tiếp nhận", en: "Received")
        case .initialAssessment: Localized(vi: "Đánh giá ban đầu", en: "Initial assessment")
        case .emergency: Localized(vi: "Can thiệp khẩn cấp", en: "Emergency intervention")
        case .detailedAssessment: Localized(vi: "Đánh giá cụ thể", en: "Detailed assessment")
        case .planDrafting: Localized(vi: "Xây dựng kế hoạch", en: "Drafting the plan")
        case .planSubmitted:
            Localized(vi: "Chờ Chủ tịch phê duyệt kế hoạch", en: "Plan awaiting the chairman's approval")
        case .implementing: Localized(vi: "Thực hiện kế hoạch", en: "Implementing the plan")
        case .reassessment: Localized(vi: "Đánh giá lại (Mẫu 06)", en: "Reassessment (Form 06)")
        case .closureSubmitted: Localized(vi: "Chờ phê duyệt đóng hồ sơ", en: "Closure awaiting approval")
        case .closed: Localized(vi: "Đã đóng", en: "Closed")
        case .notSubstantiated: Localized(vi: "Không có căn cứ", en: "Not substantiated")
        case .transferred: Localized(vi: "Đã chuyển", en: "Transferred")
        case .reopened: Localized(vi: "Mở lại", en: "Reopened")
        }
    }

    /// Whether work on the case goes on (closed, not substantiated and transferred cases wait
    /// only for a possible reopening).
    public var isOpen: Bool {
        switch self {
        case .closed, .notSubstantiated, .transferred: false
        default: true
        }
    }

    /// The position on the main line, 0 (received) to 9 (closed), for a step bar; nil for the
    /// side states, which are off that line.
    public var stepIndex: Int? {
        switch self {
        case .received: 0
        case .initialAssessment: 1
        case .emergency: 2
        case .detailedAssessment: 3
        case .planDrafting: 4
        case .planSubmitted: 5
        case .implementing: 6
        case .reassessment: 7
        case .closureSubmitted: 8
        case .closed: 9
        case .notSubstantiated, .transferred, .reopened: nil
        }
    }
}

/// A step a worker takes on a case. The raw value is what `tre-node case …` names.
public enum CaseAction: String, Sendable, Hashable, CaseIterable, Codable {
    case assessInitial = "assess_initial"
    case emergency
    case assessDetailed = "assess_detailed"
    case draftPlan = "draft_plan"
    case submitPlan = "submit_plan"
    case approvePlan = "approve_plan"
    case returnPlan = "return_plan"
    case reassess
    case proposeClosure = "propose_closure"
    case approveClosure = "approve_closure"
    case returnClosure = "return_closure"
    case endPlacement = "end_placement"
    case notSubstantiated = "not_substantiated"
    case transfer
    case reopen

    public var label: Localized {
        switch self {
        case .assessInitial: Localized(vi: "Đánh giá ban đầu", en: "Initial assessment")
        case .emergency: Localized(vi: "Can thiệp khẩn cấp", en: "Emergency intervention")
        case .assessDetailed: Localized(vi: "Đánh giá cụ thể", en: "Detailed assessment")
        case .draftPlan: Localized(vi: "Xây dựng kế hoạch", en: "Draft the plan")
        case .submitPlan: Localized(vi: "Trình kế hoạch", en: "Submit the plan")
        case .approvePlan: Localized(vi: "Phê duyệt kế hoạch", en: "Approve the plan")
        case .returnPlan: Localized(vi: "Trả lại kế hoạch", en: "Return the plan")
        case .reassess: Localized(vi: "Đánh giá lại (Mẫu 06)", en: "Reassess (Form 06)")
        case .proposeClosure: Localized(vi: "Đề xuất đóng hồ sơ", en: "Propose closure")
        case .approveClosure: Localized(vi: "Phê duyệt đóng hồ sơ", en: "Approve closure")
        case .returnClosure: Localized(vi: "Trả lại đề xuất đóng hồ sơ", en: "Return the closure proposal")
        case .endPlacement: Localized(vi: "Kết thúc bố trí nơi tạm thời", en: "End the temporary placement")
        case .notSubstantiated: Localized(vi: "Không có căn cứ", en: "Not substantiated")
        case .transfer: Localized(vi: "Chuyển hồ sơ", en: "Transfer")
        case .reopen: Localized(vi: "Mở lại hồ sơ", en: "Reopen")
        }
    }

    /// Who may take the step: the chairman decides, the officer does the rest.
    public var role: CaseRole { CaseWorkflow.rule(for: self).role }
}

/// The two kinds of people who move a case. The names of the roles a deployment configures
/// (and who holds them) live elsewhere; the workflow knows only these two kinds.
public enum CaseRole: String, Sendable, Hashable, CaseIterable, Codable {
    /// The child-protection officer (cán bộ làm công tác bảo vệ trẻ em), who does the work.
    case officer
    /// The chairman of the commune People's Committee, who approves plans and closures.
    case chairman

    public var label: Localized {
        switch self {
        case .officer: Localized(vi: "Cán bộ bảo vệ trẻ em", en: "Child-protection officer")
        case .chairman: Localized(vi: "Chủ tịch UBND xã", en: "Commune chairman")
        }
    }
}

/// The data a step may carry, by the name a command or a form gives it.
public enum CaseInputField: String, Sendable, Hashable, CaseIterable, Codable {
    case seriousDanger = "serious_danger"
    case placementStart = "placement_start"
    case reason
    case residualHarm = "residual_harm"
    case abuserAccess = "abuser_access"
    case careEnvironment = "care_environment"
    case closureReason = "closure_reason"
    case target

    public var label: Localized {
        switch self {
        case .seriousDanger:
            Localized(
                vi: "Nguy cơ nghiêm trọng (tính mạng, sức khỏe, nhân phẩm)",
                en: "Serious danger (life, health or dignity)")
        case .placementStart: Localized(vi: "Bắt đầu bố trí nơi tạm thời", en: "Start of the temporary placement")
        case .reason: Localized(vi: "Lý do", en: "Reason")
        case .residualHarm: ReassessmentItem.residualHarm.label
        case .abuserAccess: ReassessmentItem.abuserAccess.label
        case .careEnvironment: ReassessmentItem.careEnvironment.label
        case .closureReason: Localized(vi: "Lý do đóng hồ sơ", en: "Reason for closure")
        case .target: Localized(vi: "Cơ quan, đơn vị tiếp nhận", en: "Organisation or unit receiving the case")
        }
    }
}

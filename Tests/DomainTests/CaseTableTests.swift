import Domain
import Foundation
import Testing

/// Every action from every state: what the workflow allows is written out here by hand, from
/// the decree's steps, not read from the code's table.
@Suite struct CaseTableTests {
    /// What may be done from each state of a case whose initial assessment found serious
    /// danger, whose last reassessment rated everything low, and with no placement running.
    static let allowed: [CaseState: [CaseAction]] = [
        .received: [.assessInitial, .notSubstantiated, .transfer],
        .initialAssessment: [.emergency, .notSubstantiated, .transfer],
        .emergency: [.assessDetailed, .transfer],
        .detailedAssessment: [.draftPlan, .transfer],
        .planDrafting: [.draftPlan, .submitPlan, .transfer],
        .planSubmitted: [.approvePlan, .returnPlan, .transfer],
        .implementing: [.reassess, .transfer],
        .reassessment: [.draftPlan, .reassess, .proposeClosure, .transfer],
        .closureSubmitted: [.approveClosure, .returnClosure, .transfer],
        .closed: [.reopen],
        .notSubstantiated: [.reopen],
        .transferred: [.reopen],
        .reopened: [.assessInitial, .assessDetailed, .notSubstantiated, .transfer],
    ]

    /// Where each action leads (nil: the case stays where it is).
    static let leadsTo: [CaseAction: CaseState?] = [
        .assessInitial: .initialAssessment, .emergency: .emergency, .assessDetailed: .detailedAssessment,
        .draftPlan: .planDrafting, .submitPlan: .planSubmitted, .approvePlan: .implementing,
        .returnPlan: .planDrafting, .reassess: .reassessment, .proposeClosure: .closureSubmitted,
        .approveClosure: .closed, .returnClosure: .reassessment, .endPlacement: nil,
        .notSubstantiated: .notSubstantiated, .transfer: .transferred, .reopen: .reopened,
    ]

    static let chairmans: Set<CaseAction> = [.approvePlan, .returnPlan, .approveClosure, .returnClosure]

    static func facts(_ state: CaseState, seriousDanger: Bool = true, placement: Bool = false) -> CaseFacts {
        CaseFacts(
            state: state, receivedAt: moment("2026-04-24T10:00:00+07:00"), seriousDanger: seriousDanger, planCycle: 1,
            reassessment: Reassessment(residualHarm: .low, abuserAccess: .low, careEnvironment: .low),
            placementStartedAt: placement ? moment("2026-04-24T16:00:00+07:00") : nil)
    }

    /// Everything any action could ask for, and the role the action needs.
    static func fullInput(for action: CaseAction) -> CaseStepInput {
        CaseStepInput(
            at: moment("2026-05-04T09:00:00+07:00"), by: "nguoi.dung",
            role: chairmans.contains(action) ? .chairman : .officer, reason: "Lý do", seriousDanger: true,
            ratings: ["residual_harm": "low", "abuser_access": "low", "care_environment": "low"],
            placementStart: moment("2026-04-24T16:00:00+07:00"), target: "UBND xã Tân Lập",
            closureReason: "Trẻ đã an toàn")
    }

    static func list(_ actions: [CaseAction], _ language: Language) -> String {
        actions.map { $0.label.text(language) }.joined(separator: ", ")
    }

    @Test func theHandWrittenTablesCoverEverything() {
        #expect(Set(Self.allowed.keys) == Set(CaseState.allCases))
        #expect(Set(Self.leadsTo.keys) == Set(CaseAction.allCases))
        for action in CaseAction.allCases {
            #expect(action.role == (Self.chairmans.contains(action) ? .chairman : .officer), "\(action)")
        }
    }

    @Test(arguments: CaseState.allCases)
    func possibleActionsAreTheAllowedOnes(state: CaseState) {
        #expect(CaseWorkflow.possibleActions(from: state, facts: Self.facts(state)) == Self.allowed[state]!)
    }

    @Test(arguments: CaseState.allCases)
    func everyActionFromEveryState(state: CaseState) throws {
        let facts = Self.facts(state)
        let possible = Self.allowed[state]!
        for action in CaseAction.allCases {
            let input = Self.fullInput(for: action)
            if possible.contains(action) {
                let transition = try CaseWorkflow.apply(
                    action, to: facts, input: input, calendar: .standard, rules: .standard)
                #expect(transition.from == state)
                #expect(transition.state == (Self.leadsTo[action]! ?? state), "\(action) from \(state)")
                continue
            }
            let refused = try #require(
                refusal {
                    try CaseWorkflow.apply(action, to: facts, input: input, calendar: .standard, rules: .standard)
                },
                "\(action) from \(state) must be refused")
            #expect(refused.code == "not_allowed")
            #expect(refused.field == "case.\(action.rawValue)")
            let vi = refused.message(.vi)
            let en = refused.message(.en)
            #expect(vi.hasPrefix("\(action.label.vi): "))
            #expect(en.hasPrefix("\(action.label.en): "))
            if action == .endPlacement && state.isOpen {
                #expect(vi.contains("không có bố trí nơi tạm thời nào đang diễn ra"))
                #expect(en.contains("no temporary placement is running"))
            } else if action == .assessDetailed && state == .initialAssessment {
                #expect(vi.contains("phải can thiệp khẩn cấp trước"))
                #expect(en.contains("emergency intervention comes first"))
            } else {
                #expect(vi.contains("không thể thực hiện khi hồ sơ đang ở bước “\(state.label.vi)”"), "\(vi)")
                #expect(en.contains("not possible while the case is at the step “\(state.label.en)”"), "\(en)")
            }
            #expect(vi.hasSuffix(". Có thể: \(Self.list(possible, .vi))."), "\(vi)")
            #expect(en.hasSuffix(". Possible: \(Self.list(possible, .en))."), "\(en)")
            #expect(refused.hint(.vi) == Self.list(possible, .vi))
        }
    }

    @Test func theBriefsExampleReadsAsExpected() throws {
        let refused = try #require(
            refusal {
                try CaseWorkflow.apply(
                    .approvePlan, to: Self.facts(.received), input: Self.fullInput(for: .approvePlan),
                    calendar: .standard, rules: .standard)
            })
        #expect(
            refused.message(.vi)
                == "Phê duyệt kế hoạch: không thể thực hiện khi hồ sơ đang ở bước “Tiếp nhận”, chưa đến bước "
                + "“Chờ Chủ tịch phê duyệt kế hoạch”. Có thể: Đánh giá ban đầu, Không có căn cứ, Chuyển hồ sơ.")
        #expect(
            refused.message(.en)
                == "Approve the plan: not possible while the case is at the step “Received”, before the step "
                + "“Plan awaiting the chairman's approval”. Possible: Initial assessment, Not substantiated, Transfer.")
    }

    @Test func withoutSeriousDangerTheDetailedAssessmentFollowsAndThereIsNoEmergency() throws {
        let facts = Self.facts(.initialAssessment, seriousDanger: false)
        #expect(
            CaseWorkflow.possibleActions(from: .initialAssessment, facts: facts) == [
                .assessDetailed, .notSubstantiated, .transfer,
            ])
        let refused = try #require(
            refusal {
                try CaseWorkflow.apply(
                    .emergency, to: facts, input: Self.fullInput(for: .emergency), calendar: .standard,
                    rules: .standard)
            })
        #expect(refused.code == "not_allowed")
        #expect(
            refused.message(.vi)
                == "Can thiệp khẩn cấp: đánh giá ban đầu không xác định nguy cơ nghiêm trọng, nên không can thiệp "
                + "khẩn cấp. Có thể: Đánh giá cụ thể, Không có căn cứ, Chuyển hồ sơ.")
        #expect(refused.message(.en).contains("the initial assessment found no serious danger"))
    }

    @Test(arguments: CaseState.allCases)
    func aRunningPlacementCanEndInEveryOpenState(state: CaseState) throws {
        let facts = Self.facts(state, placement: true)
        let possible = CaseWorkflow.possibleActions(from: state, facts: facts)
        #expect(possible.contains(.endPlacement) == state.isOpen)
        if state == .reassessment {
            // Nor can a case close while the child is still placed.
            #expect(!possible.contains(.proposeClosure))
            let refused = try #require(
                refusal {
                    try CaseWorkflow.apply(
                        .proposeClosure, to: facts, input: Self.fullInput(for: .proposeClosure), calendar: .standard,
                        rules: .standard)
                })
            #expect(refused.message(.en).contains("still in a temporary placement"))
        }
    }

    @Test func aClosureNeedsAReassessment() throws {
        var facts = Self.facts(.reassessment)
        facts.reassessment = nil
        let refused = try #require(
            refusal {
                try CaseWorkflow.apply(
                    .proposeClosure, to: facts, input: Self.fullInput(for: .proposeClosure), calendar: .standard,
                    rules: .standard)
            })
        #expect(refused.code == "missing" && refused.field == "reassessment")
        #expect(refused.message(.vi).contains("chưa có kết quả đánh giá lại (Mẫu 06)"))
        #expect(refused.message(.en).contains("there is no reassessment (Form 06)"))
    }

    @Test(arguments: CaseAction.allCases)
    func theOtherRoleIsRefused(action: CaseAction) throws {
        let state = CaseWorkflow.rule(for: action).from[0]
        var input = Self.fullInput(for: action)
        input.role = input.role == .chairman ? .officer : .chairman
        let refused = try #require(
            refusal {
                try CaseWorkflow.apply(
                    action, to: Self.facts(state, placement: true), input: input, calendar: .standard,
                    rules: .standard)
            })
        #expect(refused.code == "not_allowed")
        #expect(refused.hint(.vi) == (Self.chairmans.contains(action) ? "Chủ tịch UBND xã" : "Cán bộ bảo vệ trẻ em"))
    }

    @Test(arguments: [
        (CaseAction.assessInitial, CaseState.received, "serious_danger"),
        (.returnPlan, .planSubmitted, "reason"), (.returnClosure, .closureSubmitted, "reason"),
        (.notSubstantiated, .received, "reason"), (.reopen, .closed, "reason"), (.transfer, .implementing, "target"),
        (.proposeClosure, .reassessment, "closure_reason"), (.reassess, .implementing, "residual_harm"),
    ])
    func requiredDataIsRefusedWhenMissing(action: CaseAction, state: CaseState, field: String) throws {
        let input = CaseStepInput(at: moment("2026-05-04T09:00:00+07:00"), by: "nguoi.dung", reason: " \n")
        let refused = try #require(
            refusal {
                try CaseWorkflow.apply(
                    action, to: Self.facts(state), input: input, calendar: .standard, rules: .standard)
            })
        #expect(refused.code == "missing")
        #expect(refused.field == field)
        #expect(refused.message(.vi).hasSuffix(": chưa được nhập"))
        #expect(refused.message(.en).hasSuffix(": is missing"))
    }

    @Test func stepBarPositions() {
        let mainLine: [CaseState] = [
            .received, .initialAssessment, .emergency, .detailedAssessment, .planDrafting, .planSubmitted,
            .implementing, .reassessment, .closureSubmitted, .closed,
        ]
        #expect(mainLine.map(\.stepIndex) == Array(0...9))
        #expect([CaseState.notSubstantiated, .transferred, .reopened].allSatisfy { $0.stepIndex == nil })
        #expect(CaseState.allCases.filter { !$0.isOpen } == [.closed, .notSubstantiated, .transferred])
        #expect(CaseState.planSubmitted.rawValue == "plan_submitted")
        #expect(CaseAction.endPlacement.rawValue == "end_placement")
    }
}

public import Foundation

/// The steps of a case under Nghị định 56/2017 as a table (`rules`), and the one function that
/// takes a step (`apply`). Nothing here stores anything: the caller gives the case's facts and
/// keeps the transition's.
public enum CaseWorkflow {
    /// One row of the table: from which states an action may be taken, the state it leads to
    /// (nil: the case stays where it is), who takes it, and the data it requires.
    public struct Rule: Sendable, Hashable {
        public let action: CaseAction
        public let from: [CaseState]
        public let to: CaseState?
        public let role: CaseRole
        public let requires: [CaseInputField]
        /// Data the action takes if given.
        public let accepts: [CaseInputField]

        init(
            _ action: CaseAction, from: [CaseState], to: CaseState?, role: CaseRole = .officer,
            requires: [CaseInputField] = [], accepts: [CaseInputField] = []
        ) {
            self.action = action
            self.from = from
            self.to = to
            self.role = role
            self.requires = requires
            self.accepts = accepts
        }
    }

    /// The table, one row an action, in `CaseAction`'s order. Besides it, facts decide four
    /// things: emergency intervention follows serious danger only, and with serious danger the
    /// detailed assessment waits for it; a placement ends only while one runs; a closure needs a
    /// reassessment without a high rating and no running placement.
    public static let rules: [Rule] = [
        Rule(.assessInitial, from: [.received, .reopened], to: .initialAssessment, requires: [.seriousDanger]),
        Rule(.emergency, from: [.initialAssessment], to: .emergency, accepts: [.placementStart]),
        Rule(.assessDetailed, from: [.initialAssessment, .emergency, .reopened], to: .detailedAssessment),
        // From a reassessment, a new plan cycle; from a draft, an edit of it.
        Rule(.draftPlan, from: [.detailedAssessment, .reassessment, .planDrafting], to: .planDrafting),
        Rule(.submitPlan, from: [.planDrafting], to: .planSubmitted),
        Rule(.approvePlan, from: [.planSubmitted], to: .implementing, role: .chairman),
        Rule(.returnPlan, from: [.planSubmitted], to: .planDrafting, role: .chairman, requires: [.reason]),
        // Again from a reassessment: the ratings of a returned closure proposal can be corrected.
        Rule(
            .reassess, from: [.implementing, .reassessment], to: .reassessment,
            requires: [.residualHarm, .abuserAccess, .careEnvironment]),
        Rule(.proposeClosure, from: [.reassessment], to: .closureSubmitted, requires: [.closureReason]),
        Rule(.approveClosure, from: [.closureSubmitted], to: .closed, role: .chairman),
        Rule(.returnClosure, from: [.closureSubmitted], to: .reassessment, role: .chairman, requires: [.reason]),
        Rule(.endPlacement, from: openStates, to: nil),
        Rule(
            .notSubstantiated, from: [.received, .initialAssessment, .reopened], to: .notSubstantiated,
            requires: [.reason]),
        Rule(.transfer, from: openStates, to: .transferred, requires: [.target], accepts: [.reason]),
        Rule(.reopen, from: [.closed, .notSubstantiated, .transferred], to: .reopened, requires: [.reason]),
    ]

    private static let openStates = CaseState.allCases.filter(\.isOpen)

    private static let rulesByAction = Dictionary(uniqueKeysWithValues: rules.map { ($0.action, $0) })

    public static func rule(for action: CaseAction) -> Rule { rulesByAction[action]! }

    /// The actions that may be taken from `state` given what is known of the case, in the
    /// table's order (whoever's role they are).
    public static func possibleActions(from state: CaseState, facts: CaseFacts) -> [CaseAction] {
        var facts = facts
        facts.state = state
        return rules.filter { $0.from.contains(state) && factProblem($0.action, facts, rules: .standard) == nil }
            .map(\.action)
    }

    /// Takes a step: checks who takes it, that the case's state and facts allow it and that the
    /// data it requires is there and valid, then gives the new state, facts and deadlines.
    public static func apply(
        _ action: CaseAction, to facts: CaseFacts, input: CaseStepInput, calendar: WorkingCalendar,
        rules deadlineRules: DeadlineRules
    ) throws(DomainRefusal) -> CaseTransition {
        let rule = rule(for: action)
        if let role = input.role, role != rule.role { throw roleRefusal(action, needs: rule.role) }
        guard rule.from.contains(facts.state) else { throw stateRefusal(action, facts: facts) }
        if let refusal = factRefusal(action, facts, rules: deadlineRules) { throw refusal }
        for field in rule.requires { try requireInput(field, action: action, input: input) }
        try checkMoments(action, facts: facts, input: input)

        var step = Step(facts: facts, at: input.at, calendar: calendar)
        if let to = rule.to { step.facts.state = to }
        switch action {
        case .assessInitial:
            step.facts.seriousDanger = input.seriousDanger
            let start = facts.countsFrom
            step.set(.plan, due: planDue(receivedAt: start, calendar: calendar, rules: deadlineRules), from: start)
            if input.seriousDanger == true {
                step.set(.emergency, due: emergencyDue(receivedAt: start, calendar: calendar, rules: deadlineRules))
            }
        case .emergency:
            step.meet(.emergency)
            if let start = input.placementStart {
                step.facts.placementStartedAt = start
                step.facts.placementEndedAt = nil
                step.set(.placement, due: placementEnds(startedAt: start, calendar: calendar, rules: deadlineRules))
            }
        case .assessDetailed:
            break
        case .draftPlan:
            if facts.state != .planDrafting { step.facts.planCycle += 1 }
        case .submitPlan, .proposeClosure:
            // A first submission meets the plan deadline; a later one (after a return, or of a
            // new cycle) finds it met already.
            step.meet(.plan)
            step.set(
                .decision, due: decisionDue(submittedAt: input.at, calendar: calendar, rules: deadlineRules),
                from: input.at)
        case .approvePlan, .returnPlan, .returnClosure:
            step.meet(.decision)
        case .reassess:
            step.facts.reassessment = try ratings(input.ratings)
        case .endPlacement:
            step.facts.placementEndedAt = input.at
            step.meet(.placement)
        case .approveClosure, .notSubstantiated, .transfer:
            // A case that leaves the open states owes nothing more: what is still owed is
            // discharged now, so no list of overdue work shows a finished case.
            if step.facts.placementRunning { step.facts.placementEndedAt = input.at }
            for kind in DeadlineKind.allCases { step.meet(kind) }
        case .reopen:
            step.facts.reopenedAt = input.at
            step.facts.seriousDanger = nil
            step.facts.reassessment = nil
            step.facts.placementStartedAt = nil
            step.facts.placementEndedAt = nil
        }
        return CaseTransition(
            action: action, from: facts.state, state: step.facts.state, facts: step.facts, deadlines: step.changed,
            warnings: step.warnings)
    }

    /// The deadlines still owed that have passed or fall due within `horizon` of `now`, the
    /// earliest first: what a worker's list of urgent work shows.
    public static func overdue(deadlines: [CaseDeadline], now: Date, horizon: TimeInterval = 48 * 3600)
        -> [CaseDeadline]
    {
        let limit = now.addingTimeInterval(horizon)
        let order = Dictionary(uniqueKeysWithValues: DeadlineKind.allCases.enumerated().map { ($1, $0) })
        return deadlines.filter { $0.met == nil && $0.due <= limit }
            .sorted { ($0.due, order[$0.kind]!) < ($1.due, order[$1.kind]!) }
    }

    /// The reassessment's ratings, each of the three required and high, medium or low.
    static func ratings(_ fields: [String: String]) throws(DomainRefusal) -> Reassessment {
        for key in fields.keys.sorted() where ReassessmentItem(rawValue: key) == nil {
            throw DomainRefusal(
                code: "bad_value", field: key, label: CaseAction.reassess.label,
                problem: Localized(
                    vi: "“\(key)” không phải là một mục của Mẫu 06", en: "“\(key)” is not an item of Form 06"),
                accepted: Localized(
                    vi: ReassessmentItem.allCases.map(\.rawValue).joined(separator: ", "),
                    en: ReassessmentItem.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        var values: [ReassessmentItem: RiskRating] = [:]
        for item in ReassessmentItem.allCases {
            guard let text = fields[item.rawValue]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                throw missing(item.rawValue, item.label, accepted: ratingAccepted)
            }
            guard let rating = RiskRating(rawValue: text.lowercased()) else {
                throw DomainRefusal(
                    code: "bad_value", field: item.rawValue, label: item.label,
                    problem: Localized(
                        vi: "“\(text)” không phải là một mức đánh giá", en: "“\(text)” is not a rating"),
                    accepted: ratingAccepted)
            }
            values[item] = rating
        }
        return Reassessment(
            residualHarm: values[.residualHarm]!, abuserAccess: values[.abuserAccess]!,
            careEnvironment: values[.careEnvironment]!)
    }
}

/// A step being taken: the facts as they change, and the deadlines set or met on the way.
private struct Step {
    var facts: CaseFacts
    let at: Date
    let calendar: WorkingCalendar
    var changed: [CaseDeadline] = []
    var warnings: [Localized] = []

    init(facts: CaseFacts, at: Date, calendar: WorkingCalendar) {
        self.facts = facts
        self.at = at
        self.calendar = calendar
    }

    /// A new deadline of `kind`, replacing the last one. `from`: the start of a period counted
    /// in working days, whose years the calendar should know.
    mutating func set(_ kind: DeadlineKind, due: Date, from start: Date? = nil) {
        let deadline = CaseDeadline(kind: kind, due: due)
        facts.deadlines.removeAll { $0.kind == kind }
        facts.deadlines.append(deadline)
        changed.removeAll { $0.kind == kind }
        changed.append(deadline)
        if let start, let warning = calendar.warning(from: .today(at: start), through: .today(at: due)) {
            warnings.append(warning)
        }
    }

    /// The deadline of `kind`, if owed, is met now.
    mutating func meet(_ kind: DeadlineKind) {
        guard let index = facts.deadlines.firstIndex(where: { $0.kind == kind && $0.met == nil }) else { return }
        facts.deadlines[index].met = at
        changed.append(facts.deadlines[index])
    }
}

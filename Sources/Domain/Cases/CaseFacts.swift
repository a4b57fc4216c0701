public import Foundation

/// A time limit a case runs against: when it falls due, and when it was met (nil while owed).
public struct CaseDeadline: Sendable, Hashable, Codable {
    public var kind: DeadlineKind
    public var due: Date
    public var met: Date?

    public init(kind: DeadlineKind, due: Date, met: Date? = nil) {
        self.kind = kind
        self.due = due
        self.met = met
    }

    /// Owed and past due at `now`.
    public func isOverdue(now: Date) -> Bool { met == nil && due < now }

    /// Met, but after it fell due: what a report on timeliness counts.
    public var wasMetLate: Bool { met.map { $0 > due } ?? false }
}

/// What the workflow needs to know about a case: its state and the facts earlier steps
/// established. The caller keeps it in the case record and gives it back at the next step.
public struct CaseFacts: Sendable, Hashable, Codable {
    public var state: CaseState
    /// When the report was received: the plan and emergency deadlines count from it.
    public var receivedAt: Date
    /// When the case was last reopened: a reopened case counts its deadlines from here.
    public var reopenedAt: Date?
    /// The initial assessment's finding (nil before it).
    public var seriousDanger: Bool?
    /// The plan cycle: 0 before any plan, 1 for the first, one more for each new plan after a
    /// reassessment or a reopening.
    public var planCycle: Int
    /// The last reassessment's ratings (Mẫu 06).
    public var reassessment: Reassessment?
    public var placementStartedAt: Date?
    public var placementEndedAt: Date?
    /// The latest deadline of each kind, met or owed.
    public var deadlines: [CaseDeadline]

    public init(
        state: CaseState = .received, receivedAt: Date, reopenedAt: Date? = nil, seriousDanger: Bool? = nil,
        planCycle: Int = 0, reassessment: Reassessment? = nil, placementStartedAt: Date? = nil,
        placementEndedAt: Date? = nil, deadlines: [CaseDeadline] = []
    ) {
        self.state = state
        self.receivedAt = receivedAt
        self.reopenedAt = reopenedAt
        self.seriousDanger = seriousDanger
        self.planCycle = planCycle
        self.reassessment = reassessment
        self.placementStartedAt = placementStartedAt
        self.placementEndedAt = placementEndedAt
        self.deadlines = deadlines
    }

    /// Whether a child is in an emergency placement now.
    public var placementRunning: Bool { placementStartedAt != nil && placementEndedAt == nil }

    /// The moment the case's deadlines count from: its receipt, or its last reopening.
    public var countsFrom: Date { reopenedAt ?? receivedAt }

    public func deadline(_ kind: DeadlineKind) -> CaseDeadline? { deadlines.first { $0.kind == kind } }
}

/// The data a step carries. Which fields an action requires is in `CaseWorkflow.rules`; the
/// others are ignored.
public struct CaseStepInput: Sendable, Hashable {
    /// When the step was taken: deadlines are met, and counted, from it.
    public var at: Date
    /// Who took it, for the caller's record of the step.
    public var by: String
    /// The kind of role the person holds, when the caller knows it: a step of the other role is
    /// then refused. nil leaves the check to the caller.
    public var role: CaseRole?
    /// Why a plan or closure is returned, a case found not substantiated, or reopened.
    public var reason: String?
    /// The initial assessment's finding: life, health or dignity seriously at risk.
    public var seriousDanger: Bool?
    /// The reassessment's ratings by item (`residual_harm`, `abuser_access`, `care_environment`)
    /// as typed: `high`, `medium` or `low`.
    public var ratings: [String: String]
    /// When an emergency placement starts (with the `emergency` step).
    public var placementStart: Date?
    /// The organisation or unit a case is transferred to.
    public var target: String?
    public var closureReason: String?

    public init(
        at: Date, by: String, role: CaseRole? = nil, reason: String? = nil, seriousDanger: Bool? = nil,
        ratings: [String: String] = [:], placementStart: Date? = nil, target: String? = nil,
        closureReason: String? = nil
    ) {
        self.at = at
        self.by = by
        self.role = role
        self.reason = reason
        self.seriousDanger = seriousDanger
        self.ratings = ratings
        self.placementStart = placementStart
        self.target = target
        self.closureReason = closureReason
    }
}

/// What a step did: the state it left and the one it reached, the case's facts after it, and
/// the deadlines it set or marked met.
public struct CaseTransition: Sendable, Hashable {
    public let action: CaseAction
    public let from: CaseState
    /// The new state (the same as `from` for a step that stays, such as editing a draft plan).
    public let state: CaseState
    public let facts: CaseFacts
    /// The deadlines this step set (met nil) or marked met, each whole; `facts.deadlines` holds
    /// them all.
    public let deadlines: [CaseDeadline]
    /// What a worker should know about the deadlines set: a period crossing a year without a
    /// holiday calendar.
    public let warnings: [Localized]
}

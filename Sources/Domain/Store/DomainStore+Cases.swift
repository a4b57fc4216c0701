public import Foundation
public import SyncCore

/// What a step files beside the case record: the assessment form's content, the plan's.
public struct StepRecord: Sendable {
    /// Risk level found by an assessment (high, medium, low).
    public var riskLevel: String?
    public var findings: String?
    public var needs: String?
    /// The plan's goals and actions (`draft_plan`).
    public var goals: String?
    public var actions: [PlanAction]?

    public init(
        riskLevel: String? = nil, findings: String? = nil, needs: String? = nil, goals: String? = nil,
        actions: [PlanAction]? = nil
    ) {
        self.riskLevel = riskLevel
        self.findings = findings
        self.needs = needs
        self.goals = goals
        self.actions = actions
    }
}

/// One action of a support plan: a service, who provides it, by when, and when it was done.
public struct PlanAction: Sendable, Hashable {
    public var service: String
    public var responsible: String
    public var due: String
    public var done: String?

    public init(service: String, responsible: String, due: String, done: String? = nil) {
        self.service = service
        self.responsible = responsible
        self.due = due
        self.done = done
    }

    var value: FieldValue {
        var object: [String: FieldValue] = [
            "service": .string(service), "responsible": .string(responsible), "due": .string(due),
        ]
        if let done { object["done"] = .string(done) }
        return .object(object)
    }
}

/// A deadline that is passed or close, with the case and child it belongs to.
public struct DueItem: Sendable {
    public let caseRecord: DomainRecord
    public let child: DomainRecord?
    public let deadline: CaseDeadline
}

extension DomainStore {
    // MARK: Facts kept on the case record

    /// The workflow's facts as the case record keeps them.
    public func facts(of record: DomainRecord) throws -> CaseFacts {
        guard let state = CaseState(rawValue: record.string("status") ?? ""),
            let received = record.string("received_at").flatMap(Instant.parse)
        else {
            throw DomainRefusal(
                code: "bad_value", field: "status", label: Collections.cases.label,
                problem: Localized(
                    vi: "hồ sơ \(record.id) thiếu bước xử lý hoặc thời điểm tiếp nhận",
                    en: "case \(record.id) lacks its step or the time it was received"),
                accepted: Localized(
                    vi: "Hồ sơ có thể do phiên bản mới hơn ghi; cập nhật phần mềm.",
                    en: "A newer release may have written it; upgrade this node."))
        }
        func instant(_ name: String) -> Date? { record.string(name).flatMap(Instant.parse) }
        var reassessment: Reassessment?
        if case .object(let ratings)? = record.values["last_reassessment"],
            let harm = ratings["residual_harm"]?.stringValue.flatMap(RiskRating.init(rawValue:)),
            let access = ratings["abuser_access"]?.stringValue.flatMap(RiskRating.init(rawValue:)),
            let care = ratings["care_environment"]?.stringValue.flatMap(RiskRating.init(rawValue:))
        {
            reassessment = Reassessment(residualHarm: harm, abuserAccess: access, careEnvironment: care)
        }
        var deadlines: [CaseDeadline] = []
        for kind in DeadlineKind.allCases {
            guard case .object(let object)? = record.values["deadline_\(kind.rawValue)"],
                let due = object["due"]?.stringValue.flatMap(Instant.parse)
            else { continue }
            deadlines.append(
                CaseDeadline(kind: kind, due: due, met: object["met"]?.stringValue.flatMap(Instant.parse)))
        }
        var cycle = 0
        if case .int(let value)? = record.values["plan_cycle"] {
            // Outside the definition's range (a record written by hand or by a faulty peer), the
            // cycle cannot be worked on: `cycle + 1` would overflow.
            guard (0...100).contains(value) else {
                throw DomainRefusal(
                    code: "bad_value", field: "plan_cycle", label: Collections.cases.field("plan_cycle")!.label,
                    problem: Localized(
                        vi: "hồ sơ \(record.id) có chu kỳ kế hoạch \(value) ngoài khoảng 0–100",
                        en: "case \(record.id) has plan cycle \(value), outside 0–100"),
                    accepted: Validator.accepted(Collections.cases.field("plan_cycle")!.type))
            }
            cycle = Int(value)
        }
        return CaseFacts(
            state: state, receivedAt: received, reopenedAt: instant("reopened_at"),
            seriousDanger: record.values["serious_danger"]?.boolValue, planCycle: cycle, reassessment: reassessment,
            placementStartedAt: instant("placement_started_at"), placementEndedAt: instant("placement_ended_at"),
            deadlines: deadlines)
    }

    /// The case record's fields that say `facts`.
    static func fields(of facts: CaseFacts) -> [String: FieldValue] {
        func instant(_ date: Date?) -> FieldValue { date.map { .string(Instant.format($0)) } ?? .null }
        var fields: [String: FieldValue] = [
            "status": .string(facts.state.rawValue), "plan_cycle": .int(Int64(facts.planCycle)),
            "reopened_at": instant(facts.reopenedAt), "placement_started_at": instant(facts.placementStartedAt),
            "placement_ended_at": instant(facts.placementEndedAt),
            "serious_danger": facts.seriousDanger.map { .bool($0) } ?? .null,
        ]
        if let ratings = facts.reassessment {
            fields["last_reassessment"] = .object(ratings.fields.mapValues { .string($0) })
        }
        for deadline in facts.deadlines {
            var object: [String: FieldValue] = ["due": .string(Instant.format(deadline.due))]
            if let met = deadline.met { object["met"] = .string(Instant.format(met)) }
            fields["deadline_\(deadline.kind.rawValue)"] = .object(object)
        }
        return fields
    }

    // MARK: Opening a case

    /// Opens a case from a report: the case starts at `received`, at the moment the report was
    /// received (the deadlines count from it), for the report's child or `child`.
    @discardableResult
    public func openCase(
        intake intakeID: RecordID, child childID: RecordID?, by: String, role: String? = nil, at moment: Date? = nil
    ) throws -> RecordID {
        try replica.transaction { editor in
            guard let state = try editor.record("intakes", id: intakeID), !state.isDeleted else {
                throw DomainRefusal.notFound("intakes", id: intakeID)
            }
            let intake = DomainRecord(collection: "intakes", id: intakeID, state: state)
            try refuseTrace(intake)
            if let existing = intake.string("case_id") {
                throw DomainRefusal(
                    code: "not_allowed", field: "case_id", label: Collections.intakes.label,
                    problem: Localized(
                        vi: "phiếu này đã có hồ sơ vụ việc \(existing)", en: "this report already has case \(existing)"),
                    accepted: Localized(
                        vi: "Xem hồ sơ: `case show \(existing)`.", en: "See it: `case show \(existing)`."))
            }
            let childText = childID?.description ?? intake.string("child_id")
            guard let childText, let child = RecordID(string: childText),
                let childState = try editor.record("children", id: child), !childState.isDeleted
            else {
                throw DomainRefusal(
                    code: "missing", field: "child_id", label: Collections.cases.field("child_id")!.label,
                    problem: Localized(
                        vi: "phiếu chưa gắn với trẻ trong sổ", en: "the report is not linked to a registered child"),
                    accepted: Localized(
                        vi: "Đăng ký trẻ (`child add`) rồi mở hồ sơ với --child MÃ_TRẺ.",
                        en: "Register the child (`child add`), then open the case with --child ID."))
            }
            try refuseTrace(DomainRecord(collection: "children", id: child, state: childState))
            let at = moment ?? now()
            if let received = intake.string("received_at").flatMap(Instant.parse), at < received {
                throw DomainRefusal(
                    code: "bad_value", field: "at", label: Collections.cases.label,
                    problem: Localized(
                        vi: "\(Instant.display(at)) trước lúc tiếp nhận thông tin (\(Instant.display(received)))",
                        en: "\(Instant.display(at)) is before the report was received (\(Instant.display(received)))"),
                    accepted: Localized(
                        vi: "một thời điểm từ \(Instant.display(received)) trở đi",
                        en: "a moment from \(Instant.display(received)) on"))
            }
            var fields: [String: FieldValue] = [
                "child_id": .string(child.description), "intake_id": .string(intakeID.description),
                "received_at": intake.values["received_at"] ?? .string(Instant.format(at)),
                "status": .string(CaseState.received.rawValue), "status_at": .string(Instant.format(at)),
                "status_by": .string(by), "assigned_worker": .string(by), "plan_cycle": .int(0),
            ]
            if let source = intake.values["source"] { fields["source"] = source }
            if case .array(let types)? = intake.values["abuse_types"], let first = types.first {
                fields["case_type"] = first
            }
            let caseID = try create("cases", fields: fields, in: &editor)
            _ = try create(
                "case_events",
                fields: [
                    "case_id": .string(caseID.description), "action": .string("open"),
                    "to": .string(CaseState.received.rawValue), "at": .string(Instant.format(at)), "by": .string(by),
                    "role": role.map { .string($0) } ?? .null,
                ].filter { $0.value != .null }, in: &editor)
            var link: [String: FieldValue] = ["case_id": .string(caseID.description)]
            if intake.string("child_id") == nil { link["child_id"] = .string(child.description) }
            _ = try update("intakes", id: intakeID, fields: link, in: &editor)
            return caseID
        }
    }

    // MARK: Steps

    /// Takes one step of the workflow on a case: checks it is legal from where the case stands,
    /// keeps the deadlines it sets or meets on the case, files what the step produced (an
    /// assessment, the plan, the decision) and the step itself in the case's history, all in one
    /// transaction.
    @discardableResult
    public func act(
        on caseID: RecordID, _ action: CaseAction, input: CaseStepInput, filing: StepRecord = StepRecord(),
        roleTitle: String? = nil
    ) throws -> CaseTransition {
        try replica.transaction { editor in
            guard let state = try editor.record("cases", id: caseID), !state.isDeleted else {
                throw DomainRefusal.notFound("cases", id: caseID)
            }
            let record = DomainRecord(collection: "cases", id: caseID, state: state)
            try refuseTrace(record)
            let before = try facts(of: record)
            try refuseSelfApproval(action, by: input.by, record: record)
            let transition = try CaseWorkflow.apply(
                action, to: before, input: input, calendar: calendar, rules: rules)
            var fields = Self.fields(of: transition.facts)
            fields["status_at"] = .string(Instant.format(input.at))
            fields["status_by"] = .string(input.by)
            let caseKey = caseID.description
            let at = FieldValue.string(Instant.format(input.at))
            switch action {
            case .assessInitial, .assessDetailed, .reassess:
                var assessment: [String: FieldValue] = [
                    "case_id": .string(caseKey), "at": at, "by": .string(input.by),
                    "kind": .string(
                        action == .assessInitial ? "initial" : action == .assessDetailed ? "detailed" : "reassessment"),
                ]
                if action == .assessInitial, let danger = input.seriousDanger {
                    assessment["serious_danger"] = .bool(danger)
                }
                if action == .reassess {
                    for (item, rating) in input.ratings { assessment[item] = .string(rating) }
                }
                if let risk = filing.riskLevel {
                    assessment["risk_level"] = .string(risk)
                    fields["risk_level"] = .string(risk)
                }
                if let findings = filing.findings { assessment["findings"] = .string(findings) }
                if let needs = filing.needs { assessment["needs"] = .string(needs) }
                _ = try create("assessments", fields: assessment, in: &editor)
            case .draftPlan:
                let plan = try currentPlan(caseKey, cycle: transition.facts.planCycle, in: &editor)
                var values: [String: FieldValue] = [
                    "status": .string("draft"), "drafted_at": at, "drafted_by": .string(input.by),
                ]
                if let goals = filing.goals { values["goals"] = .string(goals) }
                if let actions = filing.actions { values["actions"] = .array(actions.map(\.value)) }
                if let plan {
                    _ = try update("plans", id: plan.id, fields: values, in: &editor)
                } else {
                    values["case_id"] = .string(caseKey)
                    values["cycle"] = .int(Int64(transition.facts.planCycle))
                    _ = try create("plans", fields: values, in: &editor)
                }
                if let goals = filing.goals { fields["plan"] = .string(goals) }
            case .submitPlan, .approvePlan, .returnPlan:
                guard let plan = try currentPlan(caseKey, cycle: transition.facts.planCycle, in: &editor) else {
                    throw DomainRefusal(
                        code: "missing", field: "plans", label: Collections.plans.label,
                        problem: Localized(
                            vi: "chưa có kế hoạch cho chu kỳ này", en: "there is no plan for this cycle"),
                        accepted: Localized(
                            vi: "Xây dựng kế hoạch trước: `case plan MÃ --goals … --action …`.",
                            en: "Draft the plan first: `case plan ID --goals … --action …`."))
                }
                var values: [String: FieldValue]
                switch action {
                case .submitPlan: values = ["status": .string("submitted"), "submitted_at": at]
                case .approvePlan:
                    values = ["status": .string("approved"), "decided_at": at, "decided_by": .string(input.by)]
                default:
                    values = [
                        "status": .string("returned"), "decided_at": at, "decided_by": .string(input.by),
                        "return_reason": .string(input.reason ?? ""),
                    ]
                }
                _ = try update("plans", id: plan.id, fields: values, in: &editor)
                if action == .returnPlan { fields["return_reason"] = .string(input.reason ?? "") }
            case .proposeClosure:
                fields["closure_reason"] = input.closureReason.map { .string($0) } ?? .null
            case .approveClosure:
                fields["closed_at"] = at
                fields["closure_approved_by"] = .string(input.by)
            case .returnClosure:
                fields["return_reason"] = .string(input.reason ?? "")
            case .transfer:
                fields["transferred_to"] = input.target.map { .string($0) } ?? .null
            default:
                break
            }
            _ = try update(
                "cases", id: caseID, fields: fields.filter { $0.value != .null || record.values[$0.key] != nil },
                in: &editor)
            var event: [String: FieldValue] = [
                "case_id": .string(caseKey), "action": .string(action.rawValue), "from": .string(before.state.rawValue),
                "to": .string(transition.state.rawValue), "at": at, "by": .string(input.by),
            ]
            if let roleTitle { event["role"] = .string(roleTitle) }
            if let reason = input.reason ?? input.target { event["reason"] = .string(reason) }
            _ = try create("case_events", fields: event, in: &editor)
            return transition
        }
    }

    /// The chairman's decision is another person's: whoever submitted the plan or proposed the
    /// closure cannot approve or return it. (Names are what the command is told — a node does
    /// not authenticate its workers — so this catches the slip, not a lie; the history keeps
    /// both names for the review.) The names are compared folded as search folds them, without
    /// diacritics, case, punctuation or spacing: "LO VAN SANG." is "Lò Văn Sáng".
    func refuseSelfApproval(_ action: CaseAction, by: String, record: DomainRecord) throws {
        guard [.approvePlan, .returnPlan, .approveClosure, .returnClosure].contains(action),
            let submitter = record.string("status_by"),
            searchTerms(submitter).joined() == searchTerms(by).joined()
        else { return }
        throw DomainRefusal(
            code: "not_allowed", field: action.rawValue, label: action.label,
            problem: Localized(
                vi: "\(by) đã trình nên không thể tự quyết định", en: "\(by) submitted it and cannot decide on it"),
            accepted: Localized(
                vi: "Người có thẩm quyền (Chủ tịch UBND) quyết định, ghi tên bằng --by.",
                en: "The person in charge (the commune chairman) decides; give their name with --by."))
    }

    /// The plan of `cycle` for a case, if drafted.
    func currentPlan(_ caseKey: String, cycle: Int, in editor: inout RecordEditor) throws -> DomainRecord? {
        try records("plans", in: &editor).first {
            $0.string("case_id") == caseKey && $0.values["cycle"] == .int(Int64(cycle))
        }
    }

    /// Marks actions of the current plan done (by their position, 1-based) on `day`.
    public func markPlanActionsDone(case caseID: RecordID, positions: [Int], on day: LocalDate) throws {
        try replica.transaction { editor in
            guard let state = try editor.record("cases", id: caseID), !state.isDeleted else {
                throw DomainRefusal.notFound("cases", id: caseID)
            }
            let record = DomainRecord(collection: "cases", id: caseID, state: state)
            try refuseTrace(record)
            let facts = try facts(of: record)
            guard let plan = try currentPlan(caseID.description, cycle: facts.planCycle, in: &editor),
                case .array(var actions)? = plan.values["actions"]
            else { throw DomainRefusal.notFound("plans", id: caseID) }
            guard facts.state.isOpen, plan.string("status") == "approved" else {
                throw DomainRefusal(
                    code: "not_allowed", field: "actions", label: Collections.plans.field("actions")!.label,
                    problem: Localized(
                        vi: "chỉ ghi nhận hoàn thành các hoạt động của kế hoạch đã được phê duyệt, khi hồ sơ còn mở",
                        en: "actions are marked done only on an approved plan of an open case"),
                    accepted: Localized(
                        vi: "Chờ Chủ tịch phê duyệt kế hoạch (`case approve`).",
                        en: "Wait for the chairman's approval (`case approve`)."))
            }
            for position in positions {
                guard (1...max(1, actions.count)).contains(position), position <= actions.count,
                    case .object(var action) = actions[position - 1]
                else {
                    throw DomainRefusal(
                        code: "bad_value", field: "actions", label: Collections.plans.field("actions")!.label,
                        problem: Localized(
                            vi: "không có hoạt động số \(position)", en: "there is no action \(position)"),
                        accepted: Localized(
                            vi: "Số từ 1 đến \(actions.count).", en: "A number from 1 to \(actions.count)."))
                }
                action["done"] = .string(day.description)
                actions[position - 1] = .object(action)
            }
            _ = try update("plans", id: plan.id, fields: ["actions": .array(actions)], in: &editor)
        }
    }

    // MARK: Deadlines

    /// Every deadline of this office's open cases that is passed or falls due within `horizon`,
    /// most urgent first. Cases that moved to another commune are not this office's to chase.
    public func overdue(horizon: TimeInterval = 48 * 3600) throws -> [DueItem] {
        let moment = now()
        var due: [(DomainRecord, CaseDeadline)] = []
        for record in try records("cases") where isOwn(record) {
            guard let facts = try? facts(of: record), facts.state.isOpen else { continue }
            for deadline in CaseWorkflow.overdue(deadlines: facts.deadlines, now: moment, horizon: horizon) {
                due.append((record, deadline))
            }
        }
        // Only the children of due cases are read (a commune holds thousands of children and a
        // few hundred cases), in one transaction.
        let childIDs = Set(due.compactMap { $0.0.string("child_id").flatMap(RecordID.init(string:)) })
        var children: [String: DomainRecord] = [:]
        for (id, state) in try replica.records("children", ids: Array(childIDs)) {
            children[id.description] = DomainRecord(collection: "children", id: id, state: state)
        }
        let items = due.map { record, deadline in
            DueItem(caseRecord: record, child: children[record.string("child_id") ?? ""], deadline: deadline)
        }
        return items.sorted { ($0.deadline.due, $0.caseRecord.id) < ($1.deadline.due, $1.caseRecord.id) }
    }
}

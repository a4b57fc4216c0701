import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncCore

extension TreNode {
    /// `case`: a report of abuse worked through the steps of Nghị định 56/2017.
    struct Case: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work a case through the steps of Nghị định 56/2017, with its deadlines.",
            discussion: """
                open → advance --to initial_assessment (→ emergency) → advance --to detailed_assessment → \
                plan (--submit) → approve | return → advance --to reassessment → close → approve; \
                or, after a reassessment, plan again for a new cycle.
                """,
            subcommands: [
                CaseOpen.self, CaseAdvance.self, CasePlan.self, CaseApprove.self, CaseReturn.self, CaseRefer.self,
                CaseVisit.self, CaseClose.self, CaseShow.self, CaseList.self,
            ])
    }
}

/// The case a step is taken on, and when.
struct CaseTarget: ParsableArguments {
    @Argument(help: "The case's id.") var id: String

    @Option(name: .customLong("at"), help: "When the step was taken, \"dd/mm/yyyy HH:mm\" (default: now).")
    var at: String = "now"

    init() {}

    init(id: String, at: String) {
        self.id = id
        self.at = at
    }

    func moment(_ store: DomainStore, _ options: WorkerOptions) throws -> Date {
        guard let date = Input.moment(at, now: store.now()) else {
            throw CommandFailure(
                code: "bad_value",
                message: say(options, "\"\(at)\" không phải ngày giờ", "\"\(at)\" is not a date and time"),
                hint: say(
                    options, "Nhập dạng dd/mm/yyyy HH:mm, ví dụ 02/12/2026 09:30.",
                    "Use dd/mm/yyyy HH:mm, e.g. 02/12/2026 09:30."))
        }
        guard date <= store.now().addingTimeInterval(300) else {
            throw CommandFailure(
                code: "bad_value",
                message: say(
                    options, "thời điểm \(Instant.display(date)) ở tương lai",
                    "\(Instant.display(date)) is in the future"),
                hint: say(options, "Ghi bước xử lý khi đã thực hiện.", "Record a step once it is taken."))
        }
        return date
    }
}

/// Takes `action` on the case and prints where it stands now.
func takeStep(
    _ action: CaseAction, target: CaseTarget, worker: WorkerName, options: WorkerOptions, location: NodeDirectory,
    role: CaseRole = .officer, configure: (inout CaseStepInput) throws -> Void = { _ in },
    filing: StepRecord = StepRecord()
) throws {
    try takeSteps(
        { _ in [action] }, target: target, worker: worker, options: options, location: location, role: role,
        configure: configure, filing: filing)
}

/// Takes the steps `choose` names for the case as it stands (approve the plan or the closure;
/// draft then submit), on one opened node — a passphrase is stretched once, not per step — and
/// prints each transition.
func takeSteps(
    _ choose: (DomainRecord) throws -> [CaseAction], target: CaseTarget, worker: WorkerName, options: WorkerOptions,
    location: NodeDirectory, role: CaseRole = .officer, configure: (inout CaseStepInput) throws -> Void = { _ in },
    filing: StepRecord = StepRecord()
) throws {
    try working(options) {
        let store = try location.openStore()
        let id = try parseID(target.id)
        let actions = try choose(try existing("cases", id, store, options))
        var input = CaseStepInput(at: try target.moment(store, options), by: try worker.name(store), role: role)
        try configure(&input)
        let titles = try RoleTitles.of(store.replica)
        let title = role == .chairman ? titles.chairman.text(options.lang) : titles.officer.text(options.lang)
        var lines: [String] = []
        for action in actions {
            let transition = try store.act(on: id, action, input: input, filing: filing, roleTitle: title)
            lines += stepLines(transition, id: id, store: store, options: options)
        }
        guard let record = try store.record("cases", id: id) else { return }
        if options.json {
            printJSON(Display.json(record))
            return
        }
        print(lines.joined(separator: "\n"))
    }
}

/// A transition as the worker reads it: from, to, the deadlines it set, its warnings.
func stepLines(_ transition: CaseTransition, id: RecordID, store: DomainStore, options: WorkerOptions) -> [String] {
    var lines = [
        say(
            options, "Hồ sơ \(id): \(transition.from.label.vi) → \(transition.state.label.vi)",
            "Case \(id): \(transition.from.label.en) → \(transition.state.label.en)")
    ]
    for deadline in transition.deadlines where deadline.met == nil {
        lines.append(
            "  " + say(options, "Hạn", "Due")
                + ": \(deadline.kind.label(rules: store.rules).text(options.lang)) — \(Instant.display(deadline.due))"
        )
    }
    for warning in transition.warnings { lines.append("  ! " + warning.text(options.lang)) }
    return lines
}

struct CaseOpen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open a case from a report (its deadlines count from when it was received). Prints the case's id.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var worker: WorkerName

    @Option(help: "The report's id (from `intake add`).") var intake: String
    @Option(help: "The child's id, when the report names no registered child.") var child: String?
    @Option(name: .customLong("at"), help: "When the case was opened, \"dd/mm/yyyy HH:mm\" (default: now).")
    var at: String = "now"

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let titles = try RoleTitles.of(store.replica)
            let moment = try CaseTarget(id: intake, at: at).moment(store, options)
            let id = try store.openCase(
                intake: try parseID(intake), child: try child.map(parseID), by: try worker.name(store),
                role: titles.officer.text(options.lang), at: moment)
            emit(options, text: id.description, json: ["id": id.description])
        }
    }
}

struct CaseAdvance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advance",
        abstract:
            "Take the case to its next step: initial_assessment, emergency, detailed_assessment, reassessment, not_substantiated, transferred, reopened.",
        discussion: """
            initial_assessment needs --danger yes|no (serious danger to life, health or dignity starts the \
            emergency deadline); reassessment needs --residual-harm, --abuser-access and --care-environment \
            (high, medium or low); not_substantiated and reopened need --reason; transferred needs --target. \
            --end-placement records the end of an emergency placement.
            """)

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var worker: WorkerName
    @OptionGroup var target: CaseTarget

    @Option(help: "The step to take the case to.") var to: String?
    @Option(help: "Initial assessment: serious danger found, yes or no.") var danger: String?
    @Option(help: "Risk level found: high, medium or low.") var risk: String?
    @Option(help: "What the assessment found.") var findings: String?
    @Option(help: "The child's needs (detailed assessment).") var needs: String?
    @Option(name: .customLong("placement-start"), help: "Emergency placement started, \"dd/mm/yyyy HH:mm\".")
    var placementStart: String?
    @Flag(name: .customLong("end-placement"), help: "The emergency placement has ended (at --at).")
    var endPlacement = false
    @Option(name: .customLong("residual-harm")) var residualHarm: String?
    @Option(name: .customLong("abuser-access")) var abuserAccess: String?
    @Option(name: .customLong("care-environment")) var careEnvironment: String?
    @Option(help: "Why (not substantiated, reopened).") var reason: String?
    @Option(name: .customLong("target"), help: "Where the case is transferred to.") var transferTarget: String?

    func validate() throws {
        if (to == nil) == !endPlacement {
            throw ValidationError("Give --to STEP, or --end-placement.")
        }
    }

    func action() throws -> CaseAction {
        if endPlacement { return .endPlacement }
        switch to?.lowercased() {
        case "initial_assessment": return .assessInitial
        case "emergency": return .emergency
        case "detailed_assessment": return .assessDetailed
        case "reassessment": return .reassess
        case "not_substantiated": return .notSubstantiated
        case "transferred": return .transfer
        case "reopened": return .reopen
        default:
            throw CommandFailure(
                code: "bad_value",
                message: say(
                    options, "\"\(to ?? "")\" không phải bước có thể chuyển tới bằng advance",
                    "\"\(to ?? "")\" is not a step advance takes a case to"),
                hint: say(
                    options,
                    "Các bước: initial_assessment, emergency, detailed_assessment, reassessment, not_substantiated, transferred, reopened. Kế hoạch: `case plan`; phê duyệt: `case approve`; đóng: `case close`.",
                    "Steps: initial_assessment, emergency, detailed_assessment, reassessment, not_substantiated, transferred, reopened. Plans: `case plan`; approval: `case approve`; closure: `case close`."
                ))
        }
    }

    func run() throws {
        let action: CaseAction = try working(options) { try self.action() }
        let options = options
        try takeStep(
            action, target: target, worker: worker, options: options, location: location,
            configure: { input in
                if let danger {
                    guard
                        let value = [
                            "yes": true, "có": true, "co": true, "true": true, "no": false, "không": false,
                            "khong": false, "false": false,
                        ][danger.lowercased()]
                    else {
                        throw CommandFailure(
                            code: "bad_value", message: "--danger \"\(danger)\"",
                            hint: say(options, "Trả lời yes (có) hoặc no (không).", "Answer yes or no."))
                    }
                    input.seriousDanger = value
                }
                if let placementStart {
                    guard let date = Input.moment(placementStart, now: Date()) else {
                        throw CommandFailure(
                            code: "bad_value", message: "--placement-start \"\(placementStart)\"",
                            hint: say(options, "Nhập dạng dd/mm/yyyy HH:mm.", "Use dd/mm/yyyy HH:mm."))
                    }
                    input.placementStart = date
                }
                var ratings: [String: String] = [:]
                if let residualHarm { ratings["residual_harm"] = residualHarm }
                if let abuserAccess { ratings["abuser_access"] = abuserAccess }
                if let careEnvironment { ratings["care_environment"] = careEnvironment }
                input.ratings = ratings
                input.reason = reason
                input.target = transferTarget
            },
            filing: StepRecord(riskLevel: risk, findings: findings, needs: needs))
    }
}

struct CasePlan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Draft the support plan (Mẫu 04) — a new cycle after a reassessment — and submit it for approval.",
        discussion: """
            --action takes \"service;responsible;dd/mm/yyyy\" and may be repeated. --submit sends the \
            draft to the chairman (who has 2 working days to decide). --done N marks action N done.
            """)

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var worker: WorkerName
    @OptionGroup var target: CaseTarget

    @Option(help: "The plan's goals.") var goals: String?
    @Option(parsing: .singleValue, help: "An action: \"service;responsible;dd/mm/yyyy\". Repeatable.")
    var action: [String] = []
    @Flag(help: "Submit the plan for the chairman's approval.") var submit = false
    @Option(parsing: .singleValue, help: "Mark action N (1, 2, …) of the current plan done today.") var done: [Int] = []

    func run() throws {
        let actions: [PlanAction] = try working(options) {
            try action.map { text in
                let parts = text.split(separator: ";", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                guard parts.count == 3 else {
                    throw CommandFailure(
                        code: "bad_value", message: "--action \"\(text)\"",
                        hint: say(
                            options, "Dạng \"dịch vụ;người thực hiện;dd/mm/yyyy\".",
                            "Give \"service;responsible;dd/mm/yyyy\"."))
                }
                return PlanAction(service: parts[0], responsible: parts[1], due: parts[2])
            }
        }
        if !done.isEmpty {
            // Marking actions done is its own step: combined with a draft, one part could be
            // stored and the other refused.
            if goals != nil || !action.isEmpty || submit {
                throw ValidationError("--done goes alone: mark actions done, then draft or submit in another command.")
            }
            try working(options) {
                let store = try location.openStore()
                try store.markPlanActionsDone(case: try parseID(target.id), positions: done, on: store.today)
                emit(options, text: say(options, "đã ghi nhận hoàn thành", "marked done"), json: ["done": done])
            }
            if goals == nil && action.isEmpty && !submit { return }
        }
        if goals == nil && actions.isEmpty && !submit && done.isEmpty {
            throw ValidationError("Give --goals and --action to draft, --submit to submit, or --done N.")
        }
        let steps = (goals != nil || !actions.isEmpty ? [CaseAction.draftPlan] : []) + (submit ? [.submitPlan] : [])
        if !steps.isEmpty {
            try takeSteps(
                { _ in steps }, target: target, worker: worker, options: options, location: location,
                filing: StepRecord(goals: goals, actions: actions.isEmpty ? nil : actions))
        }
    }
}

struct CaseApprove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "The chairman approves the submitted plan, or the proposed closure.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var worker: WorkerName
    @OptionGroup var target: CaseTarget

    func run() throws {
        try takeSteps(
            { [decisionAction(approve: true, $0)] }, target: target, worker: worker, options: options,
            location: location,
            role: .chairman)
    }
}

struct CaseReturn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "return", abstract: "The chairman returns the submitted plan (or closure) with a reason.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var worker: WorkerName
    @OptionGroup var target: CaseTarget
    @Option(help: "Why it is returned.") var reason: String

    func run() throws {
        let reason = reason
        try takeSteps(
            { [decisionAction(approve: false, $0)] }, target: target, worker: worker, options: options,
            location: location, role: .chairman, configure: { $0.reason = reason })
    }
}

/// Approve or return: the plan's when a plan waits, the closure's when a closure does.
func decisionAction(approve: Bool, _ record: DomainRecord) -> CaseAction {
    if CaseState(rawValue: record.string("status") ?? "") == .closureSubmitted {
        return approve ? .approveClosure : .returnClosure
    }
    return approve ? .approvePlan : .returnPlan
}

struct CaseClose: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close",
        abstract: "Propose closing the case after its reassessment; the chairman then approves (`case approve`).")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var worker: WorkerName
    @OptionGroup var target: CaseTarget
    @Option(help: "safe, moved, turned_16, deceased or other.") var reason: String

    func run() throws {
        let reason = reason
        try takeStep(
            .proposeClosure, target: target, worker: worker, options: options, location: location,
            configure: { $0.closureReason = reason })
    }
}

struct CaseRefer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refer",
        abstract:
            "Refer the case to police, health, school, legal aid or social services (with consent), or update a referral's status."
    )

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var worker: WorkerName
    @Argument(help: "The case's id.") var id: String

    @Option(help: "police, health, school, legal_aid, social_services or other.") var target: String?
    @Option(help: "The organisation's name.") var organisation: String?
    @Option(help: "The service asked for.") var service: String?
    @Option(help: "The child or caregiver consents: yes or no.") var consent: String?
    @Option(help: "Update this referral (its id) instead of making a new one.") var referral: String?
    @Option(help: "in_progress, accepted, rejected, done or revoked.") var status: String?
    @Option(help: "A note.") var note: String?

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let caseID = try parseID(id)
            let record = try existing("cases", caseID, store, options)
            if let referral {
                let referralID = try parseID(referral)
                var fields: [String: FieldValue] = [:]
                if let status { fields["status"] = .string(status) }
                if let consent { fields["consent"] = .string(consent) }
                if let note { fields["note"] = .string(note) }
                if fields.isEmpty { throw ValidationError("Give --status, --consent or --note to update a referral.") }
                guard let existing = try store.record("referrals", id: referralID),
                    existing.string("case_id") == record.id.description
                else {
                    throw CommandFailure(
                        code: "not_found",
                        message: say(
                            options, "hồ sơ không có chuyển gửi \(referralID)", "the case has no referral \(referralID)"
                        ),
                        hint: say(options, "`case show` liệt kê các chuyển gửi.", "`case show` lists the referrals."))
                }
                try store.update("referrals", id: referralID, fields: fields)
                emit(options, text: referralID.description, json: ["id": referralID.description])
                return
            }
            guard let target, let organisation, let consent else {
                throw ValidationError("A new referral needs --target, --organisation and --consent.")
            }
            var fields: [String: FieldValue] = [
                "case_id": .string(caseID.description), "target": .string(target),
                "organisation": .string(organisation),
                "consent": .string(consent), "status": .string(status ?? "in_progress"),
                "at": .string(Instant.format(store.now())), "by": .string(try worker.name(store)),
            ]
            if let service { fields["service"] = .string(service) }
            if let note { fields["note"] = .string(note) }
            guard CaseState(rawValue: record.string("status") ?? "")?.isOpen ?? false else {
                throw CommandFailure(
                    code: "not_allowed", message: say(options, "hồ sơ đã đóng", "the case is closed"),
                    hint: say(
                        options, "Mở lại hồ sơ trước (`case advance --to reopened`).",
                        "Reopen it first (`case advance --to reopened`)."))
            }
            if !store.isOwn(record) {
                throw CommandFailure(
                    code: "read_only",
                    message: say(options, "hồ sơ đã chuyển sang đơn vị khác", "the case moved to another unit"),
                    hint: say(
                        options, "Đơn vị đang quản lý hồ sơ thực hiện chuyển gửi.",
                        "The unit that holds it now makes referrals."))
            }
            // Read as the stored yes/no field reads it: "false", "0", "NO", "khong" are a no too.
            if Validator.yesOrNo(consent) == false {
                throw CommandFailure(
                    code: "not_allowed",
                    message: say(
                        options, "chuyển gửi cần sự đồng ý của trẻ hoặc người chăm sóc",
                        "a referral needs the consent of the child or their carer"),
                    hint: say(
                        options, "Ghi nhận sự đồng ý rồi chuyển gửi (--consent yes).",
                        "Record consent, then refer (--consent yes)."))
            }
            let referralID = try store.create("referrals", fields: fields)
            emit(options, text: referralID.description, json: ["id": referralID.description])
        }
    }
}

struct CaseVisit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "visit", abstract: "Record a follow-up visit to the child.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var worker: WorkerName
    @OptionGroup var target: CaseTarget
    @Flag(name: .customLong("child-seen"), help: "The child was seen.") var childSeen = false
    @Option(help: "What was seen and said.") var notes: String?

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let caseID = try parseID(target.id)
            let record = try existing("cases", caseID, store, options)
            if !store.isOwn(record) {
                throw CommandFailure(
                    code: "read_only",
                    message: say(options, "hồ sơ đã chuyển sang đơn vị khác", "the case moved to another unit"),
                    hint: say(
                        options, "Đơn vị đang quản lý hồ sơ ghi nhận việc thăm.",
                        "The unit that holds it now records visits."))
            }
            var fields: [String: FieldValue] = [
                "case_id": .string(caseID.description),
                "at": .string(Instant.format(try target.moment(store, options))),
                "by": .string(try worker.name(store)), "child_seen": .bool(childSeen),
            ]
            if let notes { fields["notes"] = .string(notes) }
            let id = try store.create("visits", fields: fields)
            emit(options, text: id.description, json: ["id": id.description])
        }
    }
}

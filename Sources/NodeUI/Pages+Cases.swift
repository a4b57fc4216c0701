import Crypto
import Domain
import Foundation
import SyncCore

extension PageContext {
    // MARK: Mẫu 01

    /// The intake form (Mẫu 01): kept as a draft until submitted; a refusal is shown beside the
    /// field it names.
    func intakeForm(child: RecordID?, values: [String: [String]]?, errors: [String: String], status: Int = 200)
        throws -> UIResponse
    {
        let w = words
        let draftKey = "intake.\(child?.description ?? "none")"
        let values = values ?? loadDraft(draftKey) ?? [:]
        func value(_ name: String) -> String { values[name]?.first ?? "" }
        let definition = store.definition.collection("intakes")
        func label(_ name: String) -> String { definition?.field(name)?.label.text(language) ?? name }
        func options(_ enumeration: Enumeration) -> [(code: String, label: String)] {
            enumeration.values.map { ($0.code, $0.label.text(language)) }
        }
        var inner = ""
        if let child, let record = try store.record("children", id: child) {
            inner +=
                "<input type=\"hidden\" name=\"child\" value=\"\(child)\"><p>\(HTML.escape(label("child_id"))): <strong>\(HTML.escape(record.string("full_name") ?? ""))</strong></p>"
        }
        if let general = errors[""] { inner += "<p class=\"error\" role=\"alert\">\(HTML.escape(general))</p>" }
        inner += HTML.field(
            "received_at", label: label("received_at"),
            value: value("received_at").isEmpty ? Instant.display(store.now()) : value("received_at"),
            error: errors["received_at"], required: true, hint: "dd/mm/yyyy HH:mm")
        inner += HTML.select(
            "source", label: label("source"), options: options(Enumerations.source), selected: value("source"),
            error: errors["source"], required: true)
        let chosen = Set(values["abuse_types"] ?? [])
        inner +=
            "<fieldset class=\"field\(errors["abuse_types"] != nil ? " invalid" : "")\"><legend>\(HTML.escape(label("abuse_types"))) *</legend>"
        for option in options(Enumerations.abuseType) {
            inner +=
                "<label class=\"check\"><input type=\"checkbox\" name=\"abuse_types\" value=\"\(HTML.escape(option.code))\"\(chosen.contains(option.code) ? " checked" : "")> \(HTML.escape(option.label))</label>"
        }
        inner += (errors["abuse_types"].map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "") + "</fieldset>"
        inner += HTML.select(
            "setting", label: label("setting"), options: options(Enumerations.setting), selected: value("setting"),
            error: errors["setting"])
        inner += HTML.field(
            "description", label: label("description"), value: value("description"), type: "textarea",
            error: errors["description"])
        inner += HTML.field(
            "alleged_abuser", label: label("alleged_abuser"), value: value("alleged_abuser"),
            error: errors["alleged_abuser"])
        inner +=
            "<fieldset class=\"field\"><legend>\(HTML.escape(w("Người báo tin", "Reporter")))</legend>"
            + "<label class=\"check\"><input type=\"checkbox\" name=\"reporter_consent\" value=\"yes\"\(value("reporter_consent") == "yes" ? " checked" : "")> \(HTML.escape(label("reporter_consent")))</label>"
            + HTML.field(
                "reporter_name", label: label("reporter_name"), value: value("reporter_name"),
                error: errors["reporter_name"])
            + HTML.field(
                "reporter_phone", label: label("reporter_phone"), value: value("reporter_phone"), type: "tel",
                error: errors["reporter_phone"])
            + "</fieldset>"
        inner +=
            "<div class=\"actions\"><button type=\"submit\" name=\"do\" value=\"submit\" id=\"submit-intake\">\(HTML.escape(w("Lưu phiếu", "Save the report")))</button> <button type=\"submit\" name=\"do\" value=\"draft\" class=\"secondary\">\(HTML.escape(w("Lưu nháp", "Save draft")))</button></div>"
        let body = HTML.form(action: "/intakes", csrf: session.csrf, id: "intake", inner)
        return .html(
            layout(
                title: Localized(vi: "Phiếu tiếp nhận thông tin (Mẫu 01)", en: "Report received (Form 01)"), body: body),
            status: status)
    }

    func submitIntake(_ request: UIRequest) async throws -> UIResponse {
        let child = request.field("child").flatMap(RecordID.init(string:))
        let draftKey = "intake.\(child?.description ?? "none")"
        var form = request.form
        form["csrf"] = nil
        form["do"] = nil
        if request.field("do") == "draft" {
            saveDraft(draftKey, form)
            app.sessions.update(session.token) { $0.flash = words("Đã lưu nháp.", "Draft saved.") }
            return .redirect(child.map { "/intakes/new?child=\($0)" } ?? "/intakes/new")
        }
        let w = words
        guard let at = Input.moment(request.field("received_at") ?? "now", now: store.now()),
            at <= store.now().addingTimeInterval(300)
        else {
            return try intakeForm(
                child: child, values: form,
                errors: [
                    "received_at": w(
                        "Nhập ngày giờ đã qua, dạng dd/mm/yyyy HH:mm.", "Give a past moment as dd/mm/yyyy HH:mm.")
                ], status: 422)
        }
        var fields: [String: FieldValue] = [
            "received_at": .string(Instant.format(at)), "received_by": .string(session.worker),
            "reporter_consent": .bool(request.field("reporter_consent") == "yes"),
            "abuse_types": .array(request.fields("abuse_types").filter { !$0.isEmpty }.map { .string($0) }),
        ]
        for name in ["source", "setting", "description", "alleged_abuser", "reporter_name", "reporter_phone"] {
            if let value = request.field(name) { fields[name] = .string(value) }
        }
        if let child { fields["child_id"] = .string(child.description) }
        let store = self.store
        let checkedFields = fields
        do {
            let before = ownCounter()
            let id = try await blocking { try store.create("intakes", fields: checkedFields) }
            audit("intake.add", id, since: before)
            clearDraft(draftKey)
            app.sessions.update(session.token) { $0.flash = w("Đã lưu phiếu tiếp nhận.", "The report is saved.") }
            return .redirect(child.map { "/children/\($0)" } ?? "/")
        } catch let refusal as DomainRefusal {
            return try intakeForm(
                child: child, values: form,
                errors: [fieldName(refusal): refusal.message(language) + " — " + refusal.hint(language)], status: 422)
        }
    }

    /// The form field a refusal names (a rule across fields names its first one).
    func fieldName(_ refusal: DomainRefusal) -> String {
        refusal.field.split(separator: ",").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
    }

    // MARK: Drafts

    /// Drafts are kept per worker in the replica's settings, sealed at rest like every value.
    /// The setting's *name* is not sealed, so it names neither the worker nor the child: it is
    /// the SHA-256 of the folded worker's name and the draft's key (which holds a record's id).
    static func draftSetting(_ key: String, _ worker: String) -> String {
        let digest = SHA256.hash(data: Data((foldForSearch(worker) + "\u{0}" + key).utf8))
        return "ui.draft." + digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The name drafts had before it was hashed: read once (and removed) so a draft kept by an
    /// earlier release is not lost.
    static func legacyDraftSetting(_ key: String, _ worker: String) -> String {
        "ui.draft.\(foldForSearch(worker)).\(key)"
    }

    func saveDraft(_ key: String, _ form: [String: [String]]) {
        guard let data = try? JSONEncoder().encode(form) else { return }
        try? store.replica.setSetting(Self.draftSetting(key, session.worker), String(decoding: data, as: UTF8.self))
        try? store.replica.setSetting(Self.legacyDraftSetting(key, session.worker), nil)
    }

    func clearDraft(_ key: String) {
        try? store.replica.setSetting(Self.draftSetting(key, session.worker), nil)
        try? store.replica.setSetting(Self.legacyDraftSetting(key, session.worker), nil)
    }

    func loadDraft(_ key: String) -> [String: [String]]? {
        let text =
            ((try? store.replica.setting(Self.draftSetting(key, session.worker))) ?? nil)
            ?? ((try? store.replica.setting(Self.legacyDraftSetting(key, session.worker))) ?? nil)
        guard let text else { return nil }
        return try? JSONDecoder().decode([String: [String]].self, from: Data(text.utf8))
    }

    // MARK: Cases

    func openCase(_ request: UIRequest) async throws -> UIResponse {
        guard let intake = request.field("intake").flatMap(RecordID.init(string:)) else { return notFound() }
        let store = self.store
        let worker = session.worker
        let role = CaseRole.officer.label.text(language)
        let before = ownCounter()
        let id = try await blocking { try store.openCase(intake: intake, child: nil, by: worker, role: role) }
        audit("case.open", id, since: before)
        return .redirect("/cases/\(id)")
    }

    /// A case: where it stands, its deadlines, its history, and a form for each step that can be
    /// taken from here (the workflow's table decides which).
    func casePage(_ id: RecordID, failed: (action: CaseAction, form: [String: [String]], error: String)?) throws
        -> UIResponse
    {
        let w = words
        guard let record = try store.record("cases", id: id), !record.deleted else { return notFound() }
        let facts = try store.facts(of: record)
        var body = ""
        if let childID = record.string("child_id").flatMap(RecordID.init(string:)),
            let child = try store.record("children", id: childID)
        {
            body +=
                "<p>\(HTML.escape(w("Trẻ", "Child"))): <a href=\"/children/\(childID)\">\(HTML.escape(child.string("full_name") ?? "?"))</a></p>"
        }
        body +=
            "<p class=\"state\">\(HTML.escape(w("Đang ở bước", "Stands at"))): <strong id=\"case-state\">\(HTML.escape(facts.state.label.text(language)))</strong></p>"
        body += stepBar(facts.state)
        if let reason = record.string("return_reason"), !reason.isEmpty {
            body += "<p class=\"error\">\(HTML.escape(w("Bị trả lại", "Returned"))): \(HTML.escape(reason))</p>"
        }
        let now = store.now()
        let rows = facts.deadlines.map { deadline -> [String] in
            let state =
                deadline.met.map { w("đã xong", "met") + " " + Instant.display($0) }
                ?? (deadline.due < now ? w("QUÁ HẠN", "OVERDUE") : w("đang chờ", "pending"))
            return [
                HTML.escape(deadline.kind.label(rules: store.rules).text(language)),
                "<strong>\(HTML.escape(Instant.display(deadline.due)))</strong>", HTML.escape(state),
            ]
        }
        body +=
            "<h2>\(HTML.escape(w("Thời hạn", "Deadlines")))</h2>"
            + (rows.isEmpty
                ? "<p>\(HTML.escape(w("Chưa có.", "None yet.")))</p>"
                : HTML.table(head: [w("Việc", "What"), w("Hạn", "Due"), w("Tình trạng", "State")], rows: rows))
        body += "<h2>\(HTML.escape(w("Bước tiếp theo", "Next steps")))</h2>"
        for action in CaseWorkflow.possibleActions(from: facts.state, facts: facts)
        where action != .endPlacement || facts.placementRunning {
            let failure = failed?.action == action ? failed : nil
            let draft = Self.draftedActions.contains(action) ? loadDraft(Self.stepDraftKey(action, id)) : nil
            body += actionForm(
                id, action, values: failure?.form ?? draft ?? [:], error: failure?.error, drafted: draft != nil)
        }
        let events = try store.filed("case_events", underCase: id)
        body += "<h2>\(HTML.escape(w("Lịch sử", "History")))</h2>"
        body += HTML.table(
            head: [w("Lúc", "When"), w("Bước", "Step"), w("Người thực hiện", "By"), w("Lý do", "Reason")],
            rows: events.map { event in
                [
                    HTML.escape(event.string("at").flatMap(Instant.parse).map(Instant.display) ?? ""),
                    HTML.escape(
                        CaseState(rawValue: event.string("to") ?? "")?.label.text(language) ?? event.string("action")
                            ?? ""),
                    HTML.escape(event.string("by") ?? ""), HTML.escape(event.string("reason") ?? ""),
                ]
            })
        return .html(
            layout(title: Localized(vi: "Hồ sơ vụ việc", en: "Case"), body: body), status: failed == nil ? 200 : 422)
    }

    /// The steps whose forms are long enough to be kept as a draft until taken: the support plan,
    /// the reassessment (Mẫu 06) and the closure's proposal.
    static let draftedActions: Set<CaseAction> = [.draftPlan, .reassess, .proposeClosure]

    static func stepDraftKey(_ action: CaseAction, _ id: RecordID) -> String { "step.\(action.rawValue).\(id)" }

    /// One step's form: the inputs the workflow requires for it, and what it files.
    func actionForm(
        _ id: RecordID, _ action: CaseAction, values: [String: [String]], error: String?, drafted: Bool = false
    ) -> String {
        let w = words
        let rule = CaseWorkflow.rule(for: action)
        func value(_ name: String) -> String { values[name]?.first ?? "" }
        func ratings() -> [(code: String, label: String)] {
            Enumerations.rating.values.map { ($0.code, $0.label.text(language)) }
        }
        var inner = "<input type=\"hidden\" name=\"action\" value=\"\(action.rawValue)\">"
        if let error { inner += "<p class=\"error\" role=\"alert\">\(HTML.escape(error))</p>" }
        if drafted {
            inner +=
                "<p class=\"flash draft\">\(HTML.escape(w("Đang mở bản nháp đã lưu; bản nháp được giữ đến khi ghi bước này.", "The saved draft is open; it is kept until this step is recorded.")))</p>"
        }
        for input in rule.requires + rule.accepts {
            let name = input.rawValue
            let label = input.label.text(language)
            switch input {
            case .seriousDanger:
                inner += HTML.select(
                    name, label: label, options: [("yes", w("Có", "Yes")), ("no", w("Không", "No"))],
                    selected: value(name), required: true)
            case .residualHarm, .abuserAccess, .careEnvironment:
                inner += HTML.select(name, label: label, options: ratings(), selected: value(name), required: true)
            case .closureReason:
                inner += HTML.select(
                    name, label: label,
                    options: Enumerations.closureReason.values.map { ($0.code, $0.label.text(language)) },
                    selected: value(name), required: true)
            case .placementStart:
                inner += HTML.field(name, label: label, value: value(name), hint: "dd/mm/yyyy HH:mm")
            case .reason, .target:
                inner += HTML.field(name, label: label, value: value(name), required: rule.requires.contains(input))
            }
        }
        switch action {
        case .assessInitial, .assessDetailed:
            inner += HTML.select(
                "risk", label: w("Mức độ nguy cơ", "Risk level"), options: ratings(), selected: value("risk"))
            inner += HTML.field(
                "findings", label: w("Kết quả đánh giá", "Findings"), value: value("findings"), type: "textarea")
            if action == .assessDetailed {
                inner += HTML.field(
                    "needs", label: w("Nhu cầu của trẻ", "The child's needs"), value: value("needs"), type: "textarea")
            }
        case .draftPlan:
            inner += HTML.field(
                "goals", label: w("Mục tiêu", "Goals"), value: value("goals"), type: "textarea", required: true)
            for row in 0..<3 {
                let service = values["service"]?[safe: row] ?? ""
                let responsible = values["responsible"]?[safe: row] ?? ""
                let due = values["due"]?[safe: row] ?? ""
                inner +=
                    "<fieldset class=\"row\"><legend>\(HTML.escape(w("Hoạt động", "Action"))) \(row + 1)</legend>"
                    + HTML.field("service", label: w("Dịch vụ", "Service"), value: service)
                    + HTML.field("responsible", label: w("Người thực hiện", "Responsible"), value: responsible)
                    + HTML.field("due", label: w("Hạn (dd/mm/yyyy)", "Due (dd/mm/yyyy)"), value: due) + "</fieldset>"
            }
            inner +=
                "<label class=\"check\"><input type=\"checkbox\" name=\"submit\" value=\"yes\"> \(HTML.escape(w("Trình Chủ tịch phê duyệt ngay", "Submit to the chairman now")))</label>"
        default: break
        }
        inner += HTML.field(
            "at", label: w("Thời điểm (để trống: bây giờ)", "When (empty: now)"), value: value("at"),
            hint: "dd/mm/yyyy HH:mm")
        let role = rule.role == .chairman ? " (\(rule.role.label.text(language)))" : ""
        inner +=
            "<button type=\"submit\" id=\"act-\(action.rawValue)\">\(HTML.escape(action.label.text(language) + role))</button>"
        if Self.draftedActions.contains(action) {
            inner +=
                " <button type=\"submit\" name=\"do\" value=\"draft\" class=\"secondary\" id=\"draft-\(action.rawValue)\">\(HTML.escape(w("Lưu nháp", "Save draft")))</button>"
        }
        return
            "<details class=\"step\"\(error != nil || drafted ? " open" : "")><summary>\(HTML.escape(action.label.text(language) + role))</summary>"
            + HTML.form(action: "/cases/\(id)/act", csrf: session.csrf, inner) + "</details>"
    }

    /// Takes the step the form names, as the worker of the session (their role the step's).
    func act(on id: RecordID, _ request: UIRequest) async throws -> UIResponse {
        guard let action = request.field("action").flatMap(CaseAction.init(rawValue:)) else { return notFound() }
        let w = words
        var form = request.form
        form["csrf"] = nil
        form["do"] = nil
        if request.field("do") == "draft", Self.draftedActions.contains(action) {
            saveDraft(Self.stepDraftKey(action, id), form)
            audit("draft.\(action.rawValue)", id)
            app.sessions.update(session.token) { $0.flash = w("Đã lưu nháp.", "Draft saved.") }
            return .redirect("/cases/\(id)")
        }
        func fail(_ message: String) throws -> UIResponse { try casePage(id, failed: (action, form, message)) }
        guard let at = Input.moment(request.field("at") ?? "now", now: store.now()),
            at <= store.now().addingTimeInterval(300)
        else {
            return try fail(
                w(
                    "Thời điểm: nhập ngày giờ đã qua, dạng dd/mm/yyyy HH:mm.",
                    "When: give a past moment, dd/mm/yyyy HH:mm."))
        }
        let rule = CaseWorkflow.rule(for: action)
        var input = CaseStepInput(at: at, by: session.worker, role: rule.role)
        if let danger = request.field("serious_danger") { input.seriousDanger = danger == "yes" }
        for item in ["residual_harm", "abuser_access", "care_environment"] {
            if let rating = request.field(item) { input.ratings[item] = rating }
        }
        input.reason = request.field("reason")
        input.target = request.field("target")
        input.closureReason = request.field("closure_reason")
        if let start = request.field("placement_start") {
            guard let date = Input.moment(start, now: store.now()) else {
                return try fail(w("Bắt đầu bố trí: dạng dd/mm/yyyy HH:mm.", "Placement start: dd/mm/yyyy HH:mm."))
            }
            input.placementStart = date
        }
        var filing = StepRecord(
            riskLevel: request.field("risk"), findings: request.field("findings"), needs: request.field("needs"))
        var actions = [action]
        if action == .draftPlan {
            filing.goals = request.field("goals")
            let services = request.fields("service")
            let responsible = request.fields("responsible")
            let due = request.fields("due")
            filing.actions = services.indices.compactMap { index in
                let service = services[index].trimmingCharacters(in: .whitespaces)
                guard !service.isEmpty else { return nil }
                return PlanAction(
                    service: service, responsible: responsible[safe: index] ?? "", due: due[safe: index] ?? "")
            }
            if request.field("submit") == "yes" { actions.append(.submitPlan) }
        }
        let store = self.store
        let title = rule.role.label.text(language)
        let steps = actions
        let stepInput = input
        let stepFiling = filing
        let before = ownCounter()
        do {
            try await blocking {
                for step in steps {
                    try store.act(
                        on: id, step, input: stepInput, filing: step == .draftPlan ? stepFiling : StepRecord(),
                        roleTitle: title)
                }
            }
            for step in steps { audit("case.\(step.rawValue)", id, since: before) }
            if Self.draftedActions.contains(action) {
                clearDraft(Self.stepDraftKey(action, id))
            }
            app.sessions.update(session.token) {
                $0.flash = action.label.text(language) + " — " + w("đã ghi.", "recorded.")
            }
            return .redirect("/cases/\(id)")
        } catch let refusal as DomainRefusal {
            return try fail(refusal.message(language) + " — " + refusal.hint(language))
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

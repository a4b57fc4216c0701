public import Foundation
public import SyncCore

/// A replica's reports: a unit's document for a period, its submission and approval, and — at a
/// hub — the aggregates it sends up. Node and hub use the same code; only the unit tree differs
/// (a node knows its own commune).
public struct Reporting: Sendable {
    public let replica: Replica
    public let tree: UnitTree
    public let bands: AgeBands
    public let validator: Validator
    public let now: @Sendable () -> Date
    /// Whether a unit's figures read only its subtree's records, selected by the store
    /// (`FigureSource.selecting`); false reads every record, to measure or check the selection.
    public var selecting = true

    /// Settings both programs keep (sealed at rest like every setting).
    public enum Setting {
        public static let bands = "report.age_bands"
        public static let threshold = "report.suppress_below"
        public static let years = "report.aggregate_years"
    }

    public static let defaultThreshold = 5
    public static let defaultYears = 3

    public init(
        replica: Replica, tree: UnitTree, bands: AgeBands? = nil, validator: Validator = Validator(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.replica = replica
        self.tree = tree
        self.bands = try bands ?? replica.setting(Setting.bands).flatMap(AgeBands.init) ?? .standard
        self.validator = validator
        self.now = now
    }

    /// The suppression threshold configured here (default 5).
    public func threshold() throws -> Int {
        try replica.setting(Setting.threshold).flatMap(Int.init).flatMap { (2...100).contains($0) ? $0 : nil }
            ?? Self.defaultThreshold
    }

    public var today: LocalDate { LocalDate.today(at: now()) }

    /// The half-year a report is usually about: the one today is in.
    public var currentPeriod: ReportPeriod { .halfYear(year: today.year, half: today.month <= 6 ? 1 : 2) }

    /// Figures for `period` and the one before, computed from records (and a lower hub's
    /// aggregates for the units they cover) within `unit`'s subtree.
    public func figures(unit: String, period: ReportPeriod) throws -> FigureSource.Result {
        let units = Set(tree.subtree(of: unit))
        let result = try FigureSource(
            replica: replica, tree: tree, bands: bands, ownUnit: replica.unit, selecting: selecting
        ).figures(for: [period, period.previous], within: units)
        // A unit a lower hub sends only figures for (its records here, if any, lack the personal
        // fields indicators rest on) can be reported only for the periods it sent: never
        // silently from what is here.
        let aggregated = result.aggregatedUnits.intersection(units)
        let otherBands = aggregated.filter { result.otherBands[$0] != nil }.sorted()
        if let first = otherBands.first {
            let theirs = result.otherBands[first] ?? ""
            throw Self.refusal(
                Localized(
                    vi:
                        "số liệu của \(tree.name(first)) (\(first)) theo nhóm tuổi \(theirs), khác nhóm tuổi ở đây (\(bands))",
                    en:
                        "\(tree.name(first)) (\(first)) sent figures by the age bands \(theirs), not this hub's (\(bands))"
                ),
                Localized(
                    vi:
                        "Dùng cùng nhóm tuổi với cấp dưới: `report settings --bands \(theirs)` (hoặc --bands khi lập báo cáo).",
                    en: "Use the lower hub's bands: `report settings --bands \(theirs)` (or --bands on the report)."))
        }
        // The period beside it too: a previous column made from redacted records would be as wrong.
        let missing = aggregated.subtracting(result.coveredIn(period).intersection(result.coveredIn(period.previous)))
            .sorted()
        if !missing.isEmpty {
            let names = missing.prefix(5).map { "\(tree.name($0)) (\($0))" }.joined(separator: ", ")
            let more = missing.count > 5 ? " …" : ""
            throw Self.refusal(
                Localized(
                    vi: "cấp dưới chỉ gửi số liệu tổng hợp 6 tháng và năm của \(names)\(more); kỳ \(period) không có",
                    en:
                        "a lower hub sends only half-year and year figures for \(names)\(more); it sent none for \(period)"
                ),
                Localized(
                    vi:
                        "Chọn kỳ 6 tháng hoặc năm (2026-H1, 2026-H2, 2026) trong số năm cấp dưới lưu (`report settings --years`).",
                    en:
                        "Ask for a half-year or a year (2026-H1, 2026-H2, 2026) within the years the lower hub keeps (`report settings --years`)."
                ))
        }
        return result
    }

    /// `unit`'s report for `period`; published (small counts hidden) with `threshold`.
    public func document(unit: String, period: ReportPeriod, threshold: Int? = nil) throws -> ReportDocument {
        let result = try figures(unit: unit, period: period)
        let approval = try approval(unit: unit, period: period)
        return ReportBuilder(tree: tree, bands: bands, threshold: threshold).build(
            unit: unit, period: period, current: result.figures[period] ?? Figures(),
            previous: result.figures[period.previous] ?? Figures(), generated: now(), approval: approval,
            fromAggregates: result.fromAggregates.sorted())
    }

    // MARK: Approval

    public static let approvals = "report_approvals"

    /// The one approval record of a unit's report for a period: every office that writes it
    /// writes the same record.
    public static func approvalID(unit: String, period: ReportPeriod) -> RecordID {
        nameBasedRecordID("tre.report_approvals.v1|\(unit)|\(period)")
    }

    /// Why a node may not make this change to a report's approval, or nil: a node's every write
    /// of it is a submission (status `submitted`, no decision, no reason), so a commune can
    /// neither approve its own figures nor change the approved ones unseen.
    public static func nodeDecisionProblem(_ set: FieldMap<FieldValue>) -> String? {
        guard set["status"] == .string("submitted") else {
            return "report_approvals: a commune only submits its report (status submitted); the level above decides"
        }
        for field in ["decided_at", "decided_by", "reason", "approved_figures"] where set[field] != nil {
            return "report_approvals.\(field): a commune only submits its report; the level above decides"
        }
        return nil
    }

    /// Why a node may not write this record of `report_approvals`, or nil: it must be the record
    /// of a report of the node's own unit (`unit`, the change's owning unit) — its id derived
    /// from that unit and a period, the `unit` and `period` it names those. Otherwise a commune
    /// could create its neighbour's record first (the id is public), own it, and so show its own
    /// figures as the neighbour's and have the neighbour's submission refused as a claim.
    public static func nodeRecordProblem(_ id: RecordID, unit: String, set: FieldMap<FieldValue>) -> String? {
        let refusal = "report_approvals: a commune submits only its own unit's report"
        if let named = set["unit"], named != .string(unit) { return refusal }
        if let period = set["period"] {
            guard let text = period.stringValue, let parsed = ReportPeriod(text), parsed.isStandard,
                approvalID(unit: unit, period: parsed) == id
            else { return refusal }
            return nil
        }
        // No period named (a later submission): the id must still be one of the unit's reports.
        for year in 2000...2100 {
            for period in [ReportPeriod.halfYear(year: year, half: 1), .halfYear(year: year, half: 2), .year(year)]
            where approvalID(unit: unit, period: period) == id {
                return nil
            }
        }
        return refusal
    }

    /// Where the report stands, with the figures as they were submitted or approved.
    public func approval(unit: String, period: ReportPeriod) throws -> ReportBuilder.ApprovalState? {
        guard let state = try replica.record(Self.approvals, id: Self.approvalID(unit: unit, period: period)),
            !state.isDeleted, let status = state.value("status")?.stringValue
        else { return nil }
        func cells(_ field: String) -> [String: Int]? {
            guard case .array(let cells) = state.value(field) else { return nil }
            var figures: [String: Int] = [:]
            for case .object(let cell) in cells {
                guard let indicator = cell["indicator"]?.stringValue, case .int(let value) = cell["value"] else {
                    continue
                }
                figures[indicator + "|" + (cell["breakdown"]?.stringValue ?? "")] = Int(clamping: value)
            }
            return figures
        }
        func text(_ name: String) -> String? { state.value(name)?.stringValue }
        // The figures a report is compared with: those approved, while an approval stands (a
        // hub's field: a commune that writes its report back to "submitted" cannot replace
        // them), else those submitted.
        let approved = cells("approved_figures")
        return ReportBuilder.ApprovalState(
            status: status, submittedAt: text("submitted_at"), submittedBy: text("submitted_by"),
            decidedAt: text("decided_at"), decidedBy: text("decided_by"), reason: text("reason"),
            figures: approved ?? cells("figures") ?? [:], approvedFigures: approved)
    }

    /// For each of `units` whose report for `period` stands approved, how many cells now differ
    /// from the approved figures — from one computation of the figures for them all (a report
    /// per unit would read every record once per unit: a province's 200 communes, 200 reads).
    public func changedSinceApproval(units: [String], period: ReportPeriod) throws -> [String: Int] {
        var approved: [String: [String: Int]] = [:]
        for unit in units {
            if let approval = try approval(unit: unit, period: period), approval.status == "approved" {
                approved[unit] = approval.figures
            }
        }
        guard !approved.isEmpty else { return [:] }
        let within = Set(approved.keys.flatMap { tree.subtree(of: $0) })
        let figures =
            try FigureSource(replica: replica, tree: tree, bands: bands, ownUnit: replica.unit).figures(
                for: [period], within: within
            ).figures[period] ?? Figures()
        let builder = ReportBuilder(tree: tree, bands: bands)
        return approved.reduce(into: [:]) { result, entry in
            let (unit, then) = entry
            let now = ReportBuilder.snapshot(builder.cells(of: unit, in: figures))
            result[unit] = Set(now.keys).union(then.keys).filter { now[$0] ?? 0 != then[$0] ?? 0 }.count
        }
    }

    /// A report refused: why, and what to do.
    static func refusal(_ problem: Localized, _ accepted: Localized) -> DomainRefusal {
        DomainRefusal(
            code: "not_allowed", field: "report", label: Localized(vi: "Báo cáo", en: "Report"), problem: problem,
            accepted: accepted)
    }

    /// The figures of `unit`'s report as they stand, as the approval record keeps them.
    func snapshot(unit: String, period: ReportPeriod) throws -> FieldValue {
        let result = try figures(unit: unit, period: period)
        let cells = ReportBuilder(tree: tree, bands: bands).cells(
            of: unit, in: result.figures[period] ?? Figures())
        let snapshot = ReportBuilder.snapshot(cells)
        return .array(
            snapshot.keys.sorted().map { compound in
                let parts = compound.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                var cell: [String: FieldValue] = [
                    "indicator": .string(String(parts[0])), "value": .int(Int64(snapshot[compound]!)),
                ]
                if parts.count == 2, !parts[1].isEmpty { cell["breakdown"] = .string(String(parts[1])) }
                return .object(cell)
            })
    }

    /// The unit sends its report for approval (again, after a return): the figures as they stand
    /// now are kept with it.
    public func submit(unit: String, period: ReportPeriod, by person: String) throws {
        guard period.isStandard else {
            throw Self.refusal(
                Localized(
                    vi: "chỉ báo cáo 6 tháng hoặc năm mới được gửi duyệt",
                    en: "only half-year and year reports are submitted"),
                Localized(vi: "Dùng --period 2026-H1, 2026-H2 hoặc 2026.", en: "Use --period 2026-H1, 2026-H2 or 2026.")
            )
        }
        if let current = try approval(unit: unit, period: period), current.status == "approved" {
            throw Self.refusal(
                Localized(vi: "báo cáo này đã được phê duyệt", en: "this report is already approved"),
                Localized(
                    vi:
                        "Sửa số liệu vẫn được ghi nhận và hiển thị cho người phê duyệt; cấp trên có thể trả lại để gửi lại.",
                    en:
                        "Edits are still kept and shown to the approver; the level above can return it to be sent again."
                ))
        }
        try write(
            unit: unit, period: period,
            [
                "status": "submitted", "submitted_at": .string(Instant.format(now())), "submitted_by": .string(person),
                "figures": try snapshot(unit: unit, period: period),
            ])
    }

    /// The level above approves a unit's submitted report, as its figures stand now.
    public func approve(unit: String, period: ReportPeriod, by person: String) throws {
        try decide(unit: unit, period: period, by: person, status: "approved", reason: nil)
    }

    /// The level above returns a submitted (or approved) report, saying why.
    public func sendBack(unit: String, period: ReportPeriod, by person: String, reason: String) throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Self.refusal(
                Localized(vi: "cần ghi lý do trả lại", en: "a return needs its reason"),
                Localized(vi: "Thêm --reason \"…\".", en: "Add --reason \"…\"."))
        }
        try decide(unit: unit, period: period, by: person, status: "returned", reason: reason)
    }

    func decide(unit: String, period: ReportPeriod, by person: String, status: String, reason: String?) throws {
        guard unit != replica.unit else {
            throw Self.refusal(
                Localized(
                    vi: "một đơn vị không tự phê duyệt báo cáo của mình", en: "a unit does not decide on its own report"
                ),
                Localized(vi: "Cấp trên phê duyệt báo cáo này.", en: "The level above decides on this report."))
        }
        guard let current = try approval(unit: unit, period: period),
            current.status == "submitted" || (status == "returned" && current.status == "approved")
        else {
            throw Self.refusal(
                Localized(vi: "báo cáo chưa được gửi duyệt", en: "the report has not been submitted"),
                Localized(
                    vi: "Đơn vị gửi báo cáo bằng `tre-node report submit` (hoặc `tre-hub report submit`).",
                    en: "The unit submits it with `tre-node report submit` (or `tre-hub report submit`)."))
        }
        var fields: [String: FieldValue] = [
            "status": .string(status), "decided_at": .string(Instant.format(now())), "decided_by": .string(person),
        ]
        // Approving keeps the figures as they stand in the approver's own field; returning
        // withdraws an approval, so the next submission is compared with what it submits.
        fields["approved_figures"] = status == "approved" ? try snapshot(unit: unit, period: period) : .null
        fields["reason"] = reason.map { .string($0) } ?? .null
        try write(unit: unit, period: period, fields)
    }

    func write(unit: String, period: ReportPeriod, _ fields: [String: FieldValue]) throws {
        let id = Self.approvalID(unit: unit, period: period)
        try replica.transaction { editor in
            let existing = try editor.record(Self.approvals, id: id).flatMap { $0.isDeleted ? nil : $0 }
            var set = fields
            if existing == nil {
                set["unit"] = .string(unit)
                set["period"] = .string(period.description)
                set = set.filter { $0.value != .null }
            }
            let current = existing.map { DomainRecord(collection: Self.approvals, id: id, state: $0).values }
            let checked = try validator.checkLocalWrite(
                collection: Self.approvals, existing: current, set: set, today: today)
            try editor.put(Self.approvals, id: id, unit: existing == nil ? unit : nil, set: checked)
        }
    }

    // MARK: Aggregates

    /// Recomputes this hub's aggregates for the standard periods of the last `years` years (and
    /// the one before the first, so every period has its previous) and writes what changed.
    @discardableResult
    public func refreshAggregates(years: Int? = nil) throws -> Int {
        let count = try years ?? replica.setting(Setting.years).flatMap(Int.init) ?? Self.defaultYears
        var periods = ReportPeriod.standard(years: max(1, min(count, 20)), endingWith: today)
        if let first = periods.first { periods.insert(first.previous, at: 0) }
        periods.append(ReportPeriod.year(periods[0].start.year - 1))
        let result = try FigureSource(replica: replica, tree: tree, bands: bands, ownUnit: replica.unit).figures(
            for: Array(Set(periods)))
        return try Aggregates.refresh(
            replica: replica, source: replica.unit, figures: result.computed, bands: bands, now: now())
    }
}

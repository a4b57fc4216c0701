import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncCore

extension TreHub {
    /// `report`: any unit's indicators for a period, and the approval of the units' reports.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Indicators and periodic reports of any unit in the hub's tree, and their approval.",
            subcommands: [
                ReportShow.self, ReportStatus.self, ReportSubmit.self, ReportApprove.self, ReportReturn.self,
                ReportAggregates.self, ReportSettings<HubDatabase>.self,
            ],
            defaultSubcommand: ReportShow.self)
    }
}

/// The unit a report command is about: one in the hub's tree.
struct ReportUnit: ParsableArguments {
    @Option(help: "The unit's code (default: the hub's own unit).")
    var unit: String?

    func code(_ hub: HubStore, _ reporting: Reporting, _ lang: Language) throws -> String {
        let own = hub.replica.unit
        let code = unit?.trimmingCharacters(in: .whitespaces) ?? own
        guard try hub.subtree(of: own).contains(code) || code == own else {
            throw CommandFailure(
                code: "unknown_unit",
                message: Localized(
                    vi: "đơn vị \(code) không thuộc địa bàn của hub này (\(own))",
                    en: "unit \(code) is not in this hub's tree (\(own))"
                ).text(lang),
                hint: Localized(
                    vi: "`tre-hub units list` liệt kê các đơn vị; nhập danh mục bằng `tre-hub units import`.",
                    en: "`tre-hub units list` shows the units; import them with `tre-hub units import`."
                ).text(lang))
        }
        return code
    }
}

/// Who decides (default: the login name).
struct DeciderName: ParsableArguments {
    @Option(help: "Who does this (default: the login name).")
    var by: String?

    var name: String {
        let given = by?.trimmingCharacters(in: .whitespaces).precomposedStringWithCanonicalMapping ?? ""
        return given.isEmpty ? ProcessInfo.processInfo.userName : given
    }
}

/// Runs a report command: domain refusals in the reader's language.
func reportWork(_ lang: Language, json: Bool, _ work: () throws -> Void) throws {
    try reporting(json: json) {
        do {
            try work()
        } catch let refusal as DomainRefusal {
            throw CommandFailure(code: refusal.code, message: refusal.message(lang), hint: refusal.hint(lang))
        }
    }
}

struct ReportShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "A unit's report: every indicator for a period beside the period before, by unit below.",
        discussion: """
            Examples:
              tre-hub report --db hub.sqlite --unit 176 --period 2026-H1
              tre-hub report --db hub.sqlite --period 2026 --format html --out bao-cao-2026.html
              tre-hub report --db hub.sqlite --period 2026-H1 --format csv --publish --out 2026-H1.csv
            """)

    @OptionGroup var location: HubDatabase
    @OptionGroup var target: ReportUnit
    @OptionGroup var options: ReportOptions

    func run() throws {
        try reportWork(options.lang, json: options.format == .json) {
            let hub = try location.openHub()
            let reporting = try hub.reporting(bands: try options.ageBands())
            let unit = try target.code(hub, reporting, options.lang)
            let period = try options.reportPeriod(reporting)
            let document = try reporting.document(
                unit: unit, period: period, threshold: try options.suppression(reporting))
            try options.emit(document)
        }
    }
}

/// Runs a decision on one unit's report for one period: the hub opened, the unit checked to be
/// in its tree, the period read, then `act`, then one line saying what was done.
func decideOnReport(
    _ location: HubDatabase, unit: String?, period: String, lang: Language, done: Localized,
    _ act: (Reporting, String, ReportPeriod) throws -> Void
) throws {
    try reportWork(lang, json: false) {
        let hub = try location.openHub(toWrite: "a decision on a report (`report submit|approve|return`)")
        let reporting = try hub.reporting()
        var target = ReportUnit()
        target.unit = unit
        let code = try target.code(hub, reporting, lang)
        var options = ReportOptions()
        options.period = period
        options.lang = lang
        let parsed = try options.reportPeriod(reporting)
        try act(reporting, code, parsed)
        print("\(done.text(lang)): \(code), \(parsed)")
    }
}

struct ReportSubmit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit the hub's own unit's report (or a unit's without a node) to the level above.")

    @OptionGroup var location: HubDatabase
    @OptionGroup var target: ReportUnit
    @OptionGroup var person: DeciderName
    @Option(help: "The period: 2026-H1, 2026-H2 or 2026.") var period: String
    @Option(help: "Language: vi or en.") var lang: Language = .vi

    func run() throws {
        try decideOnReport(
            location, unit: target.unit, period: period, lang: lang,
            done: Localized(vi: "đã gửi báo cáo", en: "submitted the report")
        ) { reporting, unit, period in
            try reporting.submit(unit: unit, period: period, by: person.name)
        }
    }
}

struct ReportApprove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve a unit's submitted report, as its figures stand now.")

    @OptionGroup var location: HubDatabase
    @Option(help: "The unit whose report it is.") var unit: String
    @OptionGroup var person: DeciderName
    @Option(help: "The period: 2026-H1, 2026-H2 or 2026.") var period: String
    @Option(help: "Language: vi or en.") var lang: Language = .vi

    func run() throws {
        try decideOnReport(
            location, unit: unit, period: period, lang: lang,
            done: Localized(vi: "đã phê duyệt báo cáo", en: "approved the report")
        ) { reporting, unit, period in
            try reporting.approve(unit: unit, period: period, by: person.name)
        }
    }
}

struct ReportReturn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "return", abstract: "Return a unit's report to be corrected and sent again, saying why.")

    @OptionGroup var location: HubDatabase
    @Option(help: "The unit whose report it is.") var unit: String
    @OptionGroup var person: DeciderName
    @Option(help: "The period: 2026-H1, 2026-H2 or 2026.") var period: String
    @Option(help: "Why it is returned (about the figures; no names).") var reason: String
    @Option(help: "Language: vi or en.") var lang: Language = .vi

    func run() throws {
        try decideOnReport(
            location, unit: unit, period: period, lang: lang,
            done: Localized(vi: "đã trả lại báo cáo", en: "returned the report")
        ) { reporting, unit, period in
            try reporting.sendBack(unit: unit, period: period, by: person.name, reason: reason)
        }
    }
}

struct ReportStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Where each unit's report for a period stands, and the figures changed since approval.")

    @OptionGroup var location: HubDatabase
    @Option(help: "The period: 2026-H1, 2026-H2 or 2026 (default: this half-year).") var period: String?
    @Option(help: "Language: vi or en.") var lang: Language = .vi
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try reportWork(lang, json: json) {
            let hub = try location.openHub()
            let reporting = try hub.reporting()
            var options = ReportOptions()
            options.period = period
            options.lang = lang
            let parsed = try options.reportPeriod(reporting)
            let tree = reporting.tree
            let units = tree.subtree(of: hub.replica.unit).sorted()
            let changes = try reporting.changedSinceApproval(units: units, period: parsed)
            var rows: [[String: String]] = []
            for unit in units {
                guard let approval = try reporting.approval(unit: unit, period: parsed) else {
                    if tree.children(of: hub.replica.unit).contains(unit) {
                        rows.append(["unit": unit, "name": tree.name(unit), "status": "not_submitted", "changed": "0"])
                    }
                    continue
                }
                let changed = changes[unit] ?? 0
                rows.append([
                    "unit": unit, "name": tree.name(unit), "status": approval.status, "changed": String(changed),
                    "by": approval.decidedBy ?? approval.submittedBy ?? "", "reason": approval.reason ?? "",
                ])
            }
            if json {
                struct Answer: Encodable {
                    let period: String
                    let units: [[String: String]]
                }
                printJSON(Answer(period: parsed.description, units: rows))
                return
            }
            print(Localized(vi: "Báo cáo \(parsed.label.vi)", en: "Reports for the \(parsed.label.en)").text(lang))
            for row in rows {
                let status =
                    Enumerations.approvalStatus.value(row["status"]!)?.label.text(lang)
                    ?? Localized(vi: "chưa gửi", en: "not submitted").text(lang)
                // Names and reasons come from data (another office's): nothing in them drives the
                // terminal.
                var line = "  \(terminalSafe(row["unit"]!))  \(terminalSafe(row["name"]!))  \(status)"
                if let by = row["by"], !by.isEmpty { line += " (\(terminalSafe(by)))" }
                if row["changed"] != "0" {
                    line += Localized(
                        vi: " — \(row["changed"]!) số liệu đã thay đổi sau khi duyệt",
                        en: " — \(row["changed"]!) figures changed since approval"
                    ).text(lang)
                }
                if let reason = row["reason"], !reason.isEmpty { line += ": \(terminalSafe(reason))" }
                print(line)
            }
        }
    }
}

struct ReportAggregates: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregates",
        abstract: "Compute this hub's indicator values now, as the aggregates its upstream policy sends up.")

    @OptionGroup var location: HubDatabase
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try reporting(json: json) {
            let hub = try location.openHub(toWrite: "`report aggregates`")
            let written = try hub.reporting().refreshAggregates()
            if json { printJSON(["written": written]) } else { print("\(written) aggregate values written") }
        }
    }
}

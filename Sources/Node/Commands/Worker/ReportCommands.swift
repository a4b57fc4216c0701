import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncCore

extension TreNode {
    /// `report`: the commune's indicators for a period, and its submission to the district.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The commune's indicators for a period (6-monthly, yearly), to print, sign and submit.",
            subcommands: [NodeReportShow.self, NodeReportSubmit.self, ReportSettings<NodeDirectory>.self],
            defaultSubcommand: NodeReportShow.self)
    }
}

extension NodeDirectory {
    /// The commune's reports: its own unit, by the name it was given.
    func openReporting(bands: AgeBands? = nil) throws -> Reporting {
        let replica = try open()
        let meta = try replica.meta()
        return try Reporting(
            replica: replica, tree: UnitTree(single: meta.unit, name: meta.name.isEmpty ? meta.unit : meta.name),
            bands: bands)
    }
}

struct NodeReportShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "The commune's report: every indicator for a period beside the period before.",
        discussion: """
            Examples:
              tre-node report --dir xa --period 2026-H1
              tre-node report --dir xa --period 2026 --format html --out bao-cao-2026.html
              tre-node report --dir xa --format csv --out 2026-H2.csv
            """)

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: ReportOptions

    func run() throws {
        try reporting(json: options.format == .json) {
            do {
                let reporting = try location.openReporting(bands: try options.ageBands())
                let period = try options.reportPeriod(reporting)
                try options.emit(
                    try reporting.document(
                        unit: reporting.replica.unit, period: period, threshold: try options.suppression(reporting)))
            } catch let refusal as DomainRefusal {
                throw CommandFailure(
                    code: refusal.code, message: refusal.message(options.lang), hint: refusal.hint(options.lang))
            }
        }
    }
}

struct NodeReportSubmit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit the commune's report for a period to the district (it travels with the next sync).")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var person: WorkerName
    @Option(help: "The period: 2026-H1, 2026-H2 or 2026.") var period: String

    func run() throws {
        try working(options) {
            let reporting = try location.openReporting()
            var report = ReportOptions()
            report.period = period
            report.lang = options.lang
            let parsed = try report.reportPeriod(reporting)
            let store = DomainStore(replica: reporting.replica)
            try reporting.submit(unit: reporting.replica.unit, period: parsed, by: try person.name(store))
            emit(
                options,
                text: say(
                    options, "đã gửi báo cáo \(parsed.label.vi); báo cáo đi cùng lần đồng bộ tới",
                    "submitted the report for the \(parsed.label.en); it travels with the next sync"),
                json: ["period": parsed.description, "status": "submitted"])
        }
    }
}

import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncCore

struct CaseShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "A case: where it stands, its deadlines, its history and what is filed under it."
    )

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The case's id.") var id: String

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let caseID = try parseID(id)
            let record = try existing("cases", caseID, store, options)
            let all = try store.filedUnderCase(caseID)
            let filed = ["case_events", "assessments", "plans", "referrals", "visits"].map { ($0, all[$0] ?? []) }
            if options.json {
                var object = Display.json(record)
                for (collection, records) in filed {
                    object[collection] = .array(records.map { .object(Display.json($0)) })
                }
                printJSON(object)
                return
            }
            print(
                CaseSheet(record: record, filed: Dictionary(uniqueKeysWithValues: filed), store: store).text(
                    options.lang))
        }
    }
}

struct CaseList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List this commune's open cases (--all: every case), next deadline first.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @Flag(help: "Closed cases too.") var all = false

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let summaries = try store.records("cases").filter(store.isOwn).map { CaseSummary($0, store: store) }
                .filter { all || $0.isOpen }
                .sorted { ($0.nextDue ?? .distantFuture, $0.record.id) < ($1.nextDue ?? .distantFuture, $1.record.id) }
            emit(
                options,
                text: summaries.isEmpty
                    ? say(options, "không có hồ sơ nào", "no cases")
                    : summaries.map { $0.line(options.lang) }.joined(separator: "\n"),
                json: summaries.map { Display.json($0.record) })
        }
    }
}

extension TreNode {
    struct Overdue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every deadline passed or due in the next 48 hours, most urgent first.")

        @OptionGroup var location: NodeDirectory
        @OptionGroup var options: WorkerOptions
        @Option(help: "Look this many hours ahead (default 48).") var hours = 48

        func run() throws {
            try working(options) {
                guard (0...24 * 60).contains(hours) else {
                    throw CommandFailure(
                        code: "bad_value", message: "--hours \(hours)",
                        hint: say(options, "Từ 0 đến 1440 giờ.", "From 0 to 1440 hours."))
                }
                let store = try location.openStore()
                let items = try store.overdue(horizon: TimeInterval(hours) * 3600)
                let now = store.now()
                if options.json {
                    printJSON(
                        items.map { item -> [String: String] in
                            [
                                "case": item.caseRecord.id.description, "child": item.child?.id.description ?? "",
                                "kind": item.deadline.kind.rawValue, "due": Instant.format(item.deadline.due),
                                "overdue": item.deadline.due < now ? "true" : "false",
                            ]
                        })
                    return
                }
                if items.isEmpty {
                    print(
                        say(
                            options, "Không có hạn nào đã qua hoặc đến hạn trong \(hours) giờ tới.",
                            "Nothing passed or due in the next \(hours) hours."))
                    return
                }
                for item in items {
                    let hours = Int((abs(item.deadline.due.timeIntervalSince(now)) / 3600).rounded(.down))
                    let span =
                        hours >= 48
                        ? say(options, "\(hours / 24) ngày", "\(hours / 24) days")
                        : say(options, "\(hours) giờ", "\(hours) h")
                    let when =
                        item.deadline.due < now
                        ? say(options, "QUÁ HẠN \(span)", "OVERDUE by \(span)")
                        : say(options, "còn \(span)", "\(span) left")
                    print(
                        "\(Instant.display(item.deadline.due))  \(when)  \(item.deadline.kind.label(rules: store.rules).text(options.lang))  "
                            + "\(item.child?.string("full_name") ?? "?")  " + say(options, "hồ sơ", "case")
                            + " \(item.caseRecord.id)")
                }
            }
        }
    }
}

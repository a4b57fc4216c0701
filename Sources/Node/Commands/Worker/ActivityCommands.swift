import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncCore

extension TreNode {
    /// `activity`: communication sessions, trainings and child forums, with who took part.
    struct Activity: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record communication sessions, trainings and child forums, and who took part.",
            subcommands: [ActivityAdd.self, ActivityList.self])
    }
}

struct ActivityAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Record an activity. Prints its id.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions

    @Option(help: "The day, dd/mm/yyyy (default: today).") var date: String?
    @Option(help: "communication, training, child_forum or other.") var kind: String
    @Option(help: "The topic.") var topic: String
    @Option(help: "Where (village).") var village: String?
    @Option(help: "Boys who took part.") var boys: Int?
    @Option(help: "Girls who took part.") var girls: Int?
    @Option(help: "Men who took part.") var men: Int?
    @Option(help: "Women who took part.") var women: Int?
    @Option(help: "Families with children reached.") var families: Int?
    @Option(help: "Notes.") var notes: String?

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            var fields: [String: FieldValue] = [
                "date": .string(date ?? store.today.description), "kind": .string(kind), "topic": .string(topic),
            ]
            if let village { fields["village"] = .string(village) }
            if let notes { fields["notes"] = .string(notes) }
            let counts: [(String, Int?)] = [
                ("children_male", boys), ("children_female", girls), ("adults_male", men), ("adults_female", women),
                ("families", families),
            ]
            for (name, value) in counts { if let value { fields[name] = .int(Int64(value)) } }
            if let day = (fields["date"]?.stringValue).flatMap({ LocalDate(iso: $0) ?? LocalDate(display: $0) }),
                day > store.today
            {
                throw CommandFailure(
                    code: "bad_value",
                    message: say(options, "ngày \(day.display) ở tương lai", "\(day.display) is in the future"),
                    hint: say(
                        options, "Ghi hoạt động sau khi đã tổ chức.", "Record an activity once it has taken place."))
            }
            let id = try store.create("activities", fields: fields)
            emit(options, text: id.description, json: ["id": id.description])
        }
    }
}

struct ActivityList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List activities, newest first, with totals of who took part.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @Option(help: "From this day, dd/mm/yyyy.") var from: String?
    @Option(help: "Up to this day, dd/mm/yyyy.") var to: String?

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            func day(_ text: String?, _ name: String) throws -> LocalDate? {
                guard let text else { return nil }
                guard let day = LocalDate(display: text) ?? LocalDate(iso: text) else {
                    throw CommandFailure(
                        code: "bad_value", message: "--\(name) \"\(text)\" is not a date",
                        hint: say(options, "Nhập dạng dd/mm/yyyy.", "Use dd/mm/yyyy."))
                }
                return day
            }
            let first = try day(from, "from")
            let last = try day(to, "to")
            let activities = try store.records("activities").filter(store.isOwn).filter { activity in
                guard let day = activity.string("date").flatMap({ LocalDate(iso: $0) }) else { return false }
                return (first.map { day >= $0 } ?? true) && (last.map { day <= $0 } ?? true)
            }.sorted { ($0.string("date") ?? "") > ($1.string("date") ?? "") }
            var totals = [Int64](repeating: 0, count: 4)
            var lines: [String] = []
            let names = ["children_male", "children_female", "adults_male", "adults_female"]
            for activity in activities {
                var counts: [Int64] = []
                for (index, name) in names.enumerated() {
                    let value: Int64 = if case .int(let n)? = activity.values[name] { n } else { 0 }
                    // Saturating: a count from a peer or a hand-written record is not bounded by
                    // the definition here, and an overflow would trap the command for good.
                    let (sum, overflow) = totals[index].addingReportingOverflow(value)
                    totals[index] = overflow ? (value < 0 ? .min : .max) : sum
                    counts.append(value)
                }
                let date = activity.string("date").flatMap { LocalDate(iso: $0)?.display } ?? ""
                let kind = Enumerations.activityKind.label(activity.string("kind") ?? "", options.lang)
                lines.append(
                    "\(activity.id)  \(date)  \(kind)  \(activity.string("topic") ?? "")  "
                        + say(options, "trẻ em", "children") + " \(counts[0])+\(counts[1])  "
                        + say(options, "người lớn", "adults") + " \(counts[2])+\(counts[3])")
            }
            lines.append(
                say(
                    options,
                    "Tổng: \(activities.count) hoạt động; trẻ em nam \(totals[0]), nữ \(totals[1]); người lớn nam \(totals[2]), nữ \(totals[3])",
                    "Total: \(activities.count) activities; boys \(totals[0]), girls \(totals[1]); men \(totals[2]), women \(totals[3])"
                ))
            emit(options, text: lines.joined(separator: "\n"), json: activities.map(Display.json))
        }
    }
}

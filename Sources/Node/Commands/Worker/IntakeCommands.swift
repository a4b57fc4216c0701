import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncCore

extension TreNode {
    /// `intake`: reports of abuse as they come in (Mẫu 01, Nghị định 56/2017).
    struct Intake: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a report of abuse or of a child at risk as it comes in (Mẫu 01).",
            subcommands: [IntakeAdd.self, IntakeShow.self, IntakeList.self])
    }
}

struct IntakeAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Record a report: when, from whom (only with their consent), about which child, what is suspected.",
        discussion: """
            The reporter's identity is kept only with their consent (--consent); without it the \
            report is anonymous and any reporter detail is refused. Prints the report's id; open \
            a case with `case open --intake ID`.
            """)

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var worker: WorkerName

    @Option(name: .customLong("at"), help: "When it was received, \"dd/mm/yyyy HH:mm\" (default: now).")
    var receivedAt: String = "now"

    @Option(
        help:
            "hotline_111 (or 111), police, school, health_station, village_collaborator, family, child, community, other."
    )
    var source: String

    @Option(
        help:
            "Suspected abuse, comma-separated: violence, sexual_abuse, exploitation, trafficking, abandonment, neglect, other."
    )
    var abuse: String

    @Option(help: "Where it happened: family, school, community, online, other.")
    var setting: String?

    @Option(help: "The child's id, when the child is registered.")
    var child: String?

    @Option(name: .customLong("child-name"), help: "The child's name, when not registered.")
    var childName: String?

    @Option(name: .customLong("child-sex"), help: "The child's sex: M, F or U (not known).")
    var childSex: String?

    @Option(name: .customLong("child-age"), help: "The child's age in years.")
    var childAge: String?

    @Option(name: .customLong("child-address"), help: "Where the child lives.")
    var childAddress: String?

    @Flag(help: "The reporter consents to their identity being kept.")
    var consent = false

    @Option(name: .customLong("reporter-name")) var reporterName: String?
    @Option(name: .customLong("reporter-phone")) var reporterPhone: String?
    @Option(name: .customLong("reporter-relationship")) var reporterRelationship: String?

    @Option(help: "What was reported.")
    var description: String?

    @Option(name: .customLong("alleged-abuser"), help: "Who is suspected, as reported.")
    var allegedAbuser: String?

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            guard let at = Input.moment(receivedAt, now: store.now()) else {
                throw CommandFailure(
                    code: "bad_value",
                    message: say(
                        options, "\"\(receivedAt)\" không phải ngày giờ", "\"\(receivedAt)\" is not a date and time"),
                    hint: say(
                        options, "Nhập dạng dd/mm/yyyy HH:mm, ví dụ 02/12/2026 09:30.",
                        "Use dd/mm/yyyy HH:mm, e.g. 02/12/2026 09:30."))
            }
            if at > store.now().addingTimeInterval(300) {
                throw CommandFailure(
                    code: "bad_value",
                    message: say(options, "thời điểm tiếp nhận ở tương lai", "the time received is in the future"),
                    hint: say(
                        options, "Kiểm tra ngày giờ đã nhập và đồng hồ của máy.",
                        "Check the time given and this computer's clock."))
            }
            var fields: [String: FieldValue] = [
                "received_at": .string(Instant.format(at)), "received_by": .string(try worker.name(store)),
                "source": .string(source), "abuse_types": .string(abuse), "reporter_consent": .bool(consent),
            ]
            let optional: [(String, String?)] = [
                ("setting", setting), ("child_name", childName), ("child_sex", childSex), ("child_age", childAge),
                ("child_address", childAddress), ("reporter_name", reporterName), ("reporter_phone", reporterPhone),
                ("reporter_relationship", reporterRelationship), ("description", description),
                ("alleged_abuser", allegedAbuser),
            ]
            for (name, value) in optional { if let value { fields[name] = .string(value) } }
            if let child {
                let id = try parseID(child)
                _ = try existing("children", id, store, options)
                fields["child_id"] = .string(id.description)
            }
            let id = try store.create("intakes", fields: fields)
            emit(options, text: id.description, json: ["id": id.description])
        }
    }
}

struct IntakeShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a report.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The report's id.") var id: String

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let id = try parseID(id)
            guard let intake = try store.record("intakes", id: id) else {
                throw CommandFailure(
                    code: "not_found", message: say(options, "không có phiếu tiếp nhận \(id)", "no report \(id)"),
                    hint: say(options, "`intake list` liệt kê các phiếu.", "`intake list` lists the reports."))
            }
            emit(
                options, text: Display.table(Display.lines(intake, definition: store.definition, options.lang)),
                json: Display.json(intake))
        }
    }
}

struct IntakeList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the reports received, newest first.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let intakes = try store.records("intakes").filter(store.isOwn)
                .sorted { ($0.string("received_at") ?? "") > ($1.string("received_at") ?? "") }
            let lines = intakes.map { intake -> String in
                let at = intake.string("received_at").flatMap(Instant.parse).map(Instant.display) ?? ""
                let source = Enumerations.source.label(intake.string("source") ?? "", options.lang)
                let abuse =
                    intake.values["abuse_types"].map {
                        Display.value($0, as: .choices(Enumerations.abuseType), options.lang)
                    } ?? ""
                let opened =
                    intake.string("case_id") == nil
                    ? say(options, "chưa mở hồ sơ", "no case yet") : say(options, "đã mở hồ sơ", "case opened")
                return "\(intake.id)  \(at)  \(source)  \(abuse)  [\(opened)]"
            }
            emit(
                options,
                text: lines.isEmpty ? say(options, "chưa có phiếu nào", "no reports") : lines.joined(separator: "\n"),
                json: intakes.map(Display.json))
        }
    }
}

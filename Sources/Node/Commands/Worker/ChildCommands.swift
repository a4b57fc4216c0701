import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncCore

extension TreNode {
    /// `child`: the commune's register of children.
    struct Child: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register children, find them, see a child's profile (Sổ theo dõi trẻ em).",
            subcommands: [
                ChildAdd.self, ChildEdit.self, ChildShow.self, ChildFind.self, ChildList.self, ChildMove.self,
            ])
    }
}

/// The fields a worker gives for a child, as options; anything else with `--set field=value`.
struct ChildFields: ParsableArguments {
    @Option(name: .customLong("name"), help: "Full name, e.g. \"Đặng Văn Đức\".")
    var fullName: String?

    @Option(help: "Sex: M (nam) or F (nữ).")
    var sex: String?

    @Option(name: .customLong("born"), help: "Date of birth, dd/mm/yyyy.")
    var dateOfBirth: String?

    @Flag(help: "The date of birth is an estimate.")
    var estimated = false

    @Option(help: "Village (thôn, bản, tổ dân phố).")
    var village: String?

    @Option(help: "Address.")
    var address: String?

    @Option(help: "Household: the head of household's name.")
    var household: String?

    @Option(name: .customLong("national-id"), help: "Personal identity number (12 digits).")
    var nationalID: String?

    @Option(help: "Ethnicity code, e.g. kinh, tay, hmong.")
    var ethnicity: String?

    @Option(name: .customLong("school"), help: "Schooling: not_yet, preschool, primary, lower_secondary, …")
    var schoolStatus: String?

    @Option(
        parsing: .singleValue,
        help: "A caregiver, \"Name;relationship;phone\" (relationship: mother, father, grandparent, …). Repeatable.")
    var caregiver: [String] = []

    @Option(
        parsing: .singleValue,
        help: "A special-circumstance group of Điều 10 (a…o, đ), with since when: \"a:01/02/2024\". Repeatable.")
    var group: [String] = []

    @Option(name: .customLong("at-risk"), help: "At risk of special circumstances, with the reason.")
    var atRisk: String?

    @Option(help: "Disability: physical, hearing, visual, psychosocial, intellectual, multiple, other.")
    var disability: String?

    @Option(name: .customLong("birth-registered"), help: "Birth registered: yes or no.")
    var birthRegistered: String?

    @Option(name: .customLong("insurance"), help: "Has health insurance: yes or no.")
    var healthInsurance: String?

    @Option(help: "Notes.")
    var notes: String?

    @Option(parsing: .singleValue, help: "Any other field, name=value. Repeatable.")
    var set: [String] = []

    /// The fields these options set; groups are added to `existing` ones.
    func fields(existing: [String: FieldValue]? = nil) throws -> [String: FieldValue] {
        var fields: [String: FieldValue] = [:]
        let plain: [(String, String?)] = [
            ("full_name", fullName), ("sex", sex), ("date_of_birth", dateOfBirth), ("village", village),
            ("address", address), ("household", household), ("national_id", nationalID), ("ethnicity", ethnicity),
            ("school_status", schoolStatus), ("disability", disability), ("birth_registered", birthRegistered),
            ("health_insurance", healthInsurance), ("notes", notes),
        ]
        for (name, value) in plain { if let value { fields[name] = .string(value) } }
        if estimated { fields["birth_date_estimated"] = .bool(true) }
        if let atRisk {
            fields["at_risk"] = .bool(true)
            fields["at_risk_reason"] = .string(atRisk)
        }
        if !caregiver.isEmpty {
            fields["caregivers"] = .array(
                try caregiver.map { text in
                    let parts = text.split(separator: ";", omittingEmptySubsequences: false).map {
                        $0.trimmingCharacters(in: .whitespaces)
                    }
                    guard (2...3).contains(parts.count) else {
                        throw ValidationError(
                            "--caregiver takes \"Name;relationship;phone\", e.g. \"Lò Thị Mai;mother;0912345678\"")
                    }
                    var object: [String: FieldValue] = ["name": .string(parts[0]), "relationship": .string(parts[1])]
                    if parts.count == 3, !parts[2].isEmpty { object["phone"] = .string(parts[2]) }
                    return .object(object)
                })
        }
        if !group.isEmpty {
            var items: [FieldValue] = []
            if case .array(let current)? = existing?["circumstances"] { items = current }
            for text in group {
                // Split keeping empty parts: "" and ":" give an empty group, which the validator
                // refuses as missing, instead of no parts at all (a trap on `parts[0]`).
                let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                var object: [String: FieldValue] = ["group": .string(parts[0])]
                object["since"] = .string(parts.count == 2 ? parts[1] : "")
                items.append(.object(object))
            }
            fields["circumstances"] = .array(items)
        }
        for assignment in set {
            let parts = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("\"\(assignment)\" is not name=value")
            }
            fields[String(parts[0])] = FieldValue.parsingCommandLine(String(parts[1]))
        }
        return fields
    }
}

struct ChildAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Register a child of this commune. Prints the child's id.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @OptionGroup var fields: ChildFields

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            var values = try fields.fields()
            if values["lifecycle"] == nil { values["lifecycle"] = .string("active") }
            let id = try store.create("children", fields: values)
            emit(options, text: id.description, json: ["id": id.description])
        }
    }
}

struct ChildEdit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract:
            "Change a child's fields; --end-group closes a special circumstance, --lifecycle records why a child left the register."
    )

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The child's id.") var id: String
    @OptionGroup var fields: ChildFields

    @Option(
        name: .customLong("end-group"), parsing: .singleValue,
        help: "End a special-circumstance group on a date: \"a:30/06/2026\". Repeatable.")
    var endGroup: [String] = []

    @Option(help: "active, moved_away, turned_16 or deceased.")
    var lifecycle: String?

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let id = try parseID(id)
            let child = try existing("children", id, store, options)
            var values = try fields.fields(existing: child.values)
            if let lifecycle { values["lifecycle"] = .string(lifecycle) }
            if !endGroup.isEmpty {
                var items: [FieldValue] = []
                if case .array(let current)? = values["circumstances"] ?? child.values["circumstances"] {
                    items = current
                }
                for text in endGroup {
                    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw ValidationError("--end-group takes \"group:dd/mm/yyyy\"") }
                    let code = Enumerations.circumstanceGroup.code(forInput: parts[0]) ?? parts[0]
                    guard
                        let position = items.firstIndex(where: {
                            guard case .object(let object) = $0 else { return false }
                            return object["group"]?.stringValue == code && (object["until"] ?? .null) == .null
                        }), case .object(var object) = items[position]
                    else {
                        throw CommandFailure(
                            code: "not_found",
                            message: say(
                                options, "trẻ không có nhóm \(parts[0]) đang mở",
                                "the child has no open group \(parts[0])"),
                            hint: say(options, "`child show` liệt kê các nhóm.", "`child show` lists the groups."))
                    }
                    object["until"] = .string(parts[1])
                    items[position] = .object(object)
                }
                values["circumstances"] = .array(items)
            }
            if values.isEmpty { throw ValidationError("Give at least one field to change.") }
            let changed = try store.update("children", id: id, fields: values)
            emit(
                options, text: changed ? id.description : say(options, "không có gì thay đổi", "nothing changed"),
                json: ["id": id.description, "changed": changed ? "true" : "false"])
        }
    }
}

struct ChildMove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Move a child, with their open cases, to the commune they now live in (sent at the next sync).")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The child's id.") var id: String

    @Option(help: "The new commune's code.")
    var to: String

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let moved = try store.moveChild(try parseID(id), to: to)
            emit(
                options,
                text: say(
                    options, "đã chuyển \(moved) hồ sơ sang \(to); gửi đi ở lần đồng bộ tới",
                    "moved \(moved) records to \(to); they go at the next sync"),
                json: ["moved": moved])
        }
    }
}

struct ChildShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "A child's profile: details, special circumstances, caregivers and cases.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions
    @Argument(help: "The child's id.") var id: String

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let id = try parseID(id)
            let child = try existing("children", id, store, options)
            let cases = try store.cases(ofChild: id)
            if options.json {
                var object = Display.json(child)
                object["cases"] = .array(cases.map { .object(Display.json($0)) })
                printJSON(object)
                return
            }
            var text = Display.table(Display.lines(child, definition: store.definition, options.lang))
            if !store.isOwn(child) {
                text +=
                    "\n"
                    + say(
                        options, "(đã chuyển sang đơn vị \(child.unit ?? "?"); chỉ xem)",
                        "(moved to unit \(child.unit ?? "?"); read-only)")
            }
            for field in child.conflictedFields {
                text +=
                    "\n"
                    + say(
                        options, "CẦN XỬ LÝ: \(field) có hai giá trị khác nhau", "CONFLICT: \(field) holds two values")
            }
            text += "\n\n" + say(options, "Hồ sơ vụ việc", "Cases") + ":"
            if cases.isEmpty { text += " " + say(options, "không có", "none") }
            for record in cases {
                text += "\n  " + CaseSummary(record, store: store).line(options.lang)
            }
            print(text)
        }
    }
}

struct ChildFind: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Find children by name as you type it: no diacritics needed, any case, d for đ, start of each word.")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions

    @Argument(help: "The name or part of it, e.g. \"nguyen thi lan\" or \"dang v duc\".")
    var query: [String]

    @Option(help: "At most this many results.")
    var limit = 20

    @Flag(help: "Also children who moved to another commune (kept here read-only).")
    var includeMoved = false

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let found = try store.findChildren(
                query.joined(separator: " "), limit: max(1, min(limit, 500)), includeTraces: includeMoved)
            emit(options, text: childLines(found, store: store, options), json: found.map(Display.json))
        }
    }
}

struct ChildList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the commune's children, by village (or one village's).")

    @OptionGroup var location: NodeDirectory
    @OptionGroup var options: WorkerOptions

    @Option(help: "Only this village (typed as you like: \"thon 3\" finds \"Thôn 3\").")
    var village: String?

    @Flag(help: "Also children who moved to another commune (kept here read-only).")
    var includeMoved = false

    func run() throws {
        try working(options) {
            let store = try location.openStore()
            let children = try store.listChildren(village: village, includeTraces: includeMoved)
            emit(
                options, text: childLines(children, store: store, options, byVillage: village == nil),
                json: children.map(Display.json))
        }
    }
}

/// One line per child: id, name, sex, date of birth, village; grouped under village headings.
func childLines(_ children: [DomainRecord], store: DomainStore, _ options: WorkerOptions, byVillage: Bool = false)
    -> String
{
    if children.isEmpty { return say(options, "không có trẻ nào", "no children") }
    var lines: [String] = []
    var village: String?
    for child in children {
        let here = child.string("village") ?? ""
        if byVillage && here != village {
            lines.append("\(here):")
            village = here
        }
        let sex = child.string("sex").map { Enumerations.sex.label($0, options.lang) } ?? ""
        let born = child.string("date_of_birth").flatMap { LocalDate(iso: $0)?.display } ?? ""
        var line = "\(byVillage ? "  " : "")\(child.id)  \(child.string("full_name") ?? "")  \(sex)  \(born)"
        if !byVillage { line += "  \(here)" }
        if !store.isOwn(child) { line += "  " + say(options, "[đã chuyển đi]", "[moved away]") }
        if !child.conflictedFields.isEmpty { line += "  " + say(options, "[cần xử lý]", "[conflict]") }
        lines.append(line)
    }
    return lines.joined(separator: "\n")
}

func parseID(_ text: String) throws -> RecordID {
    guard let id = RecordID(string: text.trimmingCharacters(in: .whitespaces)) else {
        throw CommandFailure(
            code: "bad_id", message: "\"\(text)\" is not a record id",
            hint: "Ids look like 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b; `child find` and `child list` show them.")
    }
    return id
}

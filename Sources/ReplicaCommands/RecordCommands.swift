public import ArgumentParser
import Domain
import Foundation
import SyncCore

/// `record put|get|delete|restore|list`: generic record editing for scripts, tests and staff.
public struct RecordCommand<Location: ReplicaLocation>: ParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "record",
            abstract: "Read and write records of any collection.",
            subcommands: [
                RecordPut<Location>.self, RecordGet<Location>.self, RecordDelete<Location>.self,
                RecordRestore<Location>.self, RecordList<Location>.self,
            ])
    }

    public init() {}
}

func parseRecordID(_ text: String) throws -> RecordID {
    guard let id = RecordID(string: text) else {
        throw CommandFailure(
            code: "bad_id", message: "\"\(text)\" is not a record id",
            hint: "Ids look like 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b; `record list COLLECTION` shows them.")
    }
    return id
}

func validateCollection(_ name: String) throws {
    let allowed = name.utf8.allSatisfy { byte in
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "_")
    }
    guard allowed, !name.isEmpty, name.utf8.count <= 64 else {
        throw CommandFailure(
            code: "bad_collection", message: "\"\(name)\" is not a collection name",
            hint: "Collection names are 1 to 64 lowercase letters, digits or _ (children, cases).")
    }
}

struct RecordPut<Location: ReplicaLocation>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "put",
            abstract: "Create a record or change its fields.",
            discussion: """
                Values are read as JSON when they are JSON (7, true, null, [1,2], "text") and \
                kept as text otherwise, then checked against the domain definition as any form \
                checks them: an unknown collection or field, a value outside its type or \
                enumeration, a missing required field of a new record or a broken rule is \
                refused, naming the field, and nothing is stored. Text is stored in Unicode NFC, \
                codes as codes (M for nam), dates as YYYY-MM-DD. Prints the record's id.
                """)
    }

    @Option(help: "Language of refusals: vi (Vietnamese, the default) or en (English).")
    var lang = "vi"

    @OptionGroup var location: Location
    @OptionGroup var output: OutputOptions

    @Argument(help: "The collection, e.g. children or cases.")
    var collection: String

    @Option(help: "The record's id; a new one is made when absent.")
    var id: String?

    @Option(
        help: Location.worksInOwnUnit
            ? "The unit owning a new record (default: this node's commune); moves an existing one."
            : "The unit (commune code) owning the record: required for a new record; moves an existing one.")
    var unit: String?

    @Argument(help: "Fields to set, as name=value.")
    var fields: [String] = []

    func validate() throws {
        for field in fields where !field.contains("=") || field.hasPrefix("=") {
            throw ValidationError("\"\(field)\" is not name=value")
        }
        if id == nil && unit == nil && !Location.worksInOwnUnit {
            throw ValidationError("A new record needs --unit CODE (the commune that owns it).")
        }
        if fields.isEmpty && unit == nil {
            throw ValidationError("Give at least one name=value, or --unit to move the record.")
        }
        _ = try DefinitionCheck.language(lang)
    }

    func run() throws {
        try reporting(json: output.json) {
            try validateCollection(collection)
            var set: [String: FieldValue] = [:]
            for field in fields {
                let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                set[String(parts[0])] = FieldValue.parsingCommandLine(String(parts[1]))
            }
            let language = try DefinitionCheck.language(lang)
            if Location.worksInOwnUnit {
                try Self.refuseWorkflowFields(collection: collection, fields: set.keys, language: language)
                if set[ReservedField.deleted] != nil {
                    try refuseWorkflowRecordDeletion(collection: collection, language: language)
                }
            }
            let replica = try location.open()
            let id = try id.map(parseRecordID) ?? replica.newRecordID()
            // A node's new records belong to its own commune unless told otherwise.
            let owner = unit ?? (self.id == nil && Location.worksInOwnUnit ? replica.unit : nil)
            let change = try replica.transaction { editor in
                let checked = try DefinitionCheck.fields(
                    set, collection: collection, id: id, state: try editor.record(collection, id: id),
                    language: language)
                return try editor.put(collection, id: id, unit: owner, set: checked)
            }
            if output.json {
                printJSON(["id": id.description, "changed": change == nil ? "false" : "true"])
            } else {
                print(id)
            }
        }
    }
}

extension RecordPut {
    /// On a commune's node, the fields the case workflow keeps (a case's step, dates, deadlines
    /// and decisions, a plan's status and decision, every step in the history) are written by the
    /// workflow only: `record put cases --id ID status=closed` would close a case without the
    /// chairman. The hub keeps `record put` for the district's corrections; it has no workflow.
    static func refuseWorkflowFields(
        collection: String, fields: Dictionary<String, FieldValue>.Keys, language: Language
    ) throws {
        guard
            let field = fields.sorted().first(where: {
                ConflictChoice.isWorkflowField(collection: collection, field: $0)
            })
        else { return }
        throw CommandFailure(
            code: "workflow_field",
            message: Localized(
                vi: "\(collection).\(field) do quy trình xử lý vụ việc ghi, không ghi bằng `record put`",
                en: "\(collection).\(field) is written by the case workflow, not by `record put`"
            ).text(language),
            hint: Localized(
                vi:
                    "Mở, chuyển bước, lập kế hoạch và đóng vụ việc bằng lệnh `tre-node intake …` / `tre-node case …` hoặc trang của hồ sơ vụ việc. Không có gì được lưu.",
                en:
                    "Open, advance, plan and close a case with `tre-node intake …` / `tre-node case …` or the case's page. Nothing was stored."
            ).text(language))
    }
}

/// On a commune's node, a case, its plans and its history are neither deleted nor restored by
/// the generic commands (`record delete`, `record restore`, `record put … @deleted=…`): a case is
/// a legal record of a child at risk, which the workflow closes (the chairman approving) and
/// never deletes; one entered by mistake is the district's to remove, with `tre-hub record
/// delete` (the hub keeps `record put`/`delete`/`restore` for the district's corrections).
func refuseWorkflowRecordDeletion(collection: String, language: Language) throws {
    guard ConflictChoice.isWorkflowRecord(collection: collection) else { return }
    throw CommandFailure(
        code: "workflow_record",
        message: Localized(
            vi:
                "hồ sơ \(collection) là hồ sơ pháp lý về một trẻ có nguy cơ: máy của xã không xoá hay khôi phục nó",
            en:
                "a record of \(collection) is a legal record of a child at risk: a commune's node does not delete or restore it"
        ).text(language),
        hint: Localized(
            vi:
                "Vụ việc kết thúc khi Chủ tịch duyệt đóng hồ sơ (`tre-node case close …` rồi `tre-node case approve …`, hoặc trang của hồ sơ vụ việc). Vụ việc nhập nhầm do huyện xoá trên máy chủ (`tre-hub record delete cases ID`): báo cho huyện. Không có gì được lưu.",
            en:
                "A case ends when the chairman approves its closure (`tre-node case close …` then `tre-node case approve …`, or the case's page). A case entered by mistake is removed by the district at the hub (`tre-hub record delete cases ID`): tell the district. Nothing was stored."
        ).text(language))
}

/// Every value a command writes, checked against the domain definition as a form checks it
/// (`Validator.checkLocalWrite`, against the record as it is): the fields as the definition
/// stores them (text in NFC, codes for aliases, dates as YYYY-MM-DD), or a refusal in `language`
/// naming the field. `@unit` and `@deleted` are the engine's, passed on for it to judge; a move
/// alone writes no value and a deleted record is refused by the engine, so neither is checked.
enum DefinitionCheck {
    static func fields(
        _ set: [String: FieldValue], collection: String, id: RecordID, state: RecordState?, language: Language
    ) throws -> [String: FieldValue] {
        let fields = set.filter { !ReservedField.isReserved($0.key) }
        guard !fields.isEmpty, state?.isDeleted != true else { return set }
        let existing = state.map { DomainRecord(collection: collection, id: id, state: $0).values }
        do {
            var checked = try Validator().checkLocalWrite(
                collection: collection, existing: existing, set: fields, today: LocalDate.today(at: Date()))
            for (name, value) in set where ReservedField.isReserved(name) { checked[name] = value }
            return checked
        } catch {
            let label = error.label.text(language)
            throw CommandFailure(
                code: error.code,
                message: (label == error.field ? error.field : "\(error.field) (\(label))") + ": "
                    + error.problem.text(language),
                hint: error.hint(language)
                    + Localized(vi: " Không có gì được lưu.", en: " Nothing was stored.").text(language))
        }
    }

    static func language(_ code: String) throws -> Language {
        guard let language = Language(rawValue: code) else { throw ValidationError("--lang takes vi or en.") }
        return language
    }
}

struct RecordGet<Location: ReplicaLocation>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "get", abstract: "Show a record's fields and open conflicts.")
    }

    @OptionGroup var location: Location
    @OptionGroup var output: OutputOptions
    @Argument var collection: String
    @Argument var id: String

    func run() throws {
        try reporting(json: output.json) {
            let id = try parseRecordID(id)
            let replica = try location.open()
            guard let state = try replica.record(collection, id: id) else {
                throw EditError(
                    kind: .notFound, record: RecordKey(collection: collection, id: id), detail: "no such record")
            }
            let view = RecordView(key: RecordKey(collection: collection, id: id), state: state)
            if output.json { printJSON(view) } else { print(view.text) }
        }
    }
}

/// The record and options `delete` and `restore` share, and how they answer.
struct RecordTarget<Location: ReplicaLocation>: ParsableArguments {
    @OptionGroup var location: Location
    @OptionGroup var output: OutputOptions
    @Argument var collection: String
    @Argument var id: String

    @Option(help: "Language of refusals: vi (Vietnamese, the default) or en (English).")
    var lang = "vi"

    func validate() throws { _ = try DefinitionCheck.language(lang) }

    /// Runs `edit` on the record and prints its id (and whether anything changed). On a node, a
    /// record of the case workflow is refused before the replica is opened.
    func run(_ edit: (Replica, String, RecordID) throws -> Change?) throws {
        try reporting(json: output.json) {
            if Location.worksInOwnUnit {
                try refuseWorkflowRecordDeletion(collection: collection, language: DefinitionCheck.language(lang))
            }
            let id = try parseRecordID(id)
            let change = try edit(try location.open(), collection, id)
            if output.json {
                printJSON(["id": id.description, "changed": change == nil ? "false" : "true"])
            } else {
                print(id)
            }
        }
    }
}

struct RecordDelete<Location: ReplicaLocation>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "delete", abstract: "Delete a record (a tombstone: its values are kept and can be restored).")
    }

    @OptionGroup var target: RecordTarget<Location>

    func run() throws { try target.run { try $0.delete($1, id: $2) } }
}

struct RecordRestore<Location: ReplicaLocation>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "restore", abstract: "Restore a deleted record with every value it held.")
    }

    @OptionGroup var target: RecordTarget<Location>

    func run() throws { try target.run { try $0.restore($1, id: $2) } }
}

struct RecordList<Location: ReplicaLocation>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "list", abstract: "List a collection's records.")
    }

    @OptionGroup var location: Location
    @OptionGroup var output: OutputOptions
    @Argument var collection: String

    @Flag(help: "Include deleted records.")
    var deleted = false

    func run() throws {
        try reporting(json: output.json) {
            try validateCollection(collection)
            let records = try location.open().records(in: collection).filter { deleted || !$0.1.isDeleted }
            let views = records.map { RecordView(key: RecordKey(collection: collection, id: $0.0), state: $0.1) }
            if output.json {
                printJSON(views)
                return
            }
            for view in views {
                let fields = view.fields.keys.sorted().prefix(4).map { "\($0)=\(RecordView.show(view.fields[$0]!))" }
                let marks = (view.deleted ? " [deleted]" : "") + (view.conflicts.isEmpty ? "" : " [conflict]")
                print("\(view.id)  \(view.unit ?? "?")\(marks)  \(fields.joined(separator: "  "))")
            }
        }
    }
}

public import ArgumentParser
import Foundation
import SyncCore

/// `conflicts` lists open conflicts; `conflicts resolve` decides one.
public struct ConflictsCommand<Location: ReplicaLocation>: ParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "conflicts", abstract: "List or resolve open conflicts.",
            subcommands: [ConflictsList<Location>.self, ConflictsResolve<Location>.self],
            defaultSubcommand: ConflictsList<Location>.self)
    }

    public init() {}
}

struct ConflictRow: Encodable {
    let collection: String
    let id: String
    let unit: String?
    let conflict: RecordView.Conflict

    enum CodingKeys: String, CodingKey {
        case collection, id, unit, field, kind, shown, values
        case editedFields = "edited_fields"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(collection, forKey: .collection)
        try container.encode(id, forKey: .id)
        try container.encode(unit, forKey: .unit)
        try container.encode(conflict.field, forKey: .field)
        try container.encode(conflict.kind, forKey: .kind)
        try container.encode(conflict.shown, forKey: .shown)
        try container.encode(conflict.values, forKey: .values)
        try container.encode(conflict.editedFields, forKey: .editedFields)
    }
}

struct ConflictsList<Location: ReplicaLocation>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "list", abstract: "List every open conflict: record, field and its values.")
    }

    @OptionGroup var location: Location
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reporting(json: output.json) {
            let rows = try location.open().conflicts().flatMap { record in
                record.conflicts.map {
                    ConflictRow(
                        collection: record.key.collection, id: record.key.id.description, unit: record.unit,
                        conflict: RecordView.Conflict($0))
                }
            }
            if output.json {
                printJSON(rows)
            } else if rows.isEmpty {
                print("no open conflicts")
            } else {
                for row in rows { print("\(row.collection) \(row.id)  unit \(row.unit ?? "?")  \(row.conflict.text)") }
            }
        }
    }
}

struct ConflictsResolve<Location: ReplicaLocation>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "resolve",
            abstract: "Decide a conflict by writing the value to keep.",
            discussion:
                "For a deletion conflict, give field @deleted and --value true (delete) or false (keep the record).")
    }

    @OptionGroup var location: Location
    @OptionGroup var output: OutputOptions

    @Argument(help: "The record's id.")
    var record: String
    @Argument(help: "The field in conflict.")
    var field: String
    @Option(help: "The value to keep (JSON, or text).")
    var value: String

    func run() throws {
        try reporting(json: output.json) {
            let id = try parseRecordID(record)
            let replica = try location.open()
            guard let key = try replica.conflicts().first(where: { $0.key.id == id })?.key else {
                throw CommandFailure(
                    code: "edit_no_conflict", message: "record \(id) has no open conflict",
                    hint: "`conflicts` lists the open ones.")
            }
            let change = try replica.resolve(key.collection, id: id, field: field, value: .parsingCommandLine(value))
            if output.json {
                printJSON(["id": id.description, "field": field, "counter": String(change.dot.counter)])
            } else {
                print("resolved \(key.collection) \(id) \(field)")
            }
        }
    }
}

/// `state-hash`: the digest two replicas compare to know they hold the same state.
public struct StateHashCommand<Location: ReplicaLocation>: ParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "state-hash",
            abstract: Location.worksInOwnUnit
                ? "Print the digest of the records this replica's unit owns (--all: of everything it holds)."
                : "Print the digest of this replica's state.")
    }

    @OptionGroup var location: Location
    @OptionGroup var output: OutputOptions

    @Option(help: "Only the records owned by this unit.")
    var unit: String?

    @Flag(help: "Every record held, whoever owns it.")
    var all = false

    public init() {}

    public func run() throws {
        try reporting(json: output.json) {
            let replica = try location.open()
            let code = all ? nil : unit ?? (Location.worksInOwnUnit ? replica.unit : nil)
            let hash = try code.map { code in try replica.stateHash(unit: { $0 == code }) } ?? replica.stateHash()
            if output.json { printJSON(["state_hash": hash]) } else { print(hash) }
        }
    }
}

public import ArgumentParser
import Domain
import Foundation
import SyncClient
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
                "For a deletion conflict, give field @deleted and --value true (delete) or false (keep the record). "
                + "A conflict on a field the case workflow writes (a case's status, its deadlines, a plan's "
                + "decision) or on @unit takes one of its values only: take a step with `case`, move with `child move`."
        )
    }

    @OptionGroup var location: Location
    @OptionGroup var output: OutputOptions

    @Argument(help: "The record's id.")
    var record: String
    @Argument(help: "The field in conflict.")
    var field: String
    @Option(help: "The value to keep (JSON, or text), checked against the domain definition like any write.")
    var value: String

    @Option(help: "Language of refusals: vi (Vietnamese, the default) or en (English).")
    var lang = "vi"

    func validate() throws { _ = try DefinitionCheck.language(lang) }

    func run() throws {
        try reporting(json: output.json) {
            let id = try parseRecordID(record)
            let replica = try location.open()
            guard let key = try replica.conflicts().first(where: { $0.key.id == id })?.key else {
                throw CommandFailure(
                    code: "edit_no_conflict", message: "record \(id) has no open conflict",
                    hint: "`conflicts` lists the open ones.")
            }
            let given = FieldValue.parsingCommandLine(value)
            let state = try replica.record(key.collection, id: id)
            let language = try DefinitionCheck.language(lang)
            do {
                let values = state?.conflicts.first { $0.field == field }?.entries.map(\.value) ?? []
                try ConflictChoice.check(collection: key.collection, field: field, value: given, among: values)
            } catch let refusal as DomainRefusal {
                throw CommandFailure(
                    code: refusal.code, message: refusal.message(language), hint: refusal.hint(language))
            }
            let checked = try DefinitionCheck.fields(
                [field: given], collection: key.collection, id: id, state: state, language: language)
            let change = try replica.resolve(key.collection, id: id, field: field, value: checked[field] ?? given)
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

/// `backup`: a consistent copy of the replica, taken while it keeps working.
public struct BackupCommand<Location: ReplicaLocation>: ParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "backup",
            abstract: "Write a consistent copy of this replica to a file, even while it serves or syncs.",
            discussion:
                "The copy is marked as a backup: it becomes a live replica again only through `restore`, which "
                + "makes sure it never reuses a change id the lost replica had already issued. A protected "
                + "replica's backup is sealed like it: taking it needs no passphrase, restoring it needs the same "
                + "passphrase or key file.")
    }

    @OptionGroup var location: Location
    @OptionGroup var output: OutputOptions

    @Option(help: "The backup file to write (replaced if it exists).")
    var out: String

    public init() {}

    public func run() throws {
        try reporting(json: output.json) {
            try location.checkFileOperation("backup")
            guard FileManager.default.fileExists(atPath: location.databasePath) else {
                throw StoreError(
                    .notInitialized, path: location.databasePath, operation: "backup",
                    detail: "there is no replica here")
            }
            // No secret is needed: the copy is page for page the replica, as sealed as it is, so
            // a scheduled backup need not know the passphrase. It restores with the same one.
            let storage = try SQLiteStorage(path: location.databasePath, role: Location.role)
            let replica = try Replica(storage: storage, time: SystemTimeSource())
            try storage.backup(to: out, nowMillis: replica.time.nowMillis())
            let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            if output.json {
                printJSON([
                    "backup": out, "bytes": String(size), "origin": replica.origin.description,
                    "protection": storage.protection?.rawValue ?? "none",
                ])
            } else {
                print(
                    "backup of \(replica.unit) written to \(out) (\(size) bytes)"
                        + (storage.protection.map { "; sealed like the replica: restoring it needs \($0)" } ?? ""))
            }
        }
    }
}

/// `restore`: makes a backup (or any copy of a replica file) the live replica again.
public struct RestoreCommand<Location: ReplicaLocation>: ParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "restore",
            abstract: "Make a backup the live replica again, then sync to catch up with the hub.",
            discussion:
                "The restored replica's change counter jumps past anything the lost one could have issued, so no "
                + "new edit is mistaken for an old one; its next sync re-sends what the hub lacks and brings back "
                + "what it had sent after the backup. Until that sync, records can be added but those it held "
                + "cannot be edited.")
    }

    @OptionGroup var location: Location
    @OptionGroup var output: OutputOptions

    @Option(help: "The backup file (from `backup`).")
    var from: String

    @Flag(help: "Set aside an existing replica at the destination (renamed, never deleted) and restore over it.")
    var replace = false

    public init() {}

    public func run() throws {
        try reporting(json: output.json) {
            try location.checkFileOperation("restore")
            let target = location.databasePath
            let manager = FileManager.default
            guard manager.fileExists(atPath: from) else {
                throw CommandFailure(
                    code: "cannot_read", message: "there is no backup at \(from)", hint: "Check the path.")
            }
            // The backup's own secret, asked for before anything is copied.
            let secret = try location.secret(forReplicaAt: from)
            var setAside: String?
            if manager.fileExists(atPath: target) {
                guard replace else {
                    throw CommandFailure(
                        code: "replica_exists", message: "a replica exists already at \(target)",
                        hint: "Restore elsewhere, or add --replace to keep it aside (renamed) and restore over it.")
                }
                setAside = target + ".before-restore-\(SystemTimeSource().nowMillis())"
            }
            let directory = URL(fileURLWithPath: target).deletingLastPathComponent().path
            try manager.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // Work on a copy beside the destination: the backup stays as it was.
            let work = target + ".restoring"
            try? manager.removeItem(atPath: work)
            do {
                try manager.copyItem(atPath: from, toPath: work)
                try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: work)
                let storage = try location.openStorage(at: work, secret: secret)
                let replica = try Replica.finishRestore(storage: storage, time: SystemTimeSource())
                try Upstream.prepareAfterRestore(replica)
                try Location.prepareAfterRestore(replica)
            } catch {
                try? manager.removeItem(atPath: work)
                throw error
            }
            if let setAside {
                try manager.moveItem(atPath: target, toPath: setAside)
                for suffix in ["-wal", "-shm"] where manager.fileExists(atPath: target + suffix) {
                    try manager.moveItem(atPath: target + suffix, toPath: setAside + suffix)
                }
            }
            for suffix in ["-wal", "-shm"] { try? manager.removeItem(atPath: work + suffix) }
            try manager.moveItem(atPath: work, toPath: target)
            let replica = try Replica(storage: try location.openStorage(secret: secret), time: SystemTimeSource())
            if output.json {
                printJSON([
                    "restored": target, "origin": replica.origin.description, "previous": setAside ?? "",
                ])
            } else {
                print("restored \(replica.unit) to \(target); sync now to catch up with the hub")
                if let setAside { print("the replica that was there is kept as \(setAside)") }
            }
        }
    }
}

import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncCore

/// The options every worker's command takes: the language it speaks and JSON for scripts.
struct WorkerOptions: ParsableArguments {
    @Option(help: "Language of the output: vi (Vietnamese, the default) or en (English).")
    var lang: Language = .vi

    @Flag(help: "Print JSON instead of text (for scripts; values in their stored form).")
    var json = false
}

/// Who takes a step: named on the command, or the worker configured on this node
/// (`tre-node config set worker NAME`), or the computer's login.
struct WorkerName: ParsableArguments {
    @Option(help: "Who does this (default: the node's configured worker, else the login name).")
    var by: String?

    func name(_ store: DomainStore) throws -> String {
        if let by, !by.trimmingCharacters(in: .whitespaces).isEmpty {
            return by.trimmingCharacters(in: .whitespaces).precomposedStringWithCanonicalMapping
        }
        if let configured = try store.replica.setting(NodeConfig.worker.setting), !configured.isEmpty {
            return configured
        }
        return ProcessInfo.processInfo.userName
    }
}

/// Runs a worker's command: a domain refusal is told in the worker's language (field, what is
/// wrong, what is accepted), with exit code 1 and nothing stored.
func working<T>(_ options: WorkerOptions, _ work: () throws -> T) throws -> T {
    try reporting(json: options.json) {
        do {
            return try work()
        } catch let refusal as DomainRefusal {
            throw CommandFailure(
                code: refusal.code, message: refusal.message(options.lang), hint: refusal.hint(options.lang))
        }
    }
}

extension NodeDirectory {
    /// The node's domain: its replica, the calendar (the standard one, with any `calendar/YYYY.txt`
    /// of the node's folder over it) and the deadline rules configured here.
    func openStore() throws -> DomainStore {
        try domainStore(try open())
    }

    /// The domain over an opened replica, with the node's calendar and deadline rules.
    func domainStore(_ replica: Replica) throws -> DomainStore {
        let folder = URL(fileURLWithPath: dir).appendingPathComponent("calendar").path
        var calendar = WorkingCalendar.standard
        if FileManager.default.fileExists(atPath: folder) {
            calendar = try WorkingCalendar.loading(folder: folder)
        }
        var rules = DeadlineRules.standard
        if let hours = try replica.setting(NodeConfig.emergencyHours.setting), let value = Int(hours) {
            rules.emergencyHours = value
        }
        return DomainStore(replica: replica, calendar: calendar, rules: rules)
    }
}

/// Prints `text`, or `json` when asked.
func emit(_ options: WorkerOptions, text: @autoclosure () -> String, json: @autoclosure () -> some Encodable) {
    if options.json { printJSON(json()) } else { print(text()) }
}

/// A worker's localised word.
func say(_ options: WorkerOptions, _ vi: String, _ en: String) -> String {
    Localized(vi: vi, en: en).text(options.lang)
}

/// A child or case the command names, or a refusal saying how to find its id. (Deleted records
/// are not found.)
func existing(_ collection: String, _ id: RecordID, _ store: DomainStore, _ options: WorkerOptions) throws
    -> DomainRecord
{
    if let record = try store.record(collection, id: id), !record.deleted { return record }
    if collection == "children" {
        throw CommandFailure(
            code: "not_found", message: say(options, "không có trẻ \(id)", "no child \(id)"),
            hint: say(options, "Tìm trẻ bằng `child find TÊN`.", "Find the child with `child find NAME`."))
    }
    throw CommandFailure(
        code: "not_found", message: say(options, "không có hồ sơ \(id)", "no case \(id)"),
        hint: say(options, "`case list` liệt kê các hồ sơ.", "`case list` lists the cases."))
}

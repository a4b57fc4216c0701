import ArgumentParser
import Foundation
import ReplicaCommands
import SyncCore

extension TreHub {
    /// `set-aside`: the changes this hub refused, kept with their reasons until an operator
    /// decides. Nothing here shows a record's values.
    struct SetAside: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-aside",
            abstract: "List, retry, accept or discard the changes this hub refused from its peers.",
            subcommands: [SetAsideList.self, SetAsideRetry.self, SetAsideAccept.self, SetAsideDiscard.self],
            defaultSubcommand: SetAsideList.self)
    }

    struct SetAsideRow: Encodable {
        let change: String
        let collection: String
        let record: String
        let unit: String
        let fields: [String]
        let peer: String
        let code: String
        let reason: String
        let at: String
    }

    struct SetAsideList: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List them (the default).")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub()
                let rows = try hub.replica.setAsideEntries().map { entry in
                    SetAsideRow(
                        change: entry.change.dot.description, collection: entry.change.collection,
                        record: entry.change.record.description, unit: entry.change.unit,
                        fields: entry.change.set.keys, peer: entry.via?.description ?? "", code: entry.code,
                        reason: entry.detail, at: formatTime(entry.atMillis))
                }
                if output.json {
                    printJSON(rows)
                } else if rows.isEmpty {
                    print("no changes set aside")
                } else {
                    for row in rows {
                        print(
                            "\(row.change)  \(terminalSafe(row.collection)) \(row.record)  unit \(terminalSafe(row.unit))  from \(row.peer)  \(displayTime(row.at))\n"
                                + "  \(row.code): \(terminalSafe(row.reason))\n  fields: \(terminalSafe(row.fields.joined(separator: ", ")))"
                        )
                    }
                }
            }
        }
    }

    /// The changes named on the command line (or all of them), checked against the list.
    struct SetAsideSelection: ParsableArguments {
        @Argument(help: "Changes as listed (ORIGIN@COUNTER).")
        var changes: [String] = []

        @Flag(help: "Every change set aside.")
        var all = false

        func validate() throws {
            if changes.isEmpty != all { throw ValidationError("Give the changes, or --all.") }
        }

        func dots(in hub: HubStore) throws -> Set<Dot>? {
            if all { return nil }
            let listed = Set(try hub.replica.setAsideEntries(limit: .max).map(\.change.dot))
            return Set(
                try changes.map { text in
                    guard let dot = Dot(text), listed.contains(dot) else {
                        throw CommandFailure(
                            code: "not_set_aside", message: "\(text) is not a set-aside change",
                            hint: "`tre-hub set-aside list` shows them; copy the change's id as shown.")
                    }
                    return dot
                })
        }
    }

    /// Applies the selected set-aside changes again: judged by the write rule and the
    /// definition (`retry`: a value the definition refuses is refused again — `discard` drops
    /// it), or taken as the operator's decision (`accept`: still only from enrolled senders, in
    /// time; neither scope nor values are judged, so an invalid value is stored as sent).
    static func applySetAside(
        _ location: HubDatabase, _ selection: SetAsideSelection, json: Bool, operatorAccepts: Bool
    ) throws {
        try reporting(json: json) {
            let hub = try location.openHub(toWrite: "`set-aside retry|accept`")
            let gate = try hub.gate(
                for: nil, now: hub.replica.time.nowMillis(),
                maximumFutureMillis: Authorization.defaultMaximumFutureMillis)
            let dots = try selection.dots(in: hub)
            let report =
                operatorAccepts
                ? try hub.replica.retrySetAside(dots, gate: OperatorGate(gate))
                : try hub.replica.retrySetAside(dots, gate: gate)
            printReport(report, json: json, verb: operatorAccepts ? "accepted" : "retried")
        }
    }

    static func printReport(_ report: Replica.ApplyReport, json: Bool, verb: String) {
        if json {
            printJSON([
                "applied": report.applied, "parked": report.parked, "still_set_aside": report.refused.count,
                "already_applied": report.duplicates,
            ])
        } else {
            print(
                "\(verb): applied \(report.applied), parked \(report.parked), still set aside \(report.refused.count), "
                    + "already applied here (taken off the list) \(report.duplicates)")
            for refusal in report.refused { print("  \(refusal.dot): \(refusal.kind.rawValue): \(refusal.detail)") }
        }
    }

    struct SetAsideRetry: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
            abstract: "Judge them again by the write rule and the definition, as if their senders had just sent them.",
            discussion:
                "A change refused for its values (invalid_value) is refused again unless this hub's definition now "
                + "allows them: `discard` drops it.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions
        @OptionGroup var selection: SetAsideSelection

        func run() throws {
            try TreHub.applySetAside(location, selection, json: output.json, operatorAccepts: false)
        }
    }

    struct SetAsideAccept: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accept",
            abstract: "Apply them although the hub refused them: the operator's decision.",
            discussion:
                "The senders must still be enrolled and the changes' times not ahead of this hub's clock; "
                + "they merge like any change (concurrent values are kept as conflicts). Neither the write rule "
                + "nor the definition is applied: values the definition refuses (invalid_value) are stored as sent "
                + "and relayed.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions
        @OptionGroup var selection: SetAsideSelection

        func run() throws {
            try TreHub.applySetAside(location, selection, json: output.json, operatorAccepts: true)
        }
    }

    struct SetAsideDiscard: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "discard", abstract: "Forget them for good.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions
        @OptionGroup var selection: SetAsideSelection

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub(toWrite: "`set-aside discard`")
                let dots =
                    try selection.dots(in: hub) ?? Set(try hub.replica.setAsideEntries(limit: .max).map(\.change.dot))
                let removed = try hub.replica.discardSetAside(dots)
                if output.json { printJSON(["discarded": removed]) } else { print("discarded \(removed)") }
            }
        }
    }
}

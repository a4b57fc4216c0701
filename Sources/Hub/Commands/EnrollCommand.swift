import ArgumentParser
import Foundation
import ReplicaCommands
import SyncCore

extension HubStore.Kind: ExpressibleByArgument {}

extension TreHub {
    /// `enroll --unit CODE [--kind node|hub]` prints a one-time code; `enroll list` shows the
    /// pending ones (never the codes), `enroll revoke ID` withdraws one.
    struct Enroll: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make, list or revoke one-time enrolment codes for nodes and lower hubs.",
            subcommands: [Create.self, List.self, Revoke.self], defaultSubcommand: Create.self)
    }
}

extension TreHub.Enroll {
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Print a one-time enrolment code for a commune's node, or (--kind hub) for a lower hub.",
            discussion: """
                The code fixes the unit and the kind: a node's code cannot enrol a hub, nor the \
                other way round. The hub assigns the enrolled replica its origin and key. The \
                code works once, within --hours; only its hash is stored (`enroll list` shows \
                an id for it, `enroll revoke ID` withdraws it).
                """)

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Option(help: "The unit (commune, or district for a lower hub) under this hub.")
        var unit: String

        @Option(help: "What the code enrols: node (a commune's node) or hub (a lower hub).")
        var kind: HubStore.Kind = .node

        @Option(help: "Hours the code stays valid (1 to 336).")
        var hours = 24

        func validate() throws {
            guard (1...336).contains(hours) else { throw ValidationError("--hours must be 1 to 336 (two weeks).") }
        }

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub(toWrite: "`enroll create`")
                guard try hub.subtree(of: hub.replica.unit).contains(unit), unit != hub.replica.unit else {
                    throw CommandFailure(
                        code: "unit_not_below", message: "unit \(unit) is not under this hub (\(hub.replica.unit))",
                        hint:
                            "Import the units first (`tre-hub units import FILE.csv`), then enrol a unit below this hub."
                    )
                }
                let now = hub.replica.time.nowMillis()
                let (code, id) = try hub.createEnrolment(unit: unit, kind: kind, hours: hours, now: now)
                if output.json {
                    printJSON([
                        "code": code, "id": id, "unit": unit, "kind": kind.rawValue, "valid_hours": String(hours),
                        "expires": formatTime(now + UInt64(hours) * 3_600_000),
                    ])
                } else {
                    print(code)
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List the codes not yet used, revoked or expired: id, unit, kind, created, expires (never the code).")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        struct Row: Encodable {
            let id: String
            let unit: String
            let unitName: String
            let kind: String
            let created: String
            let expires: String

            enum CodingKeys: String, CodingKey {
                case id, unit, kind, created, expires
                case unitName = "unit_name"
            }
        }

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub()
                let rows = try hub.pendingEnrolments(now: hub.replica.time.nowMillis()).map {
                    Row(
                        id: $0.id, unit: $0.unit, unitName: try hub.unit($0.unit)?.name ?? "", kind: $0.kind,
                        created: formatTime($0.createdAt), expires: formatTime($0.expiresAt))
                }
                if output.json {
                    printJSON(rows)
                } else if rows.isEmpty {
                    print("no pending enrolment codes")
                } else {
                    for row in rows {
                        let unit = terminalSafe(row.unitName.isEmpty ? row.unit : "\(row.unit) \(row.unitName)")
                        print(
                            "\(row.id)  \(row.kind)  \(unit)  created \(displayTime(row.created))  expires \(displayTime(row.expires))"
                        )
                    }
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a pending enrolment code by the id `enroll list` shows.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Argument(help: "The code's id (or its first 4 or more characters).")
        var id: String

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub(toWrite: "`enroll revoke`")
                let enrolment: HubStore.Enrolment
                let already: Bool
                switch try hub.revokeEnrolment(id: id, now: hub.replica.time.nowMillis()) {
                case .revoked(let revoked):
                    (enrolment, already) = (revoked, false)
                case .alreadyRevoked(let revoked):
                    (enrolment, already) = (revoked, true)
                case .used(let used, let origin):
                    throw CommandFailure(
                        code: "code_used",
                        message: "enrolment code \(used.id) was already used" + (origin.map { " by \($0)" } ?? ""),
                        hint: "Revoke the replica it enrolled instead: `tre-hub nodes revoke ORIGIN`.")
                case .notFound:
                    throw CommandFailure(
                        code: "unknown_id", message: "no enrolment code has the id \"\(id)\"",
                        hint: "`tre-hub enroll list` shows the pending codes' ids.")
                case .ambiguous(let count):
                    throw CommandFailure(
                        code: "ambiguous_id", message: "\(count) enrolment codes have ids starting with \"\(id)\"",
                        hint: "Give more of the id, as `tre-hub enroll list` shows it.")
                }
                if output.json {
                    printJSON([
                        "id": enrolment.id, "unit": enrolment.unit, "kind": enrolment.kind,
                        "state": already ? "already_revoked" : "revoked",
                    ])
                } else {
                    print(
                        "\(already ? "already revoked" : "revoked"): enrolment code \(enrolment.id) "
                            + "(\(enrolment.kind) of unit \(enrolment.unit))")
                }
            }
        }
    }
}

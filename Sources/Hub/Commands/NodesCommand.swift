import ArgumentParser
import Foundation
import ReplicaCommands
import SyncCore

extension TreHub {
    /// `nodes list` shows every enrolled peer (nodes and lower hubs); `nodes revoke ORIGIN`
    /// refuses a peer's key from then on.
    struct Nodes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the nodes and lower hubs enrolled here, or revoke one.",
            subcommands: [List.self, Revoke.self], defaultSubcommand: List.self)
    }
}

/// A peer as `nodes list` and `nodes revoke` print it.
struct PeerRow: Encodable {
    let origin: String
    let unit: String
    let unitName: String
    let kind: String
    let name: String
    let enrolled: String
    let lastSeen: String
    let state: String
    let revoked: String

    enum CodingKeys: String, CodingKey {
        case origin, unit, kind, name, enrolled, state, revoked
        case unitName = "unit_name"
        case lastSeen = "last_seen"
    }

    init(_ record: HubStore.PeerRecord, unitName: String) {
        origin = record.peer.origin.description
        unit = record.peer.unit
        self.unitName = unitName
        kind = record.peer.kind
        name = record.peer.name
        enrolled = formatTime(record.enrolledAt)
        lastSeen = record.lastSeen.map(formatTime) ?? ""
        state = record.peer.revokedAt == nil ? "active" : "revoked"
        revoked = record.peer.revokedAt.map(formatTime) ?? ""
    }

    var text: String {
        // Names came from a peer or a file: printed through terminalSafe, whatever is stored.
        let unitText = terminalSafe(unitName.isEmpty ? unit : "\(unit) \(unitName)")
        let seen = lastSeen.isEmpty ? "never synced" : "last seen \(displayTime(lastSeen))"
        let named = name.isEmpty ? "" : " \"\(terminalSafe(name))\""
        let stateText = state == "revoked" ? "REVOKED \(displayTime(revoked))" : "active"
        return "\(origin)  \(kind) of \(unitText)\(named)  enrolled \(displayTime(enrolled))  \(seen)  \(stateText)"
    }
}

extension TreHub.Nodes {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List every peer ever enrolled: origin, unit, kind, name, enrolled, last seen, active or revoked.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub()
                let rows = try hub.peers().map { PeerRow($0, unitName: try hub.unit($0.peer.unit)?.name ?? "") }
                if output.json {
                    printJSON(rows)
                } else if rows.isEmpty {
                    print("no node or hub is enrolled here")
                } else {
                    for row in rows { print(row.text) }
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a peer's enrolment: its key is refused at once on every request (kept, never deleted).",
            discussion: """
                A replaced or lost laptop: revoke its origin, then enrol the new one with a new \
                code (`tre-hub enroll --unit UNIT`); it receives its commune's records on its first sync.
                """)

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Argument(help: "The peer's origin, or its first 4 or more characters (as `nodes list` shows).")
        var origin: String

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub(toWrite: "`nodes revoke`")
                let record: HubStore.PeerRecord
                let already: Bool
                switch try hub.revokePeer(origin, now: hub.replica.time.nowMillis()) {
                case .revoked(let revoked):
                    (record, already) = (revoked, false)
                case .alreadyRevoked(let revoked):
                    (record, already) = (revoked, true)
                case .notFound:
                    throw CommandFailure(
                        code: "unknown_origin",
                        message: "no enrolled node or hub has an origin starting with \"\(origin)\"",
                        hint: "`tre-hub nodes list` shows the origins (give at least 4 characters).")
                case .ambiguous(let matches):
                    throw CommandFailure(
                        code: "ambiguous_origin",
                        message:
                            "\(matches.count) peers have origins starting with \"\(origin)\": "
                            + matches.map(\.peer.origin.description).joined(separator: ", "),
                        hint: "Give more of the origin.")
                }
                let row = PeerRow(record, unitName: try hub.unit(record.peer.unit)?.name ?? "")
                if output.json {
                    printJSON(row)
                } else {
                    print((already ? "already revoked: " : "revoked: ") + row.text)
                }
            }
        }
    }
}

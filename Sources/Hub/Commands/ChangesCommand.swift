import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncClient
import SyncCore

extension TreHub {
    /// `changes export|import`: a sync's push or pull in a sealed file (a USB stick) when no
    /// link comes up, authorised exactly as over HTTP.
    struct Changes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "changes",
            abstract:
                "Carry changes to and from enrolled peers (or the hub above) in sealed files when there is no link.",
            subcommands: [Export.self, Import.self])
    }
}

extension TreHub.Changes {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write what a unit's node would pull (--unit), or this hub's push for the hub above (--upstream).",
            discussion: """
                A hub writes a file for one recipient only, sealed with that recipient's key: with --unit, \
                the changes of that unit's scope that its enrolled node (or lower hub) would receive on a \
                pull; with --upstream, the changes a sync would push to the hub above, under this hub's \
                upstream policy (`tre-hub policy show`).
                """)

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Option(
            help: "The unit whose enrolled node (or lower hub) the file is for: its scope only, sealed with its key.")
        var unit: String?
        @Option(help: "With --unit, when several peers are enrolled for it: the origin of the one the file is for.")
        var peer: String?
        @Flag(help: "This hub's push for the hub above it, sealed with the key that hub gave.")
        var upstream = false
        @Option(
            help: """
                Only log positions after this one. With --unit: the recipient's pull cursor (default 0: \
                its whole scope); with --upstream: default, up to where the hub above acknowledged.
                """)
        var after: UInt64?
        @Option(help: "The file to write.")
        var out: String

        func validate() throws {
            if unit != nil && upstream { throw ValidationError("--unit and --upstream exclude each other.") }
            if peer != nil && unit == nil { throw ValidationError("--peer goes with --unit.") }
        }

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub()
                let export: ChangeFiles.Export
                let recipient: String
                if upstream {
                    guard let above = try Upstream.load(from: hub.replica) else {
                        throw CommandFailure(
                            code: "no_upstream", message: "this hub has no upstream to write a push for",
                            hint: "A hub gets one at init with --upstream URL --enrolment CODE.")
                    }
                    // What a sync would push: the upstream policy holds on a USB stick too.
                    let policy = try hub.upstreamPolicy()
                    try hub.prepareUpstream(policy)
                    export = try ChangeFiles.push(
                        from: hub.replica, upstream: above, filter: policy.filter(excludingVia: above.hubOrigin),
                        after: try after ?? Upstream.pushCursor(of: hub.replica),
                        dictionary: WireVocabulary.dictionary, transform: policy.transform())
                    recipient = "the hub above (\(above.hubUnit))"
                } else if let unit {
                    let peer = try recipientPeer(hub, unit: unit)
                    export = try pull(hub, for: peer, after: after ?? 0)
                    recipient = "\(peer.kind) \(peer.origin) of unit \(unit)"
                } else {
                    throw CommandFailure(
                        code: "no_recipient",
                        message: "a hub writes a change file for one recipient only, sealed with its key",
                        hint: "Give --unit CODE (what that unit's node would pull) or --upstream (this hub's push "
                            + "for the hub above).")
                }
                try ChangeFiles.write(export, to: out, recipient: recipient, json: output.json)
            }
        }

        /// The peer enrolled for `unit`, or the one `--peer` names.
        func recipientPeer(_ hub: HubStore, unit: String) throws -> HubStore.Peer {
            let peers = try hub.peers().map(\.peer).filter { $0.unit == unit && $0.revokedAt == nil }
            if let peer {
                guard let origin = OriginID(string: peer), let found = peers.first(where: { $0.origin == origin })
                else {
                    throw CommandFailure(
                        code: "unknown_peer", message: "no peer \(peer) is enrolled here for unit \(unit)",
                        hint: "Leave out --peer, or give the origin of a peer enrolled for \(unit).")
                }
                return found
            }
            guard let first = peers.first else {
                throw CommandFailure(
                    code: "no_peer", message: "nothing is enrolled here for unit \(unit)",
                    hint: "A file is sealed with its recipient's enrolment key: enrol the unit's node first "
                        + "(`tre-hub enroll --unit \(unit)`, then `tre-node init --hub URL --enrolment CODE`).")
            }
            guard peers.count == 1 else {
                throw CommandFailure(
                    code: "several_peers",
                    message: "\(peers.count) peers are enrolled for unit \(unit): "
                        + peers.map { "\($0.kind) \($0.origin)" }.joined(separator: ", "),
                    hint: "Choose the one the file is for with --peer ORIGIN.")
            }
            return first
        }

        /// The pages the hub would answer `peer`'s pulls from `after` on: the same code as a
        /// pull over HTTP, page after page until the hub has no more.
        func pull(_ hub: HubStore, for peer: HubStore.Peer, after: UInt64) throws -> ChangeFiles.Export {
            let service = HubService(store: hub, dictionary: WireVocabulary.dictionary) { _ in }
            var sets: [[UInt8]] = []
            var cursor = after
            var changes = 0
            while true {
                guard sets.count < ChangeFile.maximumSets else {
                    throw CommandFailure(
                        code: "too_many_changes", message: "more changes than one change file holds",
                        hint: "Export in parts with --after.")
                }
                let bytes = try service.pull(peer: peer, after: cursor, maxBytes: 1 << 20).bytes
                let page = try ChangeSet.decode(
                    bytes, expecting: .pull, from: hub.replica.origin, dictionaries: [WireVocabulary.dictionary],
                    key: { _ in peer.key })
                sets.append(bytes)
                changes += page.changes.count
                if !page.hasMore {
                    cursor = max(cursor, page.to)
                    break
                }
                // A page with more after it always ends past where it started.
                guard page.to > cursor else {
                    throw WireError.malformed(
                        FormatError(what: "pull page", offset: 0, reason: "no progress past \(cursor)"))
                }
                cursor = page.to
            }
            return ChangeFiles.Export(file: ChangeFile(sets: sets), changes: changes, from: after, through: cursor)
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a file from an enrolled peer as its push (or from the hub above as a pull).",
            discussion: """
                A push file's sender must be enrolled here; every set is checked with its key before \
                anything is stored, then each is applied exactly as a push over HTTP, with the same \
                authorisation. A file from the hub above is applied as pulled pages.
                """)

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Argument(help: "The change file.")
        var file: String

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub(toWrite: "`changes import`")
                let changeFile = try ChangeFiles.read(file)
                let header = try changeFile.header()
                switch ChangeSet.Kind(rawValue: header.kind) {
                case .push: try importPush(changeFile, sender: header.sender, into: hub)
                case .pull: try importPull(changeFile, into: hub)
                case nil: throw WireError.wrongKind(expected: .push, got: header.kind)
                }
            }
        }

        func importPush(_ changeFile: ChangeFile, sender: OriginID, into hub: HubStore) throws {
            guard let peer = try hub.peer(sender) else {
                throw CommandFailure(
                    code: "unknown_sender", message: "the file's sender \(sender) is not enrolled at this hub",
                    hint: "Only a node or hub enrolled here can send it changes, sealed with its enrolment key. "
                        + "Nothing was applied.")
            }
            guard peer.revokedAt == nil else {
                throw CommandFailure(
                    code: "revoked", message: "the file's sender \(sender) was revoked at this hub",
                    hint: "A revoked peer's changes are not taken, by link or by file; if they must be, its "
                        + "commune enrols again and re-enters them. Nothing was applied.", exitCode: 3)
            }
            let service = HubService(store: hub, dictionary: WireVocabulary.dictionary) { message in
                FileHandle.standardError.write(Data("tre-hub: \(message)\n".utf8))
            }
            // Every set proves to be the peer's before the first is applied.
            _ = try changeFile.open(
                expecting: .push, from: peer.origin, key: peer.key, limits: service.limits,
                dictionaries: [WireVocabulary.dictionary])
            var totals: [String: Int] = [:]
            for (index, set) in changeFile.sets.enumerated() {
                let answer: [UInt8]
                do {
                    // A file is cut from the same log as the peer's pushes: the epoch they use.
                    answer = try service.push(peer: peer, body: set, epoch: try service.pushEpoch(of: peer))
                } catch let refusal as HubRefusal {
                    let count = changeFile.sets.count
                    // Over HTTP the client resends from the expected position itself; a file's
                    // writer must export again.
                    let hint =
                        refusal.code == "gap"
                        ? "Export again at the sender from what this hub has (`changes export` without --after, or "
                            + "--after \(refusal.numbers["expected"] ?? 0)). Nothing of this set was applied."
                        : refusal.hint
                    throw CommandFailure(
                        code: refusal.code,
                        message: (count > 1 ? "change set \(index + 1) of \(count): " : "") + refusal.message,
                        hint: hint + (index > 0 ? " The \(index) set(s) before it were applied." : ""),
                        exitCode: 3)
                }
                let fields = (try? JSONSerialization.jsonObject(with: Data(answer))) as? [String: Any] ?? [:]
                for (name, value) in fields {
                    guard let number = (value as? Int) ?? (value as? [Any])?.count else { continue }
                    totals[name] =
                        name == "acknowledged" ? max(totals[name] ?? 0, number) : (totals[name] ?? 0) + number
                }
            }
            if output.json {
                printJSON(totals)
            } else {
                print(
                    "applied \(totals["applied"] ?? 0), skipped \(totals["duplicates"] ?? 0) already here, "
                        + "parked \(totals["parked"] ?? 0) waiting for earlier changes, "
                        + "set aside \(totals["set_aside"] ?? 0) (`tre-hub set-aside` lists them); "
                        + "\(peer.kind) \(peer.unit) acknowledged up to \(totals["acknowledged"] ?? 0)")
            }
        }

        func importPull(_ changeFile: ChangeFile, into hub: HubStore) throws {
            guard let above = try Upstream.load(from: hub.replica) else {
                throw CommandFailure(
                    code: "no_upstream",
                    message: "this file is a hub's answer for a replica below it, and this hub has none above it",
                    hint: "Import it at the node or hub it was written for. Nothing was applied.")
            }
            let sets = try ChangeFiles.openPull(changeFile, upstream: above, dictionary: WireVocabulary.dictionary)
            // Trusted as the hub above judged it; the parked changes of this hub's peers that it
            // makes ready are judged here, for those peers.
            let gate = try hub.gate(
                for: nil, now: hub.replica.time.nowMillis(),
                maximumFutureMillis: Authorization.defaultMaximumFutureMillis, trusting: above.hubOrigin)
            let result = try above.applyPulled(sets, to: hub.replica, gate: gate)
            ChangeFiles.report(result.applied, extra: ["pull_cursor": Int(result.cursor)], json: output.json)
        }
    }
}

import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncClient
import SyncCore

extension TreHub {
    /// `policy show` and `policy set full|redacted|aggregates`: what this hub sends to the hub
    /// above it.
    struct Policy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set what this hub sends to the hub above: full, redacted or aggregates.",
            discussion: """
                full: every record as it is (the default). redacted: every record, with the value of \
                each personal field (names, dates of birth, addresses, phones, reporters, narratives…) \
                and of each field this hub's definition does not know replaced by null. aggregates: \
                only the records of aggregates and report_approvals, redacted the same way; no child, \
                report or case goes up.
                """,
            subcommands: [Show.self, Choose.self], defaultSubcommand: Show.self)

        /// The policy `text` names, or a refusal saying what to type.
        static func parse(_ text: String) throws -> UpstreamPolicy {
            guard let policy = UpstreamPolicy(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased())
            else {
                throw CommandFailure(
                    code: "bad_policy",
                    message: "\"\(text.prefix(40))\" is not an upstream policy",
                    hint: "Type one of: full (every record as it is), redacted (personal fields removed), "
                        + "aggregates (only aggregates and report_approvals), e.g. `tre-hub policy set redacted`.")
            }
            return policy
        }

        /// The hub's upstream, or a refusal: a policy is about what goes to the hub above.
        static func upstream(of hub: HubStore) throws -> Upstream {
            guard let upstream = try Upstream.load(from: hub.replica) else {
                throw CommandFailure(
                    code: "no_upstream", message: "this hub has no upstream: it sends nothing upward",
                    hint: "A hub gets one at init with --upstream URL --enrolment CODE (and --policy).")
            }
            return upstream
        }
    }
}

extension TreHub.Policy {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what this hub sends to the hub above.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub()
                let upstream = try Upstream.load(from: hub.replica)
                let policy = try hub.upstreamPolicy()
                if output.json {
                    printJSON([
                        "policy": policy.rawValue, "means": policy.summary,
                        "upstream": upstream?.url.absoluteString ?? "",
                    ])
                } else if let upstream {
                    print("upstream policy: \(policy.rawValue) — \(policy.summary), to \(upstream.url)")
                } else {
                    print("upstream policy: \(policy.rawValue) (this hub has no upstream: it sends nothing upward)")
                }
            }
        }
    }

    /// `policy set`.
    struct Choose: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set what this hub sends to the hub above: full, redacted or aggregates.",
            discussion: """
                A new policy applies from the next upstream sync, which sends the whole log again under \
                it (the hub above skips what it holds): what aggregates left out goes up once the policy \
                lets it. Changes already relayed stay as they went: going from redacted to full does not \
                send the values removed before (the hub above holds those changes and skips them), and \
                a stricter policy does not remove what the hub above already holds.
                """)

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Argument(help: "full, redacted or aggregates.")
        var policy: String

        func run() throws {
            try reporting(json: output.json) {
                let chosen = try TreHub.Policy.parse(policy)
                let hub = try location.openHub(toWrite: "`policy set`")
                let upstream = try TreHub.Policy.upstream(of: hub)
                let previous = try hub.setUpstreamPolicy(chosen)
                let changed = previous != chosen.rawValue
                if output.json {
                    printJSON([
                        "policy": chosen.rawValue, "previous": previous, "changed": changed ? "true" : "false",
                        "means": chosen.summary,
                    ])
                } else if !changed {
                    print("upstream policy: \(chosen.rawValue) already — \(chosen.summary); nothing changed")
                } else {
                    print(
                        """
                        upstream policy: \(chosen.rawValue) (was \(previous)) — \(chosen.summary), to \(upstream.url)
                        The next sync-upstream sends the whole log again under it; the hub above skips what it holds. \
                        What was already relayed stays there as it went.
                        """)
                }
            }
        }
    }
}

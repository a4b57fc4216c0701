import ArgumentParser
import Domain
import ReplicaCommands
import SyncClient
import SyncCore

extension TreNode {
    /// `changes export|import`: what a sync would carry, in a file (a USB stick) when no link
    /// comes up. Both ends are sealed with the key the hub gave this node at enrolment.
    struct Changes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "changes",
            abstract: "Carry changes to and from the hub in a sealed file (a USB stick) when there is no link.",
            subcommands: [Export.self, Import.self])
    }
}

extension TreNode.Changes {
    /// The hub this node is enrolled at, whose key seals its files; a node made without a hub
    /// has none and cannot write or read them.
    static func enrolledUpstream(_ replica: Replica) throws -> Upstream {
        guard let upstream = try Upstream.load(from: replica) else {
            throw CommandFailure(
                code: "not_enrolled",
                message: "this node is not enrolled at a hub: change files are sealed with the key a hub gives "
                    + "at enrolment, so there is none to seal or check one with",
                hint: "Create the node enrolled (`tre-node init --dir DIR --hub URL --enrolment CODE`, once, at the "
                    + "district office if the commune has no link); change files work from then on.")
        }
        return upstream
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write this node's changes its hub has not acknowledged yet, sealed with its enrolment key.",
            discussion: """
                The file is the push a sync would send: the hub imports it with `tre-hub changes import`, \
                which checks it is this node's and applies it as a push. Exporting moves nothing: the \
                changes stay waiting until a sync is acknowledged, and importing them twice is harmless.
                """)

        @OptionGroup var location: NodeDirectory
        @OptionGroup var output: OutputOptions

        @Option(help: "Only changes after this log position (default: up to where the hub last acknowledged).")
        var after: UInt64?
        @Option(help: "The file to write.")
        var out: String

        func run() throws {
            try reporting(json: output.json) {
                let replica = try location.open()
                let upstream = try TreNode.Changes.enrolledUpstream(replica)
                let export = try ChangeFiles.push(
                    from: replica, upstream: upstream, filter: LogFilter(onlyOrigin: replica.origin),
                    after: try after ?? Upstream.pushCursor(of: replica), dictionary: WireVocabulary.dictionary)
                try ChangeFiles.write(
                    export, to: out, recipient: "the hub at \(upstream.url)", json: output.json)
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Apply a file the hub exported for this commune, once it proves to be the hub's, sealed for this node.",
            discussion: """
                Every set is checked before anything applies, and all apply in one transaction. The pull \
                cursor moves to the file's end when the file continues it; otherwise the next sync \
                fetches what lies between.
                """)

        @OptionGroup var location: NodeDirectory
        @OptionGroup var output: OutputOptions

        @Argument(help: "The change file.")
        var file: String

        func run() throws {
            try reporting(json: output.json) {
                let replica = try location.open()
                let upstream = try TreNode.Changes.enrolledUpstream(replica)
                let sets = try ChangeFiles.openPull(
                    try ChangeFiles.read(file), upstream: upstream, dictionary: WireVocabulary.dictionary)
                let result = try upstream.applyPulled(sets, to: replica)
                ChangeFiles.report(result.applied, extra: ["pull_cursor": Int(result.cursor)], json: output.json)
                if !output.json && result.cursor == result.cursorBefore && sets.last!.to > result.cursor {
                    print(
                        "the file starts after \(sets.first!.from), past this node's pull cursor \(result.cursor): "
                            + "the next sync fetches what lies between")
                }
            }
        }
    }
}

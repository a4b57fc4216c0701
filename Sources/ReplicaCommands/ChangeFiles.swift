import Foundation
public import SyncClient
public import SyncCore

/// What the node's and the hub's `changes` commands share: change files on disk, the push a
/// sync would send, and a file from this replica's hub applied as the pull it stands for.
public enum ChangeFiles {
    /// Changes per push set and bytes per set (before compression): as a sync sends them.
    static let maxSetChanges = 2_000
    static let maxSetBytes = 1 << 20

    public static func read(_ path: String) throws -> ChangeFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(code: "cannot_read", message: "cannot read \(path)", hint: "Check the path.")
        }
        return try ChangeFile(bytes: [UInt8](data))
    }

    /// Writes `file` at `path` whole or not at all; returns its size.
    public static func write(_ file: ChangeFile, to path: String) throws -> Int {
        let bytes = file.encoded()
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandFailure(
                code: "cannot_write", message: "cannot write \(path): \(error.localizedDescription)",
                hint: "Check the folder exists and has space.")
        }
        return bytes.count
    }

    /// A change file's sets, and the log positions they cover.
    public struct Export: Sendable {
        public let file: ChangeFile
        public let changes: Int
        public let from: UInt64
        public let through: UInt64

        public init(file: ChangeFile, changes: Int, from: UInt64, through: UInt64) {
            self.file = file
            self.changes = changes
            self.from = from
            self.through = through
        }
    }

    /// The push a sync would send now: `replica`'s log entries after `after` that `filter`
    /// keeps, in sets of at most 2,000 changes, sealed with the key its upstream gave it, each
    /// change's values as `transform` makes them (`Syncer.pushTransform`). An empty push is one
    /// empty set: the file still says who wrote it and up to where.
    public static func push(
        from replica: Replica, upstream: Upstream, filter: LogFilter, after: UInt64, dictionary: WireDictionary?,
        transform: (@Sendable (Change) -> Change)? = nil
    ) throws -> Export {
        var sets: [[UInt8]] = []
        var cursor = after
        var changes = 0
        while true {
            guard sets.count < ChangeFile.maximumSets else {
                throw CommandFailure(
                    code: "too_many_changes", message: "more changes than one change file holds",
                    hint: "Export in parts with --after.")
            }
            let page = try replica.outgoingPage(
                after: cursor, filter: filter, maxEntries: maxSetChanges, maxBytes: maxSetBytes)
            let to = max(page.through, cursor)
            let set = ChangeSet(
                kind: .push, sender: replica.origin, from: cursor, to: to,
                changes: page.entries.map { Syncer.outgoing($0.change, transform) })
            sets.append(set.encode(key: upstream.key, dictionary: dictionary))
            changes += page.entries.count
            cursor = to
            if !page.hasMore { break }
        }
        return Export(file: ChangeFile(sets: sets), changes: changes, from: after, through: cursor)
    }

    /// Authenticates a file as this replica's hub's answer to its pull: a pull, written by the
    /// hub it is enrolled at, sealed with its key; every set is checked before anything applies.
    public static func openPull(_ file: ChangeFile, upstream: Upstream, dictionary: WireDictionary?) throws
        -> [ChangeSet]
    {
        let header = try file.header()
        guard header.kind == ChangeSet.Kind.pull.rawValue else {
            throw CommandFailure(
                code: "wrong_kind",
                message: "this file is a push for a hub (from `changes export` at a node or `--upstream` at a hub), "
                    + "not what a hub exported for this replica",
                hint: "Import it at the hub it is for; here, import what the hub exported for this unit "
                    + "(`tre-hub changes export --unit CODE`). Nothing was applied.")
        }
        guard header.sender == upstream.hubOrigin else {
            throw CommandFailure(
                code: "wrong_sender",
                message: "this file was written by \(header.sender), not by this replica's hub (\(upstream.hubOrigin))",
                hint: "Import only what this replica's own hub exported for its unit. Nothing was applied.")
        }
        return try file.open(
            expecting: .pull, from: upstream.hubOrigin, key: upstream.key, dictionaries: dictionary.map { [$0] } ?? [])
    }

    /// Prints what importing a file did.
    /// Writes an export to `path` and says what was written, for whom.
    public static func write(_ export: Export, to path: String, recipient: String, json: Bool) throws {
        let bytes = try write(export.file, to: path)
        if json {
            printJSON([
                "changes": export.changes, "from": Int(clamping: export.from),
                "last_sequence": Int(clamping: export.through), "sets": export.file.sets.count, "bytes": bytes,
            ])
        } else {
            print(
                "wrote \(export.changes) changes (log \(export.from + 1)…\(export.through)) to \(path), "
                    + "\(bytes) bytes, sealed for \(recipient)")
        }
    }

    public static func report(_ applied: Replica.ApplyReport, extra: [String: Int] = [:], json: Bool) {
        if json {
            printJSON(
                extra.merging(
                    [
                        "applied": applied.applied, "duplicates": applied.duplicates, "parked": applied.parked,
                        "released": applied.released,
                    ], uniquingKeysWith: { $1 }))
        } else {
            print(
                "applied \(applied.applied), skipped \(applied.duplicates) already here, "
                    + "parked \(applied.parked) waiting for earlier changes")
        }
    }
}

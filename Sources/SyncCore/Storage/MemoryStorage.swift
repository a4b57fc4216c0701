import Foundation

/// Storage in memory, for tests and tools. A write works on a copy that replaces the original
/// only when the body returns, so a failed batch leaves nothing behind, as in SQLite.
public final class MemoryStorage: ReplicaStorage, @unchecked Sendable {
    struct Contents {
        var meta: ReplicaMeta?
        var records: [RecordKey: RecordState] = [:]
        var conflicted: Set<RecordKey> = []
        var log: [Change] = []
        var parked: [Dot: Change] = [:]
    }

    private let lock = NSLock()
    private var contents = Contents()

    public init() {}

    public func read<T>(_ body: (any StorageAccess) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(Access(contents: contents))
    }

    public func write<T>(_ body: (any StorageAccess) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let access = Access(contents: contents)
        let result = try body(access)
        contents = access.contents
        return result
    }

    final class Access: StorageAccess {
        var contents: Contents
        init(contents: Contents) { self.contents = contents }

        func meta() -> ReplicaMeta? { contents.meta }
        func setMeta(_ meta: ReplicaMeta) { contents.meta = meta }

        func record(_ key: RecordKey) -> RecordState? { contents.records[key] }

        func putRecord(_ key: RecordKey, _ state: RecordState) {
            contents.records[key] = state
            if state.hasConflicts {
                contents.conflicted.insert(key)
            } else {
                contents.conflicted.remove(key)
            }
        }

        func forEachRecord(collection: String?, _ body: (StoredRecord) throws -> Void) throws {
            for key in contents.records.keys.sorted() where collection == nil || key.collection == collection {
                let state = contents.records[key]!
                try body(StoredRecord(key: key, unit: state.unit, stateBytes: state.encoded()))
            }
        }

        func recordCount() -> Int { contents.records.count }
        func conflictedKeys() -> [RecordKey] { contents.conflicted.sorted() }

        func appendLog(_ change: Change) -> UInt64 {
            contents.log.append(change)
            return UInt64(contents.log.count)
        }

        func log(after sequence: UInt64, limit: Int) -> [LogEntry] {
            let start = Int(min(sequence, UInt64(contents.log.count)))
            let end = min(contents.log.count, start + limit)
            return (start..<end).map { LogEntry(sequence: UInt64($0 + 1), change: contents.log[$0]) }
        }

        func lastSequence() -> UInt64 { UInt64(contents.log.count) }

        func park(_ change: Change) {
            if contents.parked[change.dot] == nil { contents.parked[change.dot] = change }
        }

        func parked(for key: RecordKey) -> [Change] {
            contents.parked.values.filter { $0.key == key }.sorted { $0.dot < $1.dot }
        }

        func unpark(_ dot: Dot) { contents.parked[dot] = nil }
        func parkedCount() -> Int { contents.parked.count }
    }
}

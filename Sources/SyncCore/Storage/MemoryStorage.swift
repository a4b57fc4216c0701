import Foundation

/// Storage in memory, for tests and tools. A write works on a copy that replaces the original
/// only when the body returns, so a failed batch leaves nothing behind, as in SQLite.
public final class MemoryStorage: ReplicaStorage, @unchecked Sendable {
    struct Contents {
        var meta: ReplicaMeta?
        var records: [RecordKey: RecordState] = [:]
        var conflicted: Set<RecordKey> = []
        var log: [LogEntry] = []
        var parked: [Dot: Change] = [:]
        var settings: [String: String] = [:]
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

        func appendLog(_ change: Change, via: OriginID?, previousUnit: String?) -> UInt64 {
            let sequence = UInt64(contents.log.count + 1)
            contents.log.append(LogEntry(sequence: sequence, change: change, via: via, previousUnit: previousUnit))
            return sequence
        }

        func logPage(after sequence: UInt64, filter: LogFilter, maxEntries: Int, maxBytes: Int) -> LogPage {
            var entries: [LogEntry] = []
            var bytes = 0
            var index = Int(min(sequence, UInt64(contents.log.count)))
            while index < contents.log.count {
                let entry = contents.log[index]
                if filter.accepts(entry) {
                    let size = entry.change.encoded().count
                    if entries.count == maxEntries || (!entries.isEmpty && bytes + size > maxBytes) { break }
                    entries.append(entry)
                    bytes += size
                }
                index += 1
            }
            let through = index == contents.log.count ? UInt64(index) : (entries.last?.sequence ?? sequence)
            return LogPage(entries: entries, through: max(through, sequence), hasMore: index < contents.log.count)
        }

        func history(of key: RecordKey, before sequence: UInt64) -> [LogEntry] {
            contents.log.prefix(max(0, Int(min(sequence, UInt64(contents.log.count + 1))) - 1)).filter {
                $0.change.key == key
            }
        }

        func setting(_ name: String) -> String? { contents.settings[name] }
        func setSetting(_ name: String, _ value: String?) { contents.settings[name] = value }

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

import Foundation

/// Storage in memory, for tests and tools. A write changes the contents in place and keeps an
/// undo journal: if the body throws, the journal is played back, so a failed batch leaves
/// nothing behind, as in SQLite — without copying everything for every transaction.
public final class MemoryStorage: ReplicaStorage, @unchecked Sendable {
    final class Contents {
        var meta: ReplicaMeta?
        var records: [RecordKey: RecordState] = [:]
        var conflicted: Set<RecordKey> = []
        var log: [LogEntry] = []
        var parked: [Dot: ParkedChange] = [:]
        var setAside: [Dot: SetAsideEntry] = [:]
        var settings: [String: String] = [:]
    }

    private let lock = NSLock()
    private let contents = Contents()

    public init() {}

    public func read<T>(_ body: (any StorageAccess) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(Access(contents: contents, journaled: false))
    }

    /// Memory is never protected: the tokens are keyed publicly (`ReplicaStorage.searchToken`).
    public func searchToken(_ term: String) throws -> [UInt8] { AtRest.searchToken(term, key: AtRest.clearSearchKey) }

    public func write<T>(_ body: (any StorageAccess) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let access = Access(contents: contents, journaled: true)
        do {
            return try body(access)
        } catch {
            access.rollBack()
            throw error
        }
    }

    final class Access: StorageAccess {
        let contents: Contents
        let journaled: Bool
        private var undo: [() -> Void] = []

        init(contents: Contents, journaled: Bool) {
            self.contents = contents
            self.journaled = journaled
        }

        private func remember(_ step: @escaping () -> Void) {
            if journaled { undo.append(step) }
        }

        func rollBack() {
            for step in undo.reversed() { step() }
            undo = []
        }

        func meta() -> ReplicaMeta? { contents.meta }

        func setMeta(_ meta: ReplicaMeta) {
            let previous = contents.meta
            remember { [contents] in contents.meta = previous }
            contents.meta = meta
        }

        func record(_ key: RecordKey) -> RecordState? { contents.records[key] }

        func putRecord(_ key: RecordKey, _ state: RecordState) {
            let previous = contents.records[key]
            let wasConflicted = contents.conflicted.contains(key)
            remember { [contents] in
                contents.records[key] = previous
                if wasConflicted { contents.conflicted.insert(key) } else { contents.conflicted.remove(key) }
            }
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

        func appendLog(_ change: Change, unit: String, via: OriginID?, previousUnit: String?) -> UInt64 {
            let sequence = UInt64(contents.log.count + 1)
            remember { [contents] in contents.log.removeLast() }
            contents.log.append(
                LogEntry(sequence: sequence, change: change, via: via, previousUnit: previousUnit, unit: unit))
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
                    if entries.count == max(1, maxEntries) || (!entries.isEmpty && bytes + size > maxBytes) { break }
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

        func lastSequence() -> UInt64 { UInt64(contents.log.count) }

        /// As the SQLite store: a dot logged for two records names neither.
        func recordKeys(for dots: [Dot]) -> [Dot: RecordKey] {
            let wanted = Set(dots)
            var found: [Dot: RecordKey] = [:]
            var ambiguous: Set<Dot> = []
            for entry in contents.log where entry.via == entry.change.dot.origin && wanted.contains(entry.change.dot) {
                let dot = entry.change.dot
                if let earlier = found[dot], earlier != entry.change.key { ambiguous.insert(dot) }
                if found[dot] == nil { found[dot] = entry.change.key }
            }
            for dot in ambiguous { found[dot] = nil }
            return found
        }

        func park(_ change: Change, via: OriginID?) {
            guard contents.parked[change.dot] == nil else { return }
            remember { [contents] in contents.parked[change.dot] = nil }
            contents.parked[change.dot] = ParkedChange(change: change, via: via)
        }

        func parked(for key: RecordKey) -> [ParkedChange] {
            contents.parked.values.filter { $0.change.key == key }.sorted { $0.change.dot < $1.change.dot }
        }

        func unpark(_ dot: Dot) {
            let previous = contents.parked[dot]
            remember { [contents] in contents.parked[dot] = previous }
            contents.parked[dot] = nil
        }

        func parkedCount() -> Int { contents.parked.count }

        func setAside(_ entry: SetAsideEntry) {
            let dot = entry.change.dot
            guard contents.setAside[dot] == nil else { return }
            remember { [contents] in contents.setAside[dot] = nil }
            contents.setAside[dot] = entry
        }

        func setAside(for key: RecordKey) -> [SetAsideEntry] {
            contents.setAside.values.filter { $0.change.key == key }.sorted { $0.change.dot < $1.change.dot }
        }

        func setAsideEntries(limit: Int) -> [SetAsideEntry] {
            Array(
                contents.setAside.values.sorted { ($0.atMillis, $0.change.dot) < ($1.atMillis, $1.change.dot) }.prefix(
                    limit))
        }

        func removeSetAside(_ dot: Dot) {
            let previous = contents.setAside[dot]
            remember { [contents] in contents.setAside[dot] = previous }
            contents.setAside[dot] = nil
        }

        func setAsideCount() -> Int { contents.setAside.count }

        func setting(_ name: String) -> String? { contents.settings[name] }

        func setSetting(_ name: String, _ value: String?) {
            let previous = contents.settings[name]
            remember { [contents] in contents.settings[name] = previous }
            contents.settings[name] = value
        }
    }
}

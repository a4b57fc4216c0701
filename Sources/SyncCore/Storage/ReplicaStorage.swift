/// What a replica keeps about itself: its identity, its counter and its clock.
public struct ReplicaMeta: Hashable, Sendable {
    public var origin: OriginID
    /// The counter of this replica's last local change.
    public var counter: UInt64
    public var clock: HybridClock
    /// The administrative code of the unit this replica serves (a commune, a district…).
    public var unit: String
    /// A name for people ("Xã Mường Lống", "Huyện Kỳ Sơn"); may be empty.
    public var name: String

    public init(
        origin: OriginID, counter: UInt64 = 0, clock: HybridClock = HybridClock(), unit: String, name: String = ""
    ) {
        self.origin = origin
        self.counter = counter
        self.clock = clock
        self.unit = unit
        self.name = name
    }
}

/// One record as stored, for scans: its key, owning unit and canonical state bytes.
public struct StoredRecord: Sendable {
    public let key: RecordKey
    public let unit: String?
    package let stateBytes: [UInt8]

    package init(key: RecordKey, unit: String?, stateBytes: [UInt8]) {
        self.key = key
        self.unit = unit
        self.stateBytes = stateBytes
    }
}

/// The operations of one transaction on a replica's storage. Every method may throw a
/// `StoreError`. Nothing here knows the merge rules: `Replica` drives them.
public protocol StorageAccess {
    func meta() throws -> ReplicaMeta?
    func setMeta(_ meta: ReplicaMeta) throws

    func record(_ key: RecordKey) throws -> RecordState?
    func putRecord(_ key: RecordKey, _ state: RecordState) throws
    /// Stores the state that `change`, a plain creation (`RecordState.isPlainCreation`), makes.
    func putCreatedRecord(_ key: RecordKey, by change: Change) throws
    /// Every record in key order (collection bytes, then id), optionally one collection only.
    func forEachRecord(collection: String?, _ body: (StoredRecord) throws -> Void) throws
    /// The records of one collection in id order, each with its stored bytes (opened), lent
    /// for the call only; a store that marks deleted records may leave them out. `body` must
    /// not scan records itself.
    func forEachRecordState(collection: String, _ body: (RecordID, LentRecord) throws -> Void) throws
    /// The records `selection` names (owned by one of its units, or with one of its ids), each
    /// once, in no promised order, each with its stored bytes (opened), lent for the call only;
    /// a store that marks deleted records may leave them out. `body` must not scan records
    /// itself. A store filters in its query where it can (`RecordSelection`).
    func forEachRecordState(_ selection: RecordSelection, _ body: (RecordID, LentRecord) throws -> Void) throws
    func recordCount() throws -> Int
    func conflictedKeys() throws -> [RecordKey]

    /// Appends an applied change to the log and returns its local sequence number.
    /// `unit` is the record's owning unit once the change is applied: what routing reads
    /// (never the sender's label on a change that does not write the owning unit).
    func appendLog(_ change: Change, unit: String, via: OriginID?, previousUnit: String?) throws -> UInt64
    /// Entries after `sequence` that `filter` accepts, at most `maxEntries` of them and, past
    /// the first, no more than `maxBytes` of encoded changes.
    func logPage(after sequence: UInt64, filter: LogFilter, maxEntries: Int, maxBytes: Int) throws -> LogPage
    /// Every entry of one record before `sequence`, in order: the history a replica receives
    /// when the record enters its scope.
    func history(of key: RecordKey, before sequence: UInt64) throws -> [LogEntry]
    func lastSequence() throws -> UInt64
    /// The records that the log entries of these dots wrote, for the dots whose change was
    /// pushed by its author (`appendLog` with `via` its origin); a dot not found is absent.
    func recordKeys(for dots: [Dot]) throws -> [Dot: RecordKey]

    /// Small named values kept with the replica (sync cursors, peers' positions, settings).
    func setting(_ name: String) throws -> String?
    func setSetting(_ name: String, _ value: String?) throws

    /// Keeps a change that is not ready, with the peer it came from; parking the same dot
    /// twice keeps one copy.
    func park(_ change: Change, via: OriginID?) throws
    func parked(for key: RecordKey) throws -> [ParkedChange]
    func unpark(_ dot: Dot) throws
    func parkedCount() throws -> Int

    /// Keeps a refused change with its reason; setting the same dot aside twice keeps one.
    func setAside(_ entry: SetAsideEntry) throws
    /// The set-aside changes of one record, by dot.
    func setAside(for key: RecordKey) throws -> [SetAsideEntry]
    /// Every set-aside change, oldest first, at most `limit`.
    func setAsideEntries(limit: Int) throws -> [SetAsideEntry]
    func removeSetAside(_ dot: Dot) throws
    func setAsideCount() throws -> Int
}

/// A change waiting for one it depends on, and the peer that sent it (it is judged and logged
/// for that peer when it is finally applied).
public struct ParkedChange: Hashable, Sendable {
    public let change: Change
    public let via: OriginID?

    public init(change: Change, via: OriginID?) {
        self.change = change
        self.via = via
    }
}

/// A change refused by a gate (or, on a node, by its hub), kept with why until an operator
/// retries or discards it. `code` and `detail` never hold a record's values.
public struct SetAsideEntry: Hashable, Sendable {
    public let change: Change
    /// The peer it came from (on a node: the hub that refused it).
    public let via: OriginID?
    public let code: String
    public let detail: String
    public let atMillis: UInt64

    public init(change: Change, via: OriginID?, code: String, detail: String, atMillis: UInt64) {
        self.change = change
        self.via = via
        self.code = code
        self.detail = detail
        self.atMillis = atMillis
    }
}

/// A replica's storage: transactions over `StorageAccess`. `write` is all or nothing: if the
/// body throws, nothing it did is kept.
public protocol ReplicaStorage: Sendable {
    func read<T>(_ body: (any StorageAccess) throws -> T) throws -> T
    func write<T>(_ body: (any StorageAccess) throws -> T) throws -> T
    /// A keyed digest (16 bytes) of a search term, for a search index kept in the replica: the
    /// index stores tokens, never terms, and a query looks its terms' tokens up. A protected
    /// replica keys it with a key of its own (HMAC-SHA256), so a copied file does not reveal
    /// the terms — only how many entries share one. Normalising terms (case, diacritics, NFC)
    /// is the caller's: the digest is of the exact UTF-8 given. (No default: a storage that
    /// wraps another must forward it, or a protected replica's index would be keyed publicly.)
    func searchToken(_ term: String) throws -> [UInt8]
}

/// A record's bytes as a scan lends them, for the call only.
public enum LentRecord {
    /// Its state (`RecordState.encoded()`).
    case state(UnsafeRawBufferPointer)
    /// The plain creation (`Change.encoded()`) of this record that a store holds it by (SQLite's
    /// `records.born`): nothing has changed it since, so its state is exactly what that change
    /// makes (`RecordState.encodedCreation(by:)`). The store checked the change is this record's
    /// and depends on nothing.
    case creation(UnsafeRawBufferPointer)
}

extension StorageAccess {
    public func forEachRecordState(collection: String, _ body: (RecordID, LentRecord) throws -> Void) throws {
        try forEachRecord(collection: collection) { stored in
            try stored.stateBytes.withUnsafeBytes { try body(stored.key.id, .state($0)) }
        }
    }

    /// Builds the state and stores it; a store that keeps encoded states writes them directly.
    public func putCreatedRecord(_ key: RecordKey, by change: Change) throws {
        guard case .applied(let state) = Merge.apply(change, to: nil) else {
            preconditionFailure("a plain creation applies to a record not held")
        }
        try putRecord(key, state)
    }
}

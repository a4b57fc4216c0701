/// A replica: one node or hub's records, log and identity, on some storage. It drives the pure
/// merge rules over the storage's transactions: every batch of changes, every local edit, is
/// one transaction.
public final class Replica: Sendable {
    public let storage: any ReplicaStorage
    public let time: any TimeSource
    public let origin: OriginID
    public let unit: String
    let policy: Merge.Policy

    /// Opens an initialised replica.
    public convenience init(storage: any ReplicaStorage, time: any TimeSource) throws {
        try self.init(storage: storage, time: time, policy: .exact)
    }

    package init(storage: any ReplicaStorage, time: any TimeSource, policy: Merge.Policy) throws {
        guard let meta = try storage.read({ try $0.meta() }) else {
            throw StoreError(
                .notInitialized, path: "\(storage)", operation: "open replica",
                detail: "the storage holds no replica identity")
        }
        self.storage = storage
        self.time = time
        self.origin = meta.origin
        self.unit = meta.unit
        self.policy = policy
    }

    /// Gives empty storage its identity: the origin every change made here will carry, and the
    /// unit this replica serves.
    @discardableResult
    public static func initialize(
        storage: any ReplicaStorage, origin: OriginID, unit: String, name: String = "", time: any TimeSource
    ) throws -> Replica {
        try initialize(storage: storage, origin: origin, unit: unit, name: name, time: time, policy: .exact)
    }

    package static func initialize(
        storage: any ReplicaStorage, origin: OriginID, unit: String, name: String = "", time: any TimeSource,
        policy: Merge.Policy
    ) throws -> Replica {
        try storage.write { access in
            if try access.meta() != nil {
                throw StoreError(
                    .alreadyInitialized, path: "\(storage)", operation: "initialise replica",
                    detail: "the storage already holds a replica")
            }
            try access.setMeta(ReplicaMeta(origin: origin, unit: unit, name: name))
        }
        return try Replica(storage: storage, time: time, policy: policy)
    }

    public func meta() throws -> ReplicaMeta {
        guard let meta = try storage.read({ try $0.meta() }) else {
            throw StoreError(.notInitialized, path: "\(storage)", operation: "read replica", detail: "no identity")
        }
        return meta
    }

    /// What one `apply` did.
    public struct ApplyReport: Hashable, Sendable {
        /// Changes applied now, including parked ones released by them.
        public var applied = 0
        /// Changes this replica had already applied (skipped).
        public var duplicates = 0
        /// Changes parked, waiting for a change they depend on.
        public var parked = 0
        /// Previously parked changes that applied because their dependencies arrived.
        public var released = 0
        /// The log's last sequence number after the batch.
        public var lastSequence: UInt64 = 0
    }

    /// Applies a batch of changes from elsewhere in one transaction: all or nothing. An invalid
    /// change refuses the whole batch with a `ChangeError`; so does any error `authorize`
    /// returns for a change (given the record's state just before it) or `alongside` throws.
    /// `via` is the peer the batch came from, kept in the log so it is not sent back.
    /// `alongside` runs in the same transaction first: sync cursors move with the changes.
    @discardableResult
    public func apply(
        _ changes: [Change], via: OriginID? = nil,
        authorize: ((Change, RecordState?) -> (any Error)?)? = nil,
        alongside: ((any StorageAccess) throws -> Void)? = nil
    ) throws -> ApplyReport {
        for change in changes { try change.validate() }
        return try storage.write { access in
            try alongside?(access)
            var batch = try Batch(access: access, policy: policy)
            batch.via = via
            batch.authorize = authorize
            for change in changes { try batch.receive(change) }
            return try batch.finish()
        }
    }
}

/// The work of one transaction: records read once, merged in memory, written once at the end.
struct Batch {
    let access: any StorageAccess
    let policy: Merge.Policy
    var meta: ReplicaMeta
    /// A record read or written in this batch; `dirty` ones are written back at the end. (A
    /// struct, not a tuple: tuple types cost a runtime metadata lookup on every access.)
    struct Cached {
        enum Held {
            case state(RecordState)
            /// The state a plain creation made, not built unless something asks for it.
            case created(Change)
        }

        var held: Held
        var dirty: Bool
    }

    var records: [RecordKey: Cached] = [:]
    var mayHaveParked: Bool
    var report = Replica.ApplyReport()
    var via: OriginID?
    var authorize: ((Change, RecordState?) -> (any Error)?)?

    init(access: any StorageAccess, policy: Merge.Policy) throws {
        self.access = access
        self.policy = policy
        guard let meta = try access.meta() else {
            throw StoreError(.notInitialized, path: "\(access)", operation: "apply", detail: "no replica identity")
        }
        self.meta = meta
        self.mayHaveParked = try access.parkedCount() > 0
    }

    mutating func state(_ key: RecordKey) throws -> RecordState? {
        if let cached = records[key] {
            switch cached.held {
            case .state(let state): return state
            case .created(let change):
                guard case .applied(let state) = Merge.apply(change, to: nil, policy: policy) else {
                    preconditionFailure("a plain creation applies to a record not held")
                }
                records[key] = Cached(held: .state(state), dirty: cached.dirty)
                return state
            }
        }
        let state = try access.record(key)
        if let state { records[key] = Cached(held: .state(state), dirty: false) }
        return state
    }

    /// Applies one change from elsewhere, parking it if it is not ready and releasing the
    /// parked changes of its record that it made ready.
    mutating func receive(_ change: Change) throws {
        meta.clock.observe(change.stamp)
        let current = try state(change.key)
        if current == nil && RecordState.isPlainCreation(change) {
            // What Merge.apply would do, without building a state to encode and free.
            if let authorize, let refusal = authorize(change, nil) { throw refusal }
            try record(change, held: .created(change), previous: nil)
            report.applied += 1
            if mayHaveParked { try release(change.key) }
            return
        }
        let outcome = Merge.apply(change, to: current, policy: policy)
        // A duplicate was authorised when it first came; anything new is checked now.
        if outcome != .duplicate, let authorize, let refusal = authorize(change, current) { throw refusal }
        switch outcome {
        case .duplicate:
            report.duplicates += 1
        case .notReady:
            try access.park(change)
            mayHaveParked = true
            report.parked += 1
        case .applied(let state):
            try commit(change, state, previous: current)
            report.applied += 1
            if mayHaveParked { try release(change.key) }
        }
    }

    /// Applies a change made here; it is always ready.
    mutating func local(_ change: Change) throws {
        let current = try state(change.key)
        guard case .applied(let state) = Merge.apply(change, to: current, policy: policy) else {
            preconditionFailure("a local change's context is the record's own version")
        }
        try commit(change, state, previous: current)
        report.applied += 1
    }

    private mutating func commit(_ change: Change, _ state: RecordState, previous: RecordState?) throws {
        try record(change, held: .state(state), previous: previous)
    }

    private mutating func record(_ change: Change, held: Cached.Held, previous: RecordState?) throws {
        // A replica receiving its own changes back (restored from a backup, or rebuilt from its
        // hub) must never hand out their counters again.
        if change.dot.origin == meta.origin && change.dot.counter > meta.counter { meta.counter = change.dot.counter }
        records[change.key] = Cached(held: held, dirty: true)
        _ = try access.appendLog(change, via: via, previousUnit: previous?.unit)
    }

    /// Retries the parked changes of `key` until none of them applies any more.
    private mutating func release(_ key: RecordKey) throws {
        var progress = true
        while progress {
            progress = false
            for change in try access.parked(for: key) {
                let current = try state(key)
                switch Merge.apply(change, to: current, policy: policy) {
                case .notReady: continue
                case .duplicate:
                    try access.unpark(change.dot)
                case .applied(let state):
                    try access.unpark(change.dot)
                    try commit(change, state, previous: current)
                    report.applied += 1
                    report.released += 1
                    progress = true
                }
            }
        }
    }

    mutating func finish() throws -> Replica.ApplyReport {
        // In key order: the records index then grows at its end instead of splitting pages
        // all over (ids are time-ordered UUIDv7s).
        for key in records.keys.filter({ records[$0]!.dirty }).sorted() {
            switch records[key]!.held {
            case .state(let state): try access.putRecord(key, state)
            case .created(let change): try access.putCreatedRecord(key, by: change)
            }
        }
        try access.setMeta(meta)
        report.lastSequence = try access.lastSequence()
        return report
    }
}

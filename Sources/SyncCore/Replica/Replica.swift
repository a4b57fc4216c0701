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
        if try storage.read({ try $0.setting(Self.backupMarker) }) != nil {
            throw StoreError(
                .isBackup, path: "\(storage)", operation: "open replica",
                detail: "the file is a backup copy, not a live replica")
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

    /// At most this many changes from judged peers wait parked for one record: a peer that
    /// names changes that never come cannot make a record's parked list (read whenever the
    /// record changes) grow without end. Beyond it, a change is set aside (`too_many_parked`).
    public static let maximumParkedPerRecord = 1_000

    // MARK: Backup and restore

    /// The setting that marks a backup copy (its value: when it was taken).
    package static let backupMarker = "replica.backup_taken_ms"
    /// How far a restored replica's counter jumps: past anything the lost machine could have
    /// issued after the backup (four billion changes), so no dot is ever issued twice. Gaps
    /// in an origin's counters are ordinary (a counter counts all of a replica's records).
    public static let restoreCounterJump: UInt64 = 1 << 32
    /// Set by a restore (to the counter it jumped to) until the replica has taken back from its
    /// hub what the lost machine had sent after the backup (the sync clears it; so does a
    /// restore with no hub to ask). Meanwhile the records it held before cannot be edited;
    /// records added since can: an edit's context is the record's version, and with the jumped
    /// counter it would claim to have seen the lost machine's changes to the record — replacing
    /// them unseen, or judged by where they had moved the record — and those changes coming back
    /// later would look like duplicates.
    public static let catchingUpSetting = "replica.catching_up"

    /// Makes a replica of a backup copy (or of any copy of a replica file) in `storage`: its
    /// counter jumps by `restoreCounterJump` and the backup mark is removed, in one
    /// transaction. What a sync needs on top (new log epoch, cursors) is the caller's.
    @discardableResult
    public static func finishRestore(storage: any ReplicaStorage, time: any TimeSource) throws -> Replica {
        try storage.write { access in
            guard var meta = try access.meta() else {
                throw StoreError(
                    .notInitialized, path: "\(storage)", operation: "restore",
                    detail: "the file holds no replica identity")
            }
            guard meta.counter <= Change.maximumCounter - restoreCounterJump else {
                throw StoreError(
                    .corrupt, path: "\(storage)", operation: "restore",
                    detail: "the replica's counter is too high to jump past")
            }
            meta.counter += restoreCounterJump
            try access.setMeta(meta)
            try access.setSetting(backupMarker, nil)
            try access.setSetting("replica.restored_at_ms", String(time.nowMillis()))
            try access.setSetting(catchingUpSetting, String(meta.counter))
        }
        return try Replica(storage: storage, time: time)
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
        /// Changes the gate refused, set aside with their reasons (released parked ones too).
        public var refused: [AuthorizationError] = []
        /// The log's last sequence number after the batch.
        public var lastSequence: UInt64 = 0
    }

    /// Applies a batch of changes from elsewhere in one transaction: all or nothing. An invalid
    /// change refuses the whole batch with a `ChangeError`, and so does anything `alongside`
    /// throws. `gate`, when given, judges each change (`ChangeGate`): a refused change is set
    /// aside with its reason — and so is every change of the same record based on it — while
    /// the rest of the batch applies. `via` is the peer the batch came from, kept in the log
    /// (so it is not sent back) and with parked changes (so they are judged for it).
    /// `alongside` runs in the same transaction first: sync cursors move with the changes.
    @discardableResult
    public func apply(
        _ changes: [Change], via: OriginID? = nil, gate: (any ChangeGate)? = nil,
        alongside: ((any StorageAccess) throws -> Void)? = nil
    ) throws -> ApplyReport {
        for change in changes { try change.validate() }
        return try storage.write { access in
            try alongside?(access)
            var batch = try Batch(access: access, policy: policy, gate: gate, nowMillis: time.nowMillis())
            batch.via = via
            for change in changes { try batch.receive(change) }
            return try batch.finish()
        }
    }

    /// Applies set-aside changes again, as if their senders had just sent them: those the gate
    /// now accepts apply (or park), the others stay set aside with their new reason. Returns
    /// what happened; `dots` nil retries every set-aside change.
    @discardableResult
    public func retrySetAside(_ dots: Set<Dot>?, gate: any ChangeGate) throws -> ApplyReport {
        try storage.write { access in
            let entries = try access.setAsideEntries(limit: Int.max).filter { dots?.contains($0.change.dot) ?? true }
            var batch = try Batch(access: access, policy: policy, gate: gate, nowMillis: time.nowMillis())
            // Causal order per origin, so a change comes back before those based on it.
            for entry in entries.sorted(by: { $0.change.dot < $1.change.dot }) {
                try access.removeSetAside(entry.change.dot)
                batch.via = entry.via
                try batch.receive(entry.change)
            }
            return try batch.finish()
        }
    }

    /// Forgets set-aside changes for good (an operator decided). Returns how many were removed.
    @discardableResult
    public func discardSetAside(_ dots: Set<Dot>) throws -> Int {
        try storage.write { access in
            var removed = 0
            for entry in try access.setAsideEntries(limit: Int.max) where dots.contains(entry.change.dot) {
                try access.removeSetAside(entry.change.dot)
                removed += 1
            }
            return removed
        }
    }

    /// The set-aside changes, oldest first.
    public func setAsideEntries(limit: Int = 10_000) throws -> [SetAsideEntry] {
        try storage.read { try $0.setAsideEntries(limit: limit) }
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
    var mayHaveSetAside: Bool
    var report = Replica.ApplyReport()
    var via: OriginID?
    let gate: (any ChangeGate)?
    let nowMillis: UInt64

    init(access: any StorageAccess, policy: Merge.Policy, gate: (any ChangeGate)? = nil, nowMillis: UInt64 = 0) throws {
        self.access = access
        self.policy = policy
        self.gate = gate
        self.nowMillis = nowMillis
        guard let meta = try access.meta() else {
            throw StoreError(.notInitialized, path: "\(access)", operation: "apply", detail: "no replica identity")
        }
        self.meta = meta
        self.mayHaveParked = try access.parkedCount() > 0
        self.mayHaveSetAside = try gate != nil && access.setAsideCount() > 0
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

    static var maximumParkedPerRecord: Int { Replica.maximumParkedPerRecord }

    /// Applies one change from elsewhere, parking it if it is not ready and releasing the
    /// parked changes of its record that it made ready. With a gate, a refused change is set
    /// aside instead, before it can move the clock or touch the record.
    mutating func receive(_ change: Change) throws {
        let current = try state(change.key)
        if let current, current.version[change.dot.origin] >= change.dot.counter {
            // Already applied: it was judged when it first came.
            report.duplicates += 1
            return
        }
        if let gate, !gate.trusts(via) {
            if let refusal = gate.admit(change, via: via) { return try setAside(change, via: via, refusal) }
            if mayHaveSetAside, let refusal = try setAsideRelation(of: change, current: current) {
                return try setAside(change, via: via, refusal)
            }
        }
        meta.clock.observe(change.stamp)
        if current == nil && RecordState.isPlainCreation(change) {
            // What Merge.apply would do, without building a state to encode and free.
            if let gate, !gate.trusts(via), let refusal = gate.authorize(change, via: via, owners: [], exists: false) {
                return try setAside(change, via: via, refusal)
            }
            try record(change, held: .created(change), previous: nil, via: via)
            report.applied += 1
            if mayHaveParked { try release(change.key) }
            return
        }
        switch Merge.apply(change, to: current, policy: policy) {
        case .duplicate:
            report.duplicates += 1
        case .notReady:
            if let gate, !gate.trusts(via), try access.parked(for: change.key).count >= Self.maximumParkedPerRecord {
                return try setAside(
                    change, via: via,
                    AuthorizationError(
                        kind: .tooManyParked, dot: change.dot, record: change.key,
                        detail: "\(Self.maximumParkedPerRecord) changes of this record already wait for changes "
                            + "this hub does not have"))
            }
            try access.park(change, via: via)
            mayHaveParked = true
            report.parked += 1
        case .applied(let state):
            if let gate, !gate.trusts(via), let refusal = try judge(change, via: via, current: current, gate: gate) {
                return try setAside(change, via: via, refusal)
            }
            try record(change, held: .state(state), previous: current, via: via)
            report.applied += 1
            if mayHaveParked { try release(change.key) }
        }
    }

    /// Asks the gate about a change that is ready to apply to `current`.
    private mutating func judge(_ change: Change, via: OriginID?, current: RecordState?, gate: any ChangeGate) throws
        -> AuthorizationError?
    {
        guard let current else { return gate.authorize(change, via: via, owners: [], exists: false) }
        switch try owners(of: change.key, at: change.context, current: current) {
        case .owners(let owners): return gate.authorize(change, via: via, owners: owners, exists: true)
        case .inconsistent(let dot):
            return AuthorizationError(
                kind: .inconsistentContext, dot: change.dot, record: change.key,
                detail:
                    "the change's context covers change \(dot) but not what that change was based on: "
                    + "no replica ever held such a version")
        }
    }

    enum OwnersAtContext {
        case owners([String])
        /// The context covers this change of the record but not all it depended on: not a
        /// version any replica held (a forged cut through the record's history).
        case inconsistent(Dot)
    }

    /// The record's owning units at the version `context` (which this replica holds, or the
    /// change would not be ready): from its own history, never from the sender's word. The
    /// context must be a version some replica could hold: closed under what each change it
    /// covers was based on.
    func owners(of key: RecordKey, at context: VersionVector, current: RecordState) throws -> OwnersAtContext {
        let held = current.fields[ReservedField.unit] ?? []
        // The context is this replica's own version of the record: the owners are those held.
        if context == current.version { return .owners(held.compactMap(\.value.stringValue)) }
        // Otherwise replay the owning-unit register over the history the context covers (the
        // log holds each record's changes in an order that respects causality), checking on the
        // way that the context is closed.
        var register: [(unit: String?, dot: Dot)] = []
        for entry in try access.history(of: key, before: .max) where context.covers(entry.change.dot) {
            if entry.change.context.entries.contains(where: { context[$0.origin] < $0.counter }) {
                return .inconsistent(entry.change.dot)
            }
            guard let value = entry.change.set[ReservedField.unit] else { continue }
            register.removeAll { entry.change.context.covers($0.dot) }
            register.append((value.stringValue, entry.change.dot))
        }
        return .owners(register.compactMap(\.unit))
    }

    /// Whether `change` must wait with a set-aside change of its record (it is based on one
    /// this replica never applied), or is inconsistent with one (its origin's own earlier
    /// change of the record, which any later change of that origin was made after).
    private func setAsideRelation(of change: Change, current: RecordState?) throws -> AuthorizationError? {
        for entry in try access.setAside(for: change.key) {
            let dot = entry.change.dot
            if dot.origin == change.dot.origin && dot.counter < change.dot.counter && !change.context.covers(dot) {
                return AuthorizationError(
                    kind: .inconsistentContext, dot: change.dot, record: change.key,
                    detail: "its origin's earlier change \(dot) of this record is not in its context")
            }
            // Covered because a later change of the same origin was applied here: no dependency.
            if change.context.covers(dot) && (current?.version[dot.origin] ?? 0) < dot.counter {
                return AuthorizationError(
                    kind: .dependsOnSetAside, dot: change.dot, record: change.key,
                    detail: "it is based on change \(dot), which was set aside; it waits with it")
            }
        }
        return nil
    }

    /// Keeps a refused change aside with its reason, and with it every parked change of the
    /// record that was based on it (they could never apply) — a worklist, so a long chain of
    /// parked changes costs one pass, not a recursion as deep as the chain.
    private mutating func setAside(_ change: Change, via: OriginID?, _ refusal: AuthorizationError) throws {
        var work = [(change, via, refusal)]
        var parked = mayHaveParked ? try access.parked(for: change.key) : []
        while let (next, sender, reason) = work.popLast() {
            try access.setAside(
                SetAsideEntry(
                    change: next, via: sender, code: reason.kind.rawValue, detail: reason.detail, atMillis: nowMillis))
            report.refused.append(reason)
            var remaining: [ParkedChange] = []
            for waiting in parked {
                if waiting.change.context.covers(next.dot) {
                    try access.unpark(waiting.change.dot)
                    work.append(
                        (
                            waiting.change, waiting.via,
                            AuthorizationError(
                                kind: .dependsOnSetAside, dot: waiting.change.dot, record: waiting.change.key,
                                detail: "it is based on change \(next.dot), which was set aside; it waits with it")
                        ))
                } else {
                    remaining.append(waiting)
                }
            }
            parked = remaining
        }
        mayHaveSetAside = true
    }

    /// Applies a change made here; it is always ready.
    mutating func local(_ change: Change) throws {
        let current = try state(change.key)
        guard case .applied(let state) = Merge.apply(change, to: current, policy: policy) else {
            preconditionFailure("a local change's context is the record's own version")
        }
        try record(change, held: .state(state), previous: current, via: nil)
        report.applied += 1
    }

    private mutating func record(_ change: Change, held: Cached.Held, previous: RecordState?, via: OriginID?) throws {
        // A replica receiving its own changes back (restored from a backup, or rebuilt from its
        // hub) must never hand out their counters again.
        if change.dot.origin == meta.origin && change.dot.counter > meta.counter { meta.counter = change.dot.counter }
        records[change.key] = Cached(held: held, dirty: true)
        // Routed by the record's owner after the change, not by the label the change carries.
        let unit: String
        switch held {
        case .state(let state): unit = state.unit ?? change.unit
        case .created(let change): unit = change.unit
        }
        _ = try access.appendLog(change, unit: unit, via: via, previousUnit: previous?.unit)
    }

    /// Retries the parked changes of `key` until none of them applies any more. With a gate,
    /// each is judged for the peer that sent it and logged as coming from that peer. Without
    /// one (a batch from a trusted source: a node's hub, a hub's upstream), only the changes
    /// that came from that same source are released: a change a gate parked is never applied
    /// without being judged.
    private mutating func release(_ key: RecordKey) throws {
        var progress = true
        while progress {
            progress = false
            for parked in try access.parked(for: key) {
                if gate == nil && parked.via != via { continue }
                let change = parked.change
                let current = try state(key)
                switch Merge.apply(change, to: current, policy: policy) {
                case .notReady: continue
                case .duplicate:
                    try access.unpark(change.dot)
                case .applied(let state):
                    try access.unpark(change.dot)
                    if let gate, !gate.trusts(parked.via) {
                        let refusal =
                            try gate.admit(change, via: parked.via)
                            ?? (mayHaveSetAside ? setAsideRelation(of: change, current: current) : nil)
                            ?? judge(change, via: parked.via, current: current, gate: gate)
                        if let refusal {
                            try setAside(change, via: parked.via, refusal)
                            progress = true
                            continue
                        }
                    }
                    try record(change, held: .state(state), previous: current, via: parked.via)
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

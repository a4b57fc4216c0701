public import Foundation
public import SyncCore

/// Where a replica syncs to, kept in its settings: the hub's URL and origin, and the key the
/// hub gave at enrolment.
public struct Upstream: Sendable {
    public let url: URL
    public let hubOrigin: OriginID
    public let hubUnit: String
    public let key: PeerKey

    enum Name {
        static let url = "upstream.url"
        static let origin = "upstream.origin"
        static let unit = "upstream.unit"
        static let key = "upstream.key"
        static let pushCursor = "sync.push_cursor"
        static let pullCursor = "sync.pull_cursor"
        static let lastSuccess = "sync.last_success_ms"
        static let lastAttempt = "sync.last_attempt_ms"
        static let lastError = "sync.last_error"
        static let clockOffset = "sync.clock_offset_ms"
        /// A random name for this replica's log, sent with every push: a restore from a
        /// backup makes a new one, so the hub does not hold the lost log's positions against it.
        static let logEpoch = "sync.log_epoch"
        /// The epoch of the hub's log as last seen: a new one means start again from 0.
        static let pullEpoch = "sync.pull_epoch"
        /// The hub's `Tre-Log-Mark` for the pull cursor: which change of its log the cursor
        /// stands on, sent back with the next pull so a hub whose log went back in time serves
        /// from the start instead of past what it now numbers there.
        static let pullMark = "sync.pull_mark"
        /// Set by a restore: the next pull starts at 0 and includes this replica's own changes.
        static let fullPullPending = "sync.full_pull_pending"
        /// The newest change-set format the hub said it reads (`ChangeSet.wireHeader`): 4 lets
        /// pushes name records by reference.
        static let hubWire = "sync.hub_wire"
        /// This replica's own dots up to this counter are never used as record references: the
        /// hub answered `unknown_reference` once when it held none of them (`RecordReferences`).
        static let referenceFloor = "sync.reference_floor"
    }

    /// The answer header naming the change a pull page ended on (`HubService.logMark`).
    public static let logMarkHeader = "Tre-Log-Mark"

    public init(url: URL, hubOrigin: OriginID, hubUnit: String, key: PeerKey) {
        self.url = url
        self.hubOrigin = hubOrigin
        self.hubUnit = hubUnit
        self.key = key
    }

    /// The upstream of `replica`, or nil when it has none (a province hub, an offline node).
    public static func load(from replica: Replica) throws -> Upstream? {
        guard let url = try replica.setting(Name.url).flatMap(URL.init(string:)),
            let origin = try replica.setting(Name.origin).flatMap(OriginID.init(string:)),
            let key = try replica.setting(Name.key).flatMap(PeerKey.init(hex:))
        else { return nil }
        return Upstream(url: url, hubOrigin: origin, hubUnit: try replica.setting(Name.unit) ?? "", key: key)
    }

    /// What a replica restored from a backup needs before it syncs again: a new log epoch (its
    /// hub must not hold the lost log's positions against it), cursors from 0, and a first
    /// pull that brings back its own changes the hub had received after the backup. Until that
    /// pull ends, existing records cannot be edited (`Replica.catchingUpSetting`); a replica
    /// with no hub has nothing to take back and edits at once.
    public static func prepareAfterRestore(_ replica: Replica) throws {
        try replica.storage.write { access in
            try access.setSetting(Name.logEpoch, nil)
            try access.setSetting(Name.pushCursor, nil)
            try access.setSetting(Name.pullCursor, nil)
            try access.setSetting(Name.pullEpoch, nil)
            try access.setSetting(Name.pullMark, nil)
            try access.setSetting(Name.fullPullPending, "1")
            // Own changes after the backup are lost with it and their counters may come again:
            // none made before the restore names a record.
            try raiseReferenceFloor(in: access)
            if try access.setting(Name.url) == nil { try access.setSetting(Replica.catchingUpSetting, nil) }
        }
    }

    /// Raises the floor of record references to this replica's counter, never lowering it: none
    /// of its changes so far names a record again (after a restore, and once the changes it took
    /// back from the hub have arrived). In the caller's transaction.
    static func raiseReferenceFloor(in access: any StorageAccess) throws {
        let counter = try access.meta()?.counter ?? 0
        let floor = try access.setting(Name.referenceFloor).flatMap(UInt64.init) ?? 0
        if counter > floor { try access.setSetting(Name.referenceFloor, String(counter)) }
    }

    /// Makes the next sync push this replica's whole log again (what its filter keeps), as a
    /// log of a new epoch: the hub above keeps the position it acknowledged per epoch and
    /// answers a set with the larger of that and the set's end, so with the old epoch it would
    /// move the cursor past entries it never received (those an earlier filter left out).
    /// What it holds comes back as duplicates, which it skips. For a hub whose upstream policy
    /// changed; in the caller's transaction.
    public static func restartPush(in access: any StorageAccess) throws {
        try access.setSetting(Name.pushCursor, nil)
        try access.setSetting(Name.logEpoch, nil)
    }

    public func save(to replica: Replica) throws {
        try replica.storage.write { access in
            try access.setSetting(Name.url, url.absoluteString)
            try access.setSetting(Name.origin, hubOrigin.description)
            try access.setSetting(Name.unit, hubUnit)
            try access.setSetting(Name.key, key.hex)
        }
    }
}

/// What `status` shows of a replica's sync.
public struct SyncStatus: Sendable {
    public let pushCursor: UInt64
    public let pullCursor: UInt64
    public let lastSuccessMillis: UInt64?
    public let lastAttemptMillis: UInt64?
    public let lastError: String?
    public let clockOffsetMillis: Int64?
    /// Own changes not yet acknowledged by the hub.
    public let waiting: Int

    public static func load(from replica: Replica, pushFilter: LogFilter) throws -> SyncStatus {
        let push = UInt64(try replica.setting(Upstream.Name.pushCursor) ?? "0") ?? 0
        var waiting = 0
        var cursor = push
        while true {
            let page = try replica.outgoingPage(after: cursor, filter: pushFilter, maxEntries: 50_000, maxBytes: .max)
            waiting += page.entries.count
            cursor = page.through
            if !page.hasMore { break }
        }
        return SyncStatus(
            pushCursor: push, pullCursor: UInt64(try replica.setting(Upstream.Name.pullCursor) ?? "0") ?? 0,
            lastSuccessMillis: try replica.setting(Upstream.Name.lastSuccess).flatMap(UInt64.init),
            lastAttemptMillis: try replica.setting(Upstream.Name.lastAttempt).flatMap(UInt64.init),
            lastError: try replica.setting(Upstream.Name.lastError),
            clockOffsetMillis: try replica.setting(Upstream.Name.clockOffset).flatMap(Int64.init), waiting: waiting)
    }
}

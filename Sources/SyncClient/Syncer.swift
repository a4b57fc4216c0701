import Foundation
public import SyncCore

/// Runs one `SyncSession` against a replica and its hub: reads the log, sends push sets,
/// applies pulled pages, and saves each cursor as soon as what it covers is safe, so a link
/// that drops loses at most the set in flight.
public struct Syncer: Sendable {
    public struct Progress: Sendable {
        public let phase: String
        public let changes: Int
        public let bytes: Int
    }

    public let replica: Replica
    public let upstream: Upstream
    public let client: HubClient
    /// Which of this replica's log entries go up: a node sends its own changes; a hub sends
    /// everything except what came from its upstream.
    public let pushFilter: LogFilter
    public var maxPushChanges = 2_000
    public var maxPushBytes = 1 << 20
    public var maxPullBytes = 1 << 20
    /// The preset dictionary pushes are compressed with and pulls may use.
    public let dictionary: WireDictionary?
    /// What each pushed change carries instead of its values, or nil to send them as they are:
    /// a relaying hub's upstream policy (`redacted` replaces personal values with null). Only
    /// the `set` it returns is used — the dot, stamp, context, record and unit go as logged, so
    /// the receiver merges the change where it belongs and later changes naming it do not wait
    /// for it. It must keep every field (a change sets at least one). The engine knows no
    /// domain: the caller says what to remove.
    public var pushTransform: (@Sendable (Change) -> Change)?
    /// A hub's gate for its pulls from the hub above: the pulled changes are trusted, but the
    /// parked changes of its own peers that they make ready are judged for those peers.
    public var pullGate: (@Sendable () throws -> any ChangeGate)?
    /// The version of the domain definition this replica's changes are written in, declared on
    /// every request (`definition=N`): the hub checks the values it is pushed against its own
    /// definition as a replica of that version sees it, so fields of a newer one are kept. The
    /// engine knows no definition; the caller says which (a relaying hub: the newest it relays).
    public let definition: Int

    /// `transport` nil: HTTP to the upstream's URL.
    public init(
        replica: Replica, upstream: Upstream, pushFilter: LogFilter, dictionary: WireDictionary?, definition: Int,
        transport: (any HubTransport)? = nil
    ) throws {
        precondition(definition >= 1, "a definition version is 1 or more")
        self.replica = replica
        self.upstream = upstream
        self.pushFilter = pushFilter
        self.dictionary = dictionary
        self.definition = definition
        let offset = try replica.setting(Upstream.Name.clockOffset).flatMap(Int64.init) ?? 0
        self.client = HubClient(
            baseURL: upstream.url, origin: replica.origin, key: upstream.key, time: replica.time,
            clockOffsetMillis: offset, transport: transport)
    }

    struct GapAnswer: Decodable {
        let expected: UInt64
    }

    /// Push then pull until both are done. Throws `SyncFailure` for the network and the hub,
    /// the store's errors for local problems.
    @discardableResult
    public func run(progress: (Progress) -> Void = { _ in }) async throws -> SyncSession.Report {
        try replica.setSetting(Upstream.Name.lastAttempt, String(replica.time.nowMillis()))
        let logEpoch = try Self.logEpoch(of: replica)
        let ownBack = try replica.setting(Upstream.Name.fullPullPending) != nil
        var session = SyncSession()
        // What the hub says it holds of our pushes (on each pull), and whether we went back once.
        var hubAcknowledged: String?
        var rewound = false
        // Pulls answered from the start of the hub's log in this sync.
        var restarts = 0
        var earlier = SyncSession.Report()
        var action = session.handle(
            .start(
                pushCursor: UInt64(try replica.setting(Upstream.Name.pushCursor) ?? "0") ?? 0,
                pullCursor: UInt64(try replica.setting(Upstream.Name.pullCursor) ?? "0") ?? 0))
        do {
            while true {
                switch action {
                case .readPushPage(let after):
                    let page = try replica.outgoingPage(
                        after: after, filter: pushFilter, maxEntries: maxPushChanges, maxBytes: maxPushBytes)
                    action = session.handle(.pushPageRead(page))
                case .sendPush(let from, let to, let entries):
                    let set = ChangeSet(
                        kind: .push, sender: replica.origin, from: from, to: to,
                        changes: entries.map { Self.outgoing($0.change, pushTransform) })
                    let response = try await push(set, epoch: logEpoch)
                    if response.status == 409 {
                        let gap = try decode(GapAnswer.self, response)
                        action = session.handle(.pushGap(expected: gap.expected))
                    } else {
                        let answer = try decode(PushAnswer.self, response)
                        guard answer.acknowledged >= from, answer.acknowledged <= Change.maximumCounter else {
                            throw SyncFailure.protocolViolation(
                                "the hub acknowledged position \(answer.acknowledged) for a set after \(from)")
                        }
                        try record(answer, sent: entries, acknowledged: answer.acknowledged)
                        action = session.handle(.pushAcknowledged(position: answer.acknowledged))
                    }
                    progress(Progress(phase: "push", changes: session.report.pushed, bytes: client.bodyBytes.sent))
                case .requestPull(let after):
                    var query = "after=\(after)&max_bytes=\(maxPullBytes)&definition=\(definition)"
                    if let epoch = try replica.setting(Upstream.Name.pullEpoch) { query += "&epoch=\(epoch)" }
                    if after > 0, let mark = try replica.setting(Upstream.Name.pullMark) { query += "&mark=\(mark)" }
                    if ownBack { query += "&own=1" }
                    let response = try await client.send("GET", "/v1/pull", query: query)
                    try noteWire(response)
                    let hubEpoch = response.header(RequestSignature.logEpochHeader) ?? ""
                    // Only the mark's shape is checked: a false one costs this replica a pull
                    // from the start, nothing else. A hub that sends none (0.5) clears it.
                    let hubMark = response.header(Upstream.logMarkHeader).flatMap { mark in
                        mark.utf8.count == 16
                            && mark.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
                            ? mark : nil
                    }
                    hubAcknowledged = response.header(RequestSignature.acknowledgedHeader)
                    let set: ChangeSet
                    do {
                        set = try ChangeSet.decode(
                            response.body, expecting: .pull, from: upstream.hubOrigin,
                            dictionaries: dictionary.map { [$0] } ?? []
                        ) { origin in
                            origin == upstream.hubOrigin ? upstream.key : nil
                        }
                    } catch {
                        switch error {
                        case .unsupportedVersion, .unknownDictionary:
                            // Retrying will not help: one of the two must be upgraded.
                            throw SyncFailure.protocolViolation("the pulled page: \(error)")
                        default:
                            // A page cut short or damaged on the way: the link, not the hub. Retry.
                            throw SyncFailure.unreachable("the pulled page arrived damaged (\(error.code))")
                        }
                    }
                    // From 0 instead of the cursor: the hub's log epoch changed (restored from a
                    // backup, or this replica's scope changed); start again (duplicates are skipped).
                    let restarted = set.from == 0 && after != 0
                    if restarted {
                        // An honest hub answers from the start once in a sync (a new epoch, or a
                        // position its log no longer holds); the pages after continue. Twice means
                        // the answers are rewritten on the way (the mark is not signed) or the hub
                        // is broken: stop, rather than fetch the first page for ever.
                        restarts += 1
                        guard restarts <= 1 else {
                            throw SyncFailure.protocolViolation(
                                "the hub answered from the start of its log twice in one sync (after \(after)); "
                                    + "something between this node and the hub may be altering its answers: use https")
                        }
                    }
                    guard set.from == after || restarted, set.to >= set.from, set.to <= Change.maximumCounter else {
                        throw SyncFailure.protocolViolation(
                            "asked for changes after \(after), got \(set.from)…\(set.to)")
                    }
                    try replica.apply(
                        set.changes, via: upstream.hubOrigin, gate: try pullGate?(),
                        alongside: { access in
                            try access.setSetting(Upstream.Name.pullCursor, String(set.to))
                            try access.setSetting(Upstream.Name.pullMark, hubMark)
                            if !hubEpoch.isEmpty { try access.setSetting(Upstream.Name.pullEpoch, hubEpoch) }
                            if ownBack && !set.hasMore {
                                try access.setSetting(Upstream.Name.fullPullPending, nil)
                                try access.setSetting(Replica.catchingUpSetting, nil)
                                // The changes taken back may reuse counters of a life the hub
                                // also knows (a backup restored twice): none names a record.
                                try Upstream.raiseReferenceFloor(in: access)
                            }
                        })
                    let changes = set.changes.count
                    action = session.handle(
                        restarted
                            ? .pullRestarted(through: set.to, hasMore: set.hasMore, changes: changes)
                            : .pullApplied(through: set.to, hasMore: set.hasMore, changes: changes))
                    progress(Progress(phase: "pull", changes: session.report.pulled, bytes: client.bodyBytes.received))
                case .finish(var report):
                    report.pushed += earlier.pushed
                    report.pushSets += earlier.pushSets
                    report.pulled += earlier.pulled
                    report.pullPages += earlier.pullPages
                    // A hub restored from a backup holds less of our log than we were told: go
                    // back to what it holds and push again, once.
                    if !rewound, let behind = Self.rewind(hubAcknowledged, epoch: logEpoch, cursor: report.pushCursor) {
                        rewound = true
                        earlier = report
                        try replica.setSetting(Upstream.Name.pushCursor, String(behind))
                        session = SyncSession()
                        action = session.handle(.start(pushCursor: behind, pullCursor: report.pullCursor))
                        continue
                    }
                    try replica.storage.write { access in
                        try access.setSetting(Upstream.Name.lastSuccess, String(replica.time.nowMillis()))
                        try access.setSetting(Upstream.Name.lastError, nil)
                        try access.setSetting(Upstream.Name.clockOffset, String(client.clockOffsetMillis))
                    }
                    return report
                case .fail(let reason):
                    throw SyncFailure.protocolViolation(reason)
                }
            }
        } catch {
            try? replica.storage.write { access in
                try access.setSetting(Upstream.Name.lastError, "\(error)")
                try access.setSetting(Upstream.Name.clockOffset, String(client.clockOffsetMillis))
            }
            throw error
        }
    }

    /// Sends one push set: naming records by reference when the hub reads format 4, and again
    /// naming them by id when the hub does not hold a change a reference names (`unknown_reference`:
    /// the floor rises to just below this set's own changes) or turns out not to read format 4.
    private func push(_ set: ChangeSet, epoch: String) async throws -> HubResponse {
        var referencing = try references()
        while true {
            do {
                let response = try await client.send(
                    "POST", "/v1/push", query: "epoch=\(epoch)&definition=\(definition)",
                    body: set.encode(key: upstream.key, dictionary: dictionary, referencing: referencing),
                    contentType: "application/x-tre-changeset")
                try noteWire(response)
                return response
            } catch SyncFailure.refused(_, "unknown_reference", _, _) where referencing != nil {
                // Below this set's own changes, which go now, so the hub will hold them; never
                // lower than it was (a restored node's set may carry changes from before its
                // floor, taken back from the hub). When it cannot rise, this set names only
                // records written earlier in itself; a hub that refuses that too is not honest.
                let current = referencing!.floor
                guard current < UInt64.max else {
                    throw SyncFailure.protocolViolation(
                        "the hub answered unknown_reference to a set that names no record outside itself")
                }
                let lowest = set.changes.lazy.filter { $0.dot.origin == set.sender }.map(\.dot.counter).min()
                let floor = max(current, try lowest.map { max(1, $0) - 1 } ?? replica.meta().counter)
                if floor > current {
                    try replica.setSetting(Upstream.Name.referenceFloor, String(floor))
                    referencing = RecordReferences(floor: floor)
                } else {
                    referencing = RecordReferences(floor: .max)
                }
            } catch SyncFailure.refused(_, "unsupported_version", _, _) where referencing != nil {
                try replica.setSetting(Upstream.Name.hubWire, String(ChangeSet.formatVersion))
                referencing = nil
            }
        }
    }

    /// How pushes name records: by reference above the floor when the hub last said it reads
    /// format 4, else (nil) by id.
    private func references() throws -> RecordReferences? {
        guard let wire = try replica.setting(Upstream.Name.hubWire).flatMap(UInt8.init),
            wire >= ChangeSet.referencingVersion
        else { return nil }
        return RecordReferences(floor: try replica.setting(Upstream.Name.referenceFloor).flatMap(UInt64.init) ?? 0)
    }

    /// Keeps the newest format the hub says it reads (none said: a hub of 0.5, format 3).
    private func noteWire(_ response: HubResponse) throws {
        let said = response.header(ChangeSet.wireHeader).flatMap(UInt8.init) ?? ChangeSet.formatVersion
        let wire = min(said, ChangeSet.referencingVersion)
        guard try replica.setting(Upstream.Name.hubWire) != String(wire) else { return }
        try replica.setSetting(Upstream.Name.hubWire, String(wire))
    }

    /// `change` as it goes up under `transform`: its values replaced, its identity kept.
    public static func outgoing(_ change: Change, _ transform: (@Sendable (Change) -> Change)?) -> Change {
        guard let transform else { return change }
        var sent = change
        sent.set = transform(change).set
        return sent
    }

    /// Where to push from again when the hub acknowledges less than `cursor` (its answer is
    /// `EPOCH:POSITION`; another epoch than ours holds nothing of our log). Nil: nothing to do.
    static func rewind(_ acknowledged: String?, epoch: String, cursor: UInt64) -> UInt64? {
        guard let acknowledged, cursor > 0 else { return nil }
        // Empty: the hub holds nothing of any epoch of ours. Unreadable or from before epochs:
        // nothing to compare.
        let position: UInt64
        if acknowledged.isEmpty {
            position = 0
        } else {
            guard let held = AcknowledgedPosition(acknowledged), held.epoch != nil else { return nil }
            position = held.position(for: epoch)
        }
        return position < cursor ? position : nil
    }

    /// This replica's log epoch, made the first time it is needed.
    static func logEpoch(of replica: Replica) throws -> String {
        try replica.storage.write { access in
            if let epoch = try access.setting(Upstream.Name.logEpoch) { return epoch }
            let epoch = String(PeerKey.random().hex.prefix(32))
            try access.setSetting(Upstream.Name.logEpoch, epoch)
            return epoch
        }
    }

    /// Moves the push cursor to what the hub acknowledged and, in the same transaction, keeps
    /// the changes it set aside (with its reasons) for `tre-node rejected`.
    private func record(_ answer: PushAnswer, sent entries: [LogEntry], acknowledged: UInt64) throws {
        let byDot = Dictionary(entries.map { ($0.change.dot, $0.change) }, uniquingKeysWith: { first, _ in first })
        let now = replica.time.nowMillis()
        try replica.storage.write { access in
            try access.setSetting(Upstream.Name.pushCursor, String(acknowledged))
            for item in answer.setAside {
                guard let origin = OriginID(string: item.origin),
                    let change = byDot[Dot(origin: origin, counter: item.counter)]
                else { continue }
                try access.setAside(
                    SetAsideEntry(
                        change: change, via: upstream.hubOrigin, code: item.code, detail: item.message, atMillis: now))
            }
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: HubResponse) throws(SyncFailure) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw .protocolViolation("\(T.self): \(error)")
        }
    }
}

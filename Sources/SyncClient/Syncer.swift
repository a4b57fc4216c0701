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

    public init(replica: Replica, upstream: Upstream, pushFilter: LogFilter, dictionary: WireDictionary?) throws {
        self.replica = replica
        self.upstream = upstream
        self.pushFilter = pushFilter
        self.dictionary = dictionary
        let offset = try replica.setting(Upstream.Name.clockOffset).flatMap(Int64.init) ?? 0
        self.client = HubClient(
            baseURL: upstream.url, origin: replica.origin, key: upstream.key, time: replica.time,
            clockOffsetMillis: offset)
    }

    struct PushAnswer: Decodable {
        let acknowledged: UInt64
    }

    struct GapAnswer: Decodable {
        let expected: UInt64
    }

    /// Push then pull until both are done. Throws `SyncFailure` for the network and the hub,
    /// the store's errors for local problems.
    @discardableResult
    public func run(progress: (Progress) -> Void = { _ in }) async throws -> SyncSession.Report {
        try replica.setSetting(Upstream.Name.lastAttempt, String(replica.time.nowMillis()))
        var session = SyncSession()
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
                        kind: .push, sender: replica.origin, from: from, to: to, changes: entries.map(\.change))
                    let response = try await client.send(
                        "POST", "/v1/push", body: set.encode(key: upstream.key, dictionary: dictionary),
                        contentType: "application/x-tre-changeset")
                    if response.status == 409 {
                        let gap = try decode(GapAnswer.self, response)
                        action = session.handle(.pushGap(expected: gap.expected))
                    } else {
                        let answer = try decode(PushAnswer.self, response)
                        try replica.setSetting(Upstream.Name.pushCursor, String(answer.acknowledged))
                        action = session.handle(.pushAcknowledged(position: answer.acknowledged))
                    }
                    progress(Progress(phase: "push", changes: session.report.pushed, bytes: client.bodyBytes.sent))
                case .requestPull(let after):
                    let response = try await client.send(
                        "GET", "/v1/pull", query: "after=\(after)&max_bytes=\(maxPullBytes)")
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
                    guard set.from == after else {
                        throw SyncFailure.protocolViolation("asked for changes after \(after), got after \(set.from)")
                    }
                    // The set starts at the cursor (checked above), so the cursor moves to its end.
                    try upstream.applyPulled([set], to: replica)
                    action = session.handle(
                        .pullApplied(through: set.to, hasMore: set.hasMore, changes: set.changes.count))
                    progress(Progress(phase: "pull", changes: session.report.pulled, bytes: client.bodyBytes.received))
                case .finish(let report):
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

    private func decode<T: Decodable>(_ type: T.Type, _ response: HubResponse) throws(SyncFailure) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw .protocolViolation("\(T.self): \(error)")
        }
    }
}

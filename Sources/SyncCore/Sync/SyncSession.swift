/// One sync with a hub, as a state machine: push this replica's log in bounded sets until the
/// hub has all of it, then pull the hub's log in bounded pages until none is left. Each event
/// returns the next action; the caller does the I/O (reading the log, HTTP, applying, saving
/// cursors) and feeds back what happened. No network, no storage, no clock in here, so every
/// path, retries included, is tested directly.
public struct SyncSession: Sendable {
    public enum State: Hashable, Sendable {
        case idle
        case pushing(cursor: UInt64)
        case pulling(cursor: UInt64)
        case finished
        case failed
    }

    public enum Event: Sendable {
        case start(pushCursor: UInt64, pullCursor: UInt64)
        /// The next page of the log to push (the caller read it after the push cursor).
        case pushPageRead(LogPage)
        /// The hub applied a set and acknowledges everything up to `position`.
        case pushAcknowledged(position: UInt64)
        /// The hub expects sets to start after `expected` (it missed or already has some).
        case pushGap(expected: UInt64)
        /// The caller applied a pulled page and saved the cursor `through`.
        case pullApplied(through: UInt64, hasMore: Bool, changes: Int)
        /// The hub answered from the start of its log, not after the cursor: its log was
        /// restored or the caller's scope changed (a new epoch). The caller applied the page and
        /// saved the cursor `through`, which may be behind the old one.
        case pullRestarted(through: UInt64, hasMore: Bool, changes: Int)
    }

    public enum Action: Hashable, Sendable {
        case readPushPage(after: UInt64)
        /// Send these log entries as a push set covering (from, to].
        case sendPush(from: UInt64, to: UInt64, entries: [LogEntry])
        case requestPull(after: UInt64)
        case finish(Report)
        case fail(reason: String)
    }

    public struct Report: Hashable, Sendable {
        public var pushed = 0
        public var pushSets = 0
        public var pulled = 0
        public var pullPages = 0
        public var pushCursor: UInt64 = 0
        public var pullCursor: UInt64 = 0

        public init() {}
    }

    public private(set) var state: State = .idle
    public private(set) var report = Report()
    private var pullStart: UInt64 = 0
    private var gaps = 0
    private var pending = 0
    /// Consecutive gap answers tolerated before giving up (a hub that keeps moving its
    /// expectation is broken, and looping would waste the night's link).
    public static let maximumGaps = 3

    public init() {}

    public mutating func handle(_ event: Event) -> Action {
        switch (state, event) {
        case (.idle, .start(let push, let pull)):
            state = .pushing(cursor: push)
            pullStart = pull
            report.pushCursor = push
            report.pullCursor = pull
            return .readPushPage(after: push)

        case (.pushing(let cursor), .pushPageRead(let page)):
            // Nothing of ours after the cursor (the page skipped only changes that came from
            // elsewhere, the hub's among them): no request to say so. The cursor stays where the
            // hub's acknowledgement put it, so the next set starts there and covers the skipped
            // range too, and the hub's position and ours never part. Only a page cut short by
            // its bounds (more to read) still moves the position with an empty set.
            if page.entries.isEmpty && (!page.hasMore || page.through <= cursor) {
                state = .pulling(cursor: pullStart)
                return .requestPull(after: pullStart)
            }
            pending = page.entries.count
            return .sendPush(from: cursor, to: max(page.through, cursor), entries: page.entries)

        case (.pushing(let cursor), .pushAcknowledged(let position)):
            guard position >= cursor else {
                state = .failed
                return .fail(reason: "the hub acknowledged position \(position), behind \(cursor)")
            }
            gaps = 0
            report.pushed += pending
            report.pushSets += 1
            pending = 0
            report.pushCursor = position
            state = .pushing(cursor: position)
            return .readPushPage(after: position)

        case (.pushing, .pushGap(let expected)):
            gaps += 1
            guard gaps <= Self.maximumGaps else {
                state = .failed
                return .fail(reason: "the hub answered \(gaps) position gaps in a row")
            }
            pending = 0
            report.pushCursor = expected
            state = .pushing(cursor: expected)
            return .readPushPage(after: expected)

        case (.pulling(let cursor), .pullApplied(let through, let hasMore, let changes)):
            guard through >= cursor else {
                state = .failed
                return .fail(reason: "the hub's page ends at \(through), behind \(cursor)")
            }
            return pulled(through: through, hasMore: hasMore, changes: changes)

        case (.pulling, .pullRestarted(let through, let hasMore, let changes)):
            return pulled(through: through, hasMore: hasMore, changes: changes)

        default:
            state = .failed
            return .fail(reason: "unexpected \(event) while \(state)")
        }
    }

    /// A page is applied and its cursor saved: the next page, or the end.
    private mutating func pulled(through: UInt64, hasMore: Bool, changes: Int) -> Action {
        report.pulled += changes
        report.pullPages += 1
        report.pullCursor = through
        if hasMore {
            state = .pulling(cursor: through)
            return .requestPull(after: through)
        }
        state = .finished
        return .finish(report)
    }
}

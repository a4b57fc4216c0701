import SyncCore
import TestSupport
import Testing

/// The sync session as a pure state machine: every path without a network.
@Suite struct SyncSessionTests {
    func entry(_ sequence: UInt64) -> LogEntry {
        LogEntry(
            sequence: sequence,
            change: Change(
                dot: Dot(origin: testOrigin(1), counter: sequence), stamp: Stamp(wallMillis: sequence, logical: 0),
                collection: "children", record: testRecord(sequence), unit: "17605", context: VersionVector(),
                set: ["@unit": "17605"]))
    }

    @Test func pushesPagesThenPullsPagesThenFinishes() {
        var session = SyncSession()
        #expect(session.handle(.start(pushCursor: 4, pullCursor: 10)) == .readPushPage(after: 4))
        let page = LogPage(entries: [entry(5), entry(6)], through: 6, hasMore: false)
        #expect(session.handle(.pushPageRead(page)) == .sendPush(from: 4, to: 6, entries: page.entries))
        #expect(session.handle(.pushAcknowledged(position: 6)) == .readPushPage(after: 6))
        #expect(
            session.handle(.pushPageRead(LogPage(entries: [], through: 6, hasMore: false))) == .requestPull(after: 10))
        #expect(session.handle(.pullApplied(through: 20, hasMore: true, changes: 7)) == .requestPull(after: 20))
        let finish = session.handle(.pullApplied(through: 25, hasMore: false, changes: 3))
        guard case .finish(let report) = finish else {
            Issue.record("expected finish, got \(finish)")
            return
        }
        #expect(report.pushed == 2)
        #expect(report.pulled == 10)
        #expect(report.pullPages == 2)
        #expect(report.pushCursor == 6)
        #expect(report.pullCursor == 25)
        #expect(session.state == .finished)
    }

    /// Only others' changes after the cursor (what this replica pulled): no empty set is sent
    /// (a round trip on a 2G link), the cursor stays, and the next set covers the skipped range.
    @Test func onlySkippedEntriesSendNothingAndTheNextSetCoversThem() {
        var session = SyncSession()
        _ = session.handle(.start(pushCursor: 3, pullCursor: 0))
        #expect(
            session.handle(.pushPageRead(LogPage(entries: [], through: 9, hasMore: false))) == .requestPull(after: 0))
        guard case .finish(let report) = session.handle(.pullApplied(through: 4, hasMore: false, changes: 4)) else {
            Issue.record("expected the end")
            return
        }
        #expect(report.pushCursor == 3)
        #expect(report.pushSets == 0)
        var next = SyncSession()
        _ = next.handle(.start(pushCursor: report.pushCursor, pullCursor: report.pullCursor))
        #expect(
            next.handle(.pushPageRead(LogPage(entries: [entry(12)], through: 12, hasMore: false)))
                == .sendPush(from: 3, to: 12, entries: [entry(12)]))
    }

    /// A page cut short by its bounds with nothing of ours in it still moves the position.
    @Test func aBoundedPageOfSkippedEntriesStillMovesThePosition() {
        var session = SyncSession()
        _ = session.handle(.start(pushCursor: 0, pullCursor: 0))
        #expect(
            session.handle(.pushPageRead(LogPage(entries: [], through: 9, hasMore: true)))
                == .sendPush(from: 0, to: 9, entries: []))
    }

    @Test func aGapRewindsToWhatTheHubExpects() {
        var session = SyncSession()
        _ = session.handle(.start(pushCursor: 8, pullCursor: 0))
        _ = session.handle(.pushPageRead(LogPage(entries: [entry(9)], through: 9, hasMore: false)))
        #expect(session.handle(.pushGap(expected: 3)) == .readPushPage(after: 3))
        #expect(session.state == .pushing(cursor: 3))
    }

    @Test func repeatedGapsGiveUp() {
        var session = SyncSession()
        _ = session.handle(.start(pushCursor: 8, pullCursor: 0))
        for _ in 0..<SyncSession.maximumGaps {
            _ = session.handle(.pushPageRead(LogPage(entries: [entry(9)], through: 9, hasMore: false)))
            _ = session.handle(.pushGap(expected: 8))
        }
        _ = session.handle(.pushPageRead(LogPage(entries: [entry(9)], through: 9, hasMore: false)))
        guard case .fail = session.handle(.pushGap(expected: 8)) else {
            Issue.record("a hub that keeps answering gaps must end the session")
            return
        }
        #expect(session.state == .failed)
    }

    @Test func anAcknowledgementGoingBackwardsIsRefused() {
        var session = SyncSession()
        _ = session.handle(.start(pushCursor: 8, pullCursor: 0))
        _ = session.handle(.pushPageRead(LogPage(entries: [entry(9)], through: 9, hasMore: false)))
        guard case .fail = session.handle(.pushAcknowledged(position: 2)) else {
            Issue.record("a backwards acknowledgement must fail")
            return
        }
    }

    @Test func eventsOutOfOrderFail() {
        var session = SyncSession()
        guard case .fail = session.handle(.pullApplied(through: 1, hasMore: false, changes: 0)) else {
            Issue.record("a pull before start must fail")
            return
        }
    }
}

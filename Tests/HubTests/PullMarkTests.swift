import Domain
import Foundation
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// A pull names the change its position stands on (`mark`); the hub serves from the start a
/// caller whose position its log no longer holds. What a caller says of its position can only
/// lengthen its own pull: another node's pull, the epoch and the log are untouched.
@Suite struct PullMarkTests {
    struct Page {
        let status: Int
        let from: UInt64
        let to: UInt64
        let changes: Int
        let epoch: String
        let mark: String
    }

    static func pull(
        _ service: HubService, _ node: Replica, _ peer: HubStore.Peer, after: UInt64, mark: String?
    ) async throws -> Page {
        let client = SignedAnswerTests.client(service, node, peer, SignedAnswerTests.Link(service: service) { $0 })
        var query = "after=\(after)"
        if let mark { query += "&mark=\(mark)" }
        let response = try await client.send("GET", "/v1/pull", query: query)
        let epoch = response.header(RequestSignature.logEpochHeader) ?? ""
        let mark = response.header(Upstream.logMarkHeader) ?? ""
        let set = try ChangeSet.decode(
            response.body, expecting: .pull, from: service.replica.origin,
            dictionaries: service.dictionary.map { [$0] } ?? []
        ) { _ in peer.key }
        return Page(
            status: response.status, from: set.from, to: set.to, changes: set.changes.count, epoch: epoch, mark: mark)
    }

    @Test func aFalseMarkOrPositionRestartsOnlyTheCallersOwnPull() async throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let service = try HubService.district(at: directory.path("district.sqlite"), clock: clock)
        let (a, peerA) = try service.enrolReplica(unit: "17605", clock: clock)
        let (b, peerB) = try service.enrolReplica(unit: "17605", clock: clock)
        // Three children written at the hub: three log entries both nodes may pull.
        for index in 1...3 {
            try service.replica.put("children", id: testRecord(UInt64(index)), unit: "17605", set: ["sex": "F"])
        }
        let end = try service.replica.lastSequence()
        let first = try await Self.pull(service, a, peerA, after: 0, mark: nil)
        #expect(first.status == 200 && first.from == 0 && first.to == end && first.changes == 3)
        #expect(first.mark.count == 16, "a page that ends on an entry names it")
        let epoch = first.epoch

        // The honest next pull: after the page's end, with its mark — served from there.
        let next = try await Self.pull(service, a, peerA, after: first.to, mark: first.mark)
        #expect(next.from == first.to && next.changes == 0 && next.mark == first.mark)

        // B lies: a mark of no change, a position past the log's end. It is served from the start.
        let falseMark = try await Self.pull(service, b, peerB, after: first.to, mark: "0123456789abcdef")
        #expect(falseMark.status == 200 && falseMark.from == 0 && falseMark.changes == 3)
        let beyond = try await Self.pull(service, b, peerB, after: end + 1_000, mark: nil)
        #expect(beyond.status == 200 && beyond.from == 0 && beyond.changes == 3)
        // A mark that is not 16 hex digits is refused, saying what is expected.
        do {
            _ = try await Self.pull(service, b, peerB, after: first.to, mark: "ZZ")
            Issue.record("a malformed mark was taken")
        } catch {
            #expect("\(error)".contains("400 bad_mark"))
        }

        // Nothing else moved: A is still served from its position, under the same epoch, and
        // the log is as long as before.
        let after = try await Self.pull(service, a, peerA, after: first.to, mark: first.mark)
        #expect(after.from == first.to && after.changes == 0 && after.epoch == epoch)
        #expect(try service.replica.lastSequence() == end)
        #expect(
            service.metrics.exposition(conflicts: 0, peers: []).contains(
                Array("tre_hub_pulls_restarted_total{reason=\"other_entry\"} 1".utf8)))
    }

    /// Someone on a plain-HTTP link rewrites every page's mark (it is not under the answer's
    /// signature): each next pull names a change the hub does not hold there and is served from
    /// the start again. The node stops at the second restart instead of pulling page one for ever.
    @Test func aRewrittenMarkCannotKeepANodePullingForEver() async throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let service = try HubService.district(at: directory.path("district.sqlite"), clock: clock)
        let (node, peer) = try service.enrolReplica(unit: "17605", clock: clock)
        for index in 1...60 {
            try service.replica.put(
                "children", id: testRecord(UInt64(index)), unit: "17605",
                set: ["sex": "F", "notes": .string(String(repeating: "ghi chú \(index) ", count: 20))])
        }
        let pulls = Counter()
        // Rewritten for the first 40 pulls only, so that a node that never stops still ends.
        let link = SignedAnswerTests.Link(service: service) { answer in
            guard answer.headers[Upstream.logMarkHeader] != nil, pulls.next() <= 40 else { return answer }
            var headers = answer.headers
            headers[Upstream.logMarkHeader] = "0123456789abcdef"
            return HubResponse(status: answer.status, headers: headers, body: answer.body)
        }
        var syncer = try Syncer(
            replica: node,
            upstream: Upstream(
                url: URL(string: "http://hub.invalid")!, hubOrigin: service.replica.origin, hubUnit: "415",
                key: peer.key),
            pushFilter: LogFilter(onlyOrigin: node.origin), dictionary: service.dictionary,
            definition: DomainDefinition.current.version, transport: link)
        syncer.maxPullBytes = 1024
        // Page one, page two (asked with a rewritten mark, so served from the start), and the
        // next, asked with a rewritten mark again: the second restart, refused.
        do {
            try await syncer.run()
            Issue.record("the sync ended after \(pulls.count) pulls under rewritten marks")
        } catch {
            #expect("\(error)".contains("from the start of its log twice"), "\(error)")
        }
        #expect(pulls.count == 3, "pulls: \(pulls.count)")
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.withLock {
                value += 1
                return value
            }
        }
        var count: Int { lock.withLock { value } }
    }
}

extension [UInt8] {
    fileprivate func contains(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

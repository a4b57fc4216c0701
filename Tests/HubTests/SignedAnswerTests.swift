import Foundation
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// Answers are authenticated: whatever sits between a node and its hub cannot make the node
/// believe an acknowledgement, a clock or an epoch the hub did not sign for this request.
@Suite struct SignedAnswerTests {
    /// Carries requests to `HubServer.handle` in the same process, and lets the test alter the
    /// answer on its way back, as someone on the link would.
    final class Link: HubTransport, @unchecked Sendable {
        let service: HubService
        let alter: @Sendable (HubResponse) -> HubResponse

        init(service: HubService, alter: @escaping @Sendable (HubResponse) -> HubResponse) {
            self.service = service
            self.alter = alter
        }

        func exchange(_ request: HubRequest) async throws(SyncFailure) -> HubResponse {
            let parts = request.pathAndQuery.split(separator: "?", maxSplits: 1)
            var parameters: [String: String] = [:]
            for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
                let item = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                parameters[String(item[0])] = item.count > 1 ? String(item[1]) : ""
            }
            let reply = HubServer.handle(
                HubServer.Exchange(
                    method: request.method, path: String(parts[0]), pathAndQuery: request.pathAndQuery,
                    parameters: parameters, headers: request.headers, body: request.body),
                service: service)
            return alter(HubResponse(status: reply.status, headers: reply.headers, body: reply.body))
        }
    }

    static func client(
        _ service: HubService, _ node: Replica, _ peer: HubStore.Peer, _ link: any HubTransport
    ) -> HubClient {
        HubClient(
            baseURL: URL(string: "http://hub.invalid")!, origin: node.origin, key: peer.key, time: node.time,
            transport: link)
    }

    @Test func aForgedOrAlteredAnswerIsNeverBelieved() async throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let service = try HubService.district(at: directory.path("district.sqlite"), clock: clock)
        let (node, peer) = try service.enrolReplica(unit: "17605", clock: clock)
        try node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        let body = ChangeSet(kind: .push, sender: node.origin, from: 0, to: 1, changes: try node.allChanges()).encode(
            key: peer.key)

        // Untouched: signed by the hub for this request.
        let honest = Self.client(service, node, peer, Link(service: service) { $0 })
        #expect(try await honest.send("GET", "/v1/status").verified)

        // An acknowledgement pushed further by someone on the link: the signature no longer fits.
        let inflated = Link(service: service) { answer in
            let text = String(decoding: answer.body, as: UTF8.self).replacingOccurrences(
                of: "\"acknowledged\":1", with: "\"acknowledged\":99")
            return HubResponse(status: answer.status, headers: answer.headers, body: Array(text.utf8))
        }
        await #expect(throws: SyncFailure.self) {
            _ = try await Self.client(service, node, peer, inflated).send("POST", "/v1/push", body: body)
        }
        // An answer signed with another key, or not signed at all, or a signed answer to
        // another request replayed: none is believed.
        let stranger = Link(service: service) { answer in
            var headers = answer.headers
            headers[RequestSignature.responseSignatureHeader] = RequestSignature.signResponse(
                key: .random(), nonce: "", status: answer.status,
                hubTime: headers[RequestSignature.hubTimeHeader] ?? "",
                epoch: "", acknowledged: "", body: answer.body)
            return HubResponse(status: answer.status, headers: headers, body: answer.body)
        }
        let unsigned = Link(service: service) { answer in
            var headers = answer.headers
            headers[RequestSignature.responseSignatureHeader] = nil
            return HubResponse(status: answer.status, headers: headers, body: answer.body)
        }
        let recorded = try await honest.send("GET", "/v1/status")
        let replayed = Link(service: service) { _ in recorded }
        for link in [stranger, unsigned, replayed] {
            await #expect(throws: SyncFailure.self) {
                _ = try await Self.client(service, node, peer, link).send("GET", "/v1/status")
            }
        }
        // A forged far-off hub time in an unsigned answer is not kept as the clock offset.
        let skewed = Link(service: service) { answer in
            var headers = answer.headers
            headers[RequestSignature.hubTimeHeader] = String(Int64.max)
            headers[RequestSignature.responseSignatureHeader] = nil
            return HubResponse(status: answer.status, headers: headers, body: answer.body)
        }
        let client = Self.client(service, node, peer, skewed)
        _ = try? await client.send("GET", "/v1/status")
        #expect(client.clockOffsetMillis == 0)
    }

    /// Delivers the first request twice, as libcurl does when the kept connection died under it
    /// after the hub had read it, and answers with the second delivery's answer.
    final class Twice: HubTransport, @unchecked Sendable {
        let link: Link
        private let lock = NSLock()
        private var deliveries = 0

        init(_ link: Link) { self.link = link }

        func exchange(_ request: HubRequest) async throws(SyncFailure) -> HubResponse {
            let first = lock.withLock {
                deliveries += 1
                return deliveries == 1
            }
            if first { _ = try await link.exchange(request) }
            return try await link.exchange(request)
        }
    }

    @Test func aRequestTheLinkDeliveredTwiceIsSentAgainWithANewNonce() async throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let service = try HubService.district(at: directory.path("district.sqlite"), clock: clock)
        let (node, peer) = try service.enrolReplica(unit: "17605", clock: clock)
        try node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        let body = ChangeSet(kind: .push, sender: node.origin, from: 0, to: 1, changes: try node.allChanges()).encode(
            key: peer.key)
        let before = try service.replica.counts().lastSequence
        // The second copy is refused as a replay (the hub keeps every nonce); the client signs
        // the request again and the hub takes the set as the duplicate it is.
        let twice = try await Self.client(service, node, peer, Twice(Link(service: service) { $0 })).send(
            "POST", "/v1/push", body: body)
        #expect(twice.status == 200 && twice.verified)
        #expect(String(decoding: twice.body, as: UTF8.self).contains("\"acknowledged\":1"))
        #expect(try service.replica.counts().lastSequence == before + 1, "the change once in the hub's log")
    }
}

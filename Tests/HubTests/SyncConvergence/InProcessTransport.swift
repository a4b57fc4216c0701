import Domain
import Foundation
import SyncClient
import SyncCore
import TestSupport

@testable import Hub

/// What the test counts while it runs, to show what the schedules exercised.
struct Exercised: CustomStringConvertible {
    var schedules = 0
    var steps = 0
    var creations = 0
    var edits = 0
    var deletes = 0
    var restoredRecords = 0
    var movesByNodes = 0
    var movesByStaff = 0
    var movesWithinDistrict = 0
    var movesAcrossDistricts = 0
    var movesToOrFromDirectCommune = 0
    var resolutions = 0
    var syncs = 0
    var syncsCutShort = 0
    var pushSets = 0
    var pullPages = 0
    var requests = 0
    var droppedRequests = 0
    var droppedAnswers = 0
    var duplicatedRequests = 0
    var resentRequests = 0
    var replayedRequests = 0
    var replaysAccepted = 0
    var gaps = 0
    var linksCut = 0
    var hubCrashes = 0
    var nodeCrashes = 0
    var hubRestarts = 0
    var backups = 0
    var nodeRestores = 0
    var editsLostWithMachine = 0
    var forged = 0
    var forgedSetAside = 0
    var fieldConflicts = 0
    var unitConflicts = 0
    var deleteConflicts = 0

    mutating func add(_ other: Exercised) {
        for path in Self.counters { self[keyPath: path] += other[keyPath: path] }
    }

    static var counters: [WritableKeyPath<Exercised, Int>] {
        [
            \.schedules, \.steps, \.creations, \.edits, \.deletes, \.restoredRecords, \.movesByNodes, \.movesByStaff,
            \.movesWithinDistrict, \.movesAcrossDistricts, \.movesToOrFromDirectCommune, \.resolutions, \.syncs,
            \.syncsCutShort, \.pushSets, \.pullPages, \.requests, \.droppedRequests, \.droppedAnswers,
            \.duplicatedRequests, \.resentRequests, \.replayedRequests, \.replaysAccepted, \.gaps, \.linksCut,
            \.hubCrashes, \.nodeCrashes, \.hubRestarts, \.backups, \.nodeRestores, \.editsLostWithMachine, \.forged,
            \.forgedSetAside, \.fieldConflicts, \.unitConflicts, \.deleteConflicts,
        ]
    }

    var description: String {
        """
        \(schedules) schedules, \(steps) steps; edits: \(creations) creations, \(edits) field edits, \
        \(deletes) deletes, \(restoredRecords) restores of records, \(resolutions) resolutions; \
        moves: \(movesByNodes) by nodes, \(movesByStaff) by hub staff (\(movesWithinDistrict) within a district, \
        \(movesAcrossDistricts) across districts, \(movesToOrFromDirectCommune) to or from the direct commune); \
        conflicts at the end: \(fieldConflicts) fields, \(unitConflicts) owning unit, \(deleteConflicts) delete; \
        syncs: \(syncs) (\(syncsCutShort) cut short), \(pushSets) push sets, \(pullPages) pull pages, \
        \(requests) requests; faults: \(droppedRequests) requests dropped, \(droppedAnswers) answers dropped, \
        \(duplicatedRequests) delivered twice, \(resentRequests) re-sent, \(replayedRequests) old ones replayed \
        (\(replaysAccepted) after a restart), \(gaps) gaps, \(linksCut) links cut, \(hubCrashes) hub crashes \
        mid-push, \(nodeCrashes) crashes mid-apply of a pull, \(hubRestarts) hub restarts, \(backups) backups, \
        \(nodeRestores) nodes restored (\(editsLostWithMachine) unsent edits lost with the machine); \
        dishonest: \(forged) forged changes, \(forgedSetAside) set aside
        """
    }
}

/// How one sync step's link behaves, drawn from its seed.
struct LinkPlan {
    /// Percent of requests that meet a fault.
    var faultPercent = 0
    /// The link goes down for good after this many requests.
    var requestsBeforeCut: Int?
    var seed: UInt64 = 0

    static let clean = LinkPlan()

    var isFaulty: Bool { faultPercent > 0 || requestsBeforeCut != nil }
}

/// The hub, in this process, behind the transport `HubClient` uses: the request it signed is
/// authenticated, routed and answered by the hub's own code (`HubService`), and the answer is
/// signed as `HubServer` signs it. Faults happen here: requests or answers lost, requests
/// delivered twice or re-sent, an old request replayed, the hub crashing mid-push, the client
/// crashing while it applies a pulled page, the link cut.
final class InProcessTransport: HubTransport, @unchecked Sendable {
    enum Fault {
        case dropRequest, dropAnswer, duplicate, resend, replayOld, crashHub, crashClient
    }

    let hub: SimulatedHub
    let client: OriginID
    let key: PeerKey
    /// The client's crash switch (armed before it applies a page it pulled).
    let clientCrash: CrashSwitch?
    var plan: LinkPlan
    var random: SeededGenerator
    var stats: Exercised
    /// Changes the hub applied or held already when a push returned (whatever became of the answer).
    var delivered: Set<Dot> = []
    /// The client crashed applying a pull: the caller must open it again.
    var clientCrashed = false

    init(hub: SimulatedHub, client: OriginID, key: PeerKey, clientCrash: CrashSwitch?, plan: LinkPlan) {
        self.hub = hub
        self.client = client
        self.key = key
        self.clientCrash = clientCrash
        self.plan = plan
        self.random = SeededGenerator(seed: plan.seed)
        self.stats = Exercised()
    }

    func exchange(_ request: HubRequest) async throws(SyncFailure) -> HubResponse {
        stats.requests += 1
        if let left = plan.requestsBeforeCut {
            if left == 0 {
                stats.linksCut += 1
                throw .unreachable("the link is down (planted by the test)")
            }
            plan.requestsBeforeCut = left - 1
        }
        let isPush = request.pathAndQuery.hasPrefix("/v1/push")
        var fault: Fault?
        if plan.faultPercent > 0 && Int.random(in: 0..<100, using: &random) < plan.faultPercent {
            // Crashes twice as often as the rest: a push's own, a pull's the client's.
            let faults: [Fault] =
                isPush
                ? [.dropRequest, .dropAnswer, .duplicate, .resend, .replayOld, .crashHub, .crashHub]
                : [.dropRequest, .dropAnswer, .duplicate, .resend, .replayOld, .crashClient, .crashClient]
            fault = faults.randomElement(using: &random)
        }
        switch fault {
        case .dropRequest:
            stats.droppedRequests += 1
            throw .unreachable("the request was lost (planted by the test)")
        case .replayOld:
            if let old = hub.received[client] {
                stats.replayedRequests += 1
                if try deliver(old).status != 401 { stats.replaysAccepted += 1 }
            }
        case .crashHub:
            hub.crash.arm()
        default: break
        }
        var response = try deliver(request)
        if isPush { hub.received[client] = request }
        switch fault {
        case .dropAnswer:
            stats.droppedAnswers += 1
            throw .unreachable("the answer was lost (planted by the test)")
        case .duplicate:
            stats.duplicatedRequests += 1
            // The same bytes again: its nonce was used, the hub must refuse it.
            let again = try deliver(request)
            guard again.status == 401 else {
                throw .protocolViolation("the hub accepted a request delivered twice (status \(again.status))")
            }
        case .resend:
            // The client's retry: the same body, signed again.
            stats.resentRequests += 1
            response = try deliver(resigned(request))
        case .crashClient where response.status == 200:
            stats.nodeCrashes += 1
            clientCrash?.arm()
            clientCrashed = true
        default: break
        }
        if response.status == 409 { stats.gaps += 1 }
        return response
    }

    private func resigned(_ request: HubRequest) -> HubRequest {
        var headers = request.headers
        let time = UInt64(headers[RequestSignature.timeHeader] ?? "") ?? hub.clock.nowMillis()
        for (name, value) in RequestSignature.headers(
            origin: client, key: key, method: request.method, pathAndQuery: request.pathAndQuery, timeMillis: time,
            body: request.body)
        {
            headers[name] = value
        }
        return HubRequest(
            method: request.method, pathAndQuery: request.pathAndQuery, headers: headers, body: request.body)
    }

    /// One request through the hub's code, answered as `HubServer.signed` answers it. A hub
    /// that crashed (planted) restarts, and the client sees no answer unless the hub had answered
    /// first; any other failure of the hub is the test's failure.
    private func deliver(_ request: HubRequest) throws(SyncFailure) -> HubResponse {
        let service = hub.service
        let parts = request.pathAndQuery.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? ""
        var query: [String: String] = [:]
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let item = pair.split(separator: "=", maxSplits: 1).map(String.init)
            query[item[0]] = item.count > 1 ? item[1] : ""
        }
        var status = 200
        var body: [UInt8] = []
        var epoch = ""
        var acknowledged = ""
        let peer: HubStore.Peer
        do {
            do {
                peer = try service.authenticate(
                    method: request.method, pathAndQuery: request.pathAndQuery, header: { request.headers[$0] },
                    body: request.body)
            } catch let refusal as HubRefusal {
                // Unsigned, as the router answers a request that does not authenticate.
                return HubResponse(
                    status: refusal.statusCode,
                    headers: [RequestSignature.hubTimeHeader: String(service.nowMillis)], body: refusal.json)
            }
            do {
                switch (request.method, path) {
                case ("POST", "/v1/push"):
                    body = try service.push(
                        peer: peer, body: request.body, epoch: query["epoch"] ?? "",
                        definition: try HubServer.declaredDefinition(query))
                    noteDelivered(request.body, key: peer.key)
                case ("GET", "/v1/pull"):
                    let page = try service.pull(
                        peer: peer, after: UInt64(query["after"] ?? "") ?? 0,
                        maxBytes: query["max_bytes"].flatMap { Int($0) } ?? (1 << 20), epoch: query["epoch"],
                        own: query["own"] == "1", definition: try HubServer.declaredDefinition(query))
                    body = page.bytes
                    epoch = page.epoch
                    acknowledged = try service.replica.setting(HubService.positionSetting(peer.origin)) ?? ""
                default:
                    throw HubRefusal(statusCode: 404, code: "not_found", message: path, hint: "")
                }
            } catch let refusal as HubRefusal {
                status = refusal.statusCode
                body = refusal.json
            }
        } catch {
            guard hub.crash.disarm() else { throw .protocolViolation("the hub failed: \(error)") }
            stats.hubCrashes += 1
            restartHub()
            throw .unreachable("the hub crashed mid-request (planted by the test)")
        }
        if hub.crash.disarm() {
            // The hub crashed after it answered (a fault that answers before applying).
            stats.hubCrashes += 1
            restartHub()
        }
        let now = String(service.nowMillis)
        let nonce = request.headers[RequestSignature.nonceHeader] ?? ""
        return HubResponse(
            status: status,
            headers: [
                RequestSignature.hubTimeHeader: now, RequestSignature.logEpochHeader: epoch,
                RequestSignature.acknowledgedHeader: acknowledged,
                RequestSignature.responseSignatureHeader: RequestSignature.signResponse(
                    key: peer.key, nonce: nonce, status: status, hubTime: now, epoch: epoch, acknowledged: acknowledged,
                    body: body),
            ], body: body)
    }

    private func restartHub() {
        stats.hubRestarts += 1
        do {
            try hub.restart()
        } catch {
            fatalError("the hub at \(hub.path) does not open again after a crash: \(error)")
        }
    }

    private func noteDelivered(_ body: [UInt8], key: PeerKey) {
        guard
            let set = try? ChangeSet.decode(
                body, expecting: .push, from: client, dictionaries: [WireVocabulary.dictionary], key: { _ in key })
        else { return }
        for change in set.changes { delivered.insert(change.dot) }
    }
}

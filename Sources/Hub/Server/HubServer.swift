import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SyncClient
import SyncCore

extension HubRefusal: HTTPResponseError {
    var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        HubServer.bytes(json, status: statusCode, contentType: "application/json")
    }
}

/// The hub's HTTP face: routes carry bytes to and from `HubService`. Kept apart from `serve`
/// so tests can run the router in-process.
enum HubServer {
    static let changeSetType = "application/x-tre-changeset"

    static func bytes(_ bytes: [UInt8], status: Int = 200, contentType: String, hubTime: UInt64? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[HTTPField.Name(RequestSignature.hubTimeHeader)!] = String(hubTime ?? SystemTimeSource().nowMillis())
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func header(_ request: Request) -> (String) -> String? {
        { name in HTTPField.Name(name).flatMap { request.headers[$0] } }
    }

    /// The signature headers, copied out of the request so the blocking work can take them.
    static func signatureHeaders(_ request: Request) -> [String: String] {
        let read = header(request)
        var headers: [String: String] = [:]
        for name in [
            RequestSignature.originHeader, RequestSignature.timeHeader, RequestSignature.nonceHeader,
            RequestSignature.signatureHeader,
        ] {
            headers[name] = read(name)
        }
        return headers
    }

    static func pathAndQuery(_ request: Request) -> String {
        request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
    }

    static func body(_ request: inout Request, limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            throw HubRefusal(
                statusCode: 413, code: "too_large", message: "the request body is over \(limit) bytes",
                hint: "Send smaller change sets.")
        }
    }

    /// Runs blocking SQLite work off the cooperative pool's few threads.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// What an authenticated route answers: its body, and the log epoch the caller should know;
    /// and what the sync moved, for its log line.
    struct Answer: Sendable {
        let body: [UInt8]
        var epoch = ""
        var acknowledged = ""
        /// The pull page's `logMark` (empty for other answers): the caller sends it back.
        var mark = ""
        var moved = SyncTally.Moved()
    }

    /// One request to the protocol's routes as the hub sees it once HTTP has carried it: the
    /// method, the path with its raw query (what the signature covers), the decoded query
    /// parameters, the signature headers and the body.
    struct Exchange: Sendable {
        let method: String
        let path: String
        let pathAndQuery: String
        let parameters: [String: String]
        let headers: [String: String]
        let body: [UInt8]
    }

    /// What the hub answers an `Exchange`.
    struct Reply: Sendable {
        var status: Int
        var contentType: String
        var body: [UInt8]
        var headers: [String: String] = [:]
    }

    /// The protocol's routes (enrol, push, pull, status), from an exchange to its reply. The
    /// Hummingbird routes only carry bytes in and out of it, and the request fuzz test drives
    /// it directly: whatever comes in, it answers (a refusal is a reply), never traps.
    static func handle(_ exchange: Exchange, service: HubService) -> Reply {
        let start = ContinuousClock.now
        var tally = SyncTally()
        let reply = answer(exchange, service: service, tally: &tally)
        observe(exchange, reply: reply, tally: tally, duration: ContinuousClock.now - start, service: service)
        return reply
    }

    /// `handle`'s work: the reply, and in `tally` who asked and what moved.
    static func answer(_ exchange: Exchange, service: HubService, tally: inout SyncTally) -> Reply {
        do {
            switch (exchange.method, exchange.path) {
            case ("POST", "/v1/enrol"):
                return Reply(status: 200, contentType: "application/json", body: try service.enrol(body: exchange.body))
            case ("POST", "/v1/push"):
                let epoch = exchange.parameters["epoch"] ?? ""
                let definition = try declaredDefinition(exchange.parameters)
                return try signed(exchange, service: service, tally: &tally, contentType: "application/json") { peer in
                    let pushed = try service.pushAnswer(
                        peer: peer, body: exchange.body, epoch: epoch, definition: definition)
                    return Answer(
                        body: jsonBytes(pushed.answer),
                        moved: SyncTally.Moved(
                            received: pushed.received, merged: pushed.answer.applied,
                            duplicates: pushed.answer.duplicates, parked: pushed.answer.parked,
                            setAside: pushed.answer.setAside.count))
                }
            case ("GET", "/v1/pull"):
                guard let after = exchange.parameters["after"].flatMap(UInt64.init) else {
                    throw HubRefusal(
                        statusCode: 400, code: "bad_request", message: "pull needs after=N (the cursor)",
                        hint: "Ask for /v1/pull?after=0 the first time.")
                }
                let maxBytes = exchange.parameters["max_bytes"].flatMap(Int.init) ?? (1 << 20)
                let epoch = exchange.parameters["epoch"]
                let mark = exchange.parameters["mark"]
                guard
                    mark.map({
                        $0.isEmpty
                            || ($0.utf8.count == 16
                                && $0.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) })
                    }) ?? true
                else {
                    throw HubRefusal(
                        statusCode: 400, code: "bad_mark",
                        message: "mark must be the 16 hex digits the last page came with",
                        hint:
                            "Send back the Tre-Log-Mark header of the page that ended at `after` (the client does this)."
                    )
                }
                let own = exchange.parameters["own"] == "1"
                let definition = try declaredDefinition(exchange.parameters)
                return try signed(exchange, service: service, tally: &tally, contentType: changeSetType) { peer in
                    let page = try service.pull(
                        peer: peer, after: after, maxBytes: maxBytes, epoch: epoch, mark: mark, own: own,
                        definition: definition)
                    return Answer(
                        body: page.bytes, epoch: page.epoch,
                        acknowledged: try service.replica.setting(HubService.positionSetting(peer.origin)) ?? "",
                        mark: page.mark,
                        moved: SyncTally.Moved(sent: page.changes))
                }
            case ("GET", "/v1/status"):
                return try signed(exchange, service: service, tally: &tally, contentType: "application/json") { peer in
                    Answer(body: try service.status(peer: peer))
                }
            default:
                throw HubRefusal(
                    statusCode: 404, code: "not_found", message: "no route \(exchange.method) \(exchange.path)",
                    hint: "See /openapi.yaml.")
            }
        } catch let refusal as HubRefusal {
            tally.refusal = refusal.code
            return Reply(status: refusal.statusCode, contentType: "application/json", body: refusal.json)
        } catch {
            tally.refusal = "internal"
            tally.failed = true
            service.log(
                LogLine("error").with("route", protocolRoutes.contains(exchange.path) ? exchange.path : "unmatched")
                    .with("method", exchange.method)
                    .with("error", String(describing: error)).description)
            return Reply(
                status: 500, contentType: "application/json",
                body: HubRefusal(
                    statusCode: 500, code: "internal", message: "the hub could not answer",
                    hint: "See the hub's log; nothing of this request was applied unless acknowledged."
                ).json)
        }
    }

    /// The domain definition version a request declares (`definition=N`): 1 when absent (a
    /// release that declared none ran version 1); a whole number within
    /// `DomainDefinition.declarableVersions` otherwise, or the request is refused before anything
    /// is read.
    static func declaredDefinition(_ parameters: [String: String]) throws -> Int {
        guard let text = parameters["definition"] else { return 1 }
        guard !text.isEmpty, text.utf8.count <= 7, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let version = Int(text), DomainDefinition.declarableVersions.contains(version)
        else {
            let range = DomainDefinition.declarableVersions
            throw HubRefusal(
                statusCode: 400, code: "bad_definition",
                message:
                    "definition must be the sender's domain definition version, a whole number from "
                    + "\(range.lowerBound) to \(range.upperBound)",
                hint: "tre-node and tre-hub send their version themselves; nothing of this request was applied.")
        }
        return version
    }

    /// Runs an authenticated route: verifies the request's signature, runs `work` for the peer
    /// it identifies, and signs the answer — a refusal after authentication too — with that
    /// peer's key, over the request's nonce, so the peer can trust what it reads (an
    /// acknowledgement, the hub's time, the epoch) and no answer can be replayed to another
    /// request. A request that does not authenticate gets an unsigned refusal.
    static func signed(
        _ exchange: Exchange, service: HubService, tally: inout SyncTally, contentType: String,
        _ work: (HubStore.Peer) throws -> Answer
    ) throws -> Reply {
        let headers = exchange.headers
        let peer = try service.authenticate(
            method: exchange.method, pathAndQuery: exchange.pathAndQuery, header: { headers[$0] }, body: exchange.body,
            verified: { tally.peer = $0 })
        tally.peer = peer
        var reply: Reply
        var answer: Answer
        do {
            answer = try work(peer)
            reply = Reply(status: 200, contentType: contentType, body: answer.body)
        } catch let refusal as HubRefusal {
            tally.refusal = refusal.code
            answer = Answer(body: refusal.json)
            reply = Reply(status: refusal.statusCode, contentType: "application/json", body: answer.body)
        }
        tally.moved = answer.moved
        let now = String(service.nowMillis)
        reply.headers = [
            RequestSignature.hubTimeHeader: now, RequestSignature.logEpochHeader: answer.epoch,
            RequestSignature.acknowledgedHeader: answer.acknowledged,
            RequestSignature.responseSignatureHeader: RequestSignature.signResponse(
                key: peer.key, nonce: headers[RequestSignature.nonceHeader] ?? "", status: reply.status, hubTime: now,
                epoch: answer.epoch, acknowledged: answer.acknowledged, body: answer.body),
        ]
        if !answer.mark.isEmpty { reply.headers[Upstream.logMarkHeader] = answer.mark }
        // Read by nodes of 0.6.0 and later: pushes may name records by reference.
        reply.headers[ChangeSet.wireHeader] = String(ChangeSet.referencingVersion)
        return reply
    }

    /// Carries a Hummingbird request into `handle` and its reply back out.
    static func route(
        _ request: Request, context: HubRequestContext, service: HubService, bodyLimit: Int
    ) async throws -> Response {
        var request = request
        let body: [UInt8]
        let start = ContinuousClock.now
        do {
            body = request.method == .post ? try await Self.body(&request, limit: bodyLimit) : []
        } catch let refusal as HubRefusal {
            // Too large to read: refused before it authenticates. A push is still one sync line.
            service.metrics.refused(refusal.code, level: .request)
            if context.endpointPath == "/v1/push" {
                let duration = ContinuousClock.now - start
                service.metrics.sync("push", outcome: "refused", duration: duration)
                service.log(
                    syncLine(
                        direction: "push", peer: nil, moved: SyncTally.Moved(), bytesIn: 0,
                        bytesOut: refusal.json.count,
                        duration: duration, outcome: "refused", reason: refusal.code
                    ).description)
            } else {
                service.log(
                    LogLine("refused").with("route", context.endpointPath ?? "unmatched").with("reason", refusal.code)
                        .description)
            }
            throw refusal
        }
        service.metrics.received(route: context.endpointPath ?? "unmatched", bytes: body.count)
        var parameters: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where parameters[String(name)] == nil {
            parameters[String(name)] = String(value)
        }
        let exchange = Exchange(
            method: request.method.rawValue, path: request.uri.path, pathAndQuery: pathAndQuery(request),
            parameters: parameters, headers: signatureHeaders(request), body: body)
        let reply = try await blocking { handle(exchange, service: service) }
        var response = bytes(
            reply.body, status: reply.status, contentType: reply.contentType,
            hubTime: reply.headers[RequestSignature.hubTimeHeader].flatMap(UInt64.init))
        for (name, value) in reply.headers { response.headers[HTTPField.Name(name)!] = value }
        return response
    }

    static func buildRouter(service: HubService, metricsAccess: MetricsAccess = MetricsAccess()) -> Router<
        HubRequestContext
    > {
        let router = Router(context: HubRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(metrics: service.metrics))
        let maximumBody = service.limits.maximumWireBytes + 1
        router.get("/health") { _, _ in
            bytes(Array("{\"status\":\"ok\"}".utf8), contentType: "application/json")
        }
        router.get("/ready") { _, _ in
            do {
                _ = try await blocking { try service.replica.counts() }
                return bytes(Array("{\"status\":\"ready\"}".utf8), contentType: "application/json")
            } catch {
                return bytes(
                    HubRefusal(
                        statusCode: 503, code: "not_ready", message: "the database cannot be read",
                        hint: "See the hub's log."
                    )
                    .json, status: 503, contentType: "application/json")
            }
        }
        router.get("/openapi.yaml") { _, _ in
            bytes(Array(OpenAPIDocument.yaml.utf8), contentType: "application/yaml")
        }
        router.get("/metrics") { request, context in
            try await metrics(request, context: context, service: service, access: metricsAccess)
        }
        router.post("/v1/enrol") { request, context in
            try await route(request, context: context, service: service, bodyLimit: 16 * 1024)
        }
        router.post("/v1/push") { request, context in
            try await route(request, context: context, service: service, bodyLimit: maximumBody)
        }
        router.get("/v1/pull") { request, context in
            try await route(request, context: context, service: service, bodyLimit: 0)
        }
        router.get("/v1/status") { request, context in
            try await route(request, context: context, service: service, bodyLimit: 0)
        }
        // Every other method on a known path: 405 with the methods that are allowed.
        let declared: [(String, [HTTPRequest.Method])] = [
            ("/health", [.get]), ("/ready", [.get]), ("/openapi.yaml", [.get]), ("/metrics", [.get]),
            ("/v1/enrol", [.post]),
            ("/v1/push", [.post]), ("/v1/pull", [.get]), ("/v1/status", [.get]),
        ]
        let all: [HTTPRequest.Method] =
            [.get, .post, .put, .delete, .patch, .options, .trace, .head]
            + ["QUERY", "CONNECT"].compactMap { HTTPRequest.Method($0) }
        for (path, methods) in declared {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            for method in all where !methods.contains(method) && !(method == .head && methods.contains(.get)) {
                router.on(RouterPath(path), method: method) { _, _ in
                    var response = bytes(
                        HubRefusal(
                            statusCode: 405, code: "method_not_allowed", message: "\(path) answers \(allow) only",
                            hint: "See /openapi.yaml."
                        ).json, status: 405, contentType: "application/json")
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
        return router
    }
}

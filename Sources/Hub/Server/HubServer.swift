import Foundation
import HTTPTypes
import Hummingbird
import Logging
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

    /// What an authenticated route answers: its body, and the log epoch the caller should know.
    struct Answer: Sendable {
        let body: [UInt8]
        var epoch = ""
        var acknowledged = ""
    }

    /// Runs an authenticated route: verifies the request's signature, runs `work` for the peer
    /// it identifies, and signs the answer — a refusal after authentication too — with that
    /// peer's key, over the request's nonce, so the peer can trust what it reads (an
    /// acknowledgement, the hub's time, the epoch) and no answer can be replayed to another
    /// request. A request that does not authenticate gets an unsigned refusal.
    static func signed(
        _ request: Request, service: HubService, method: String, body: [UInt8], contentType: String,
        _ work: @escaping @Sendable (HubStore.Peer) throws -> Answer
    ) async throws -> Response {
        let path = pathAndQuery(request)
        let headers = signatureHeaders(request)
        let (peer, status, answer, type) = try await blocking {
            let peer = try service.authenticate(method: method, pathAndQuery: path, header: { headers[$0] }, body: body)
            do {
                return (peer, 200, try work(peer), contentType)
            } catch let refusal as HubRefusal {
                return (peer, refusal.statusCode, Answer(body: refusal.json), "application/json")
            }
        }
        let now = service.nowMillis
        var response = bytes(answer.body, status: status, contentType: type, hubTime: now)
        response.headers[HTTPField.Name(RequestSignature.logEpochHeader)!] = answer.epoch
        response.headers[HTTPField.Name(RequestSignature.acknowledgedHeader)!] = answer.acknowledged
        response.headers[HTTPField.Name(RequestSignature.responseSignatureHeader)!] = RequestSignature.signResponse(
            key: peer.key, nonce: headers[RequestSignature.nonceHeader] ?? "", status: status, hubTime: String(now),
            epoch: answer.epoch, acknowledged: answer.acknowledged, body: answer.body)
        return response
    }

    static func buildRouter(service: HubService) -> Router<BasicRequestContext> {
        let router = Router()
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
        router.post("/v1/enrol") { request, _ in
            var request = request
            let body = try await body(&request, limit: 16 * 1024)
            return bytes(try await blocking { try service.enrol(body: body) }, contentType: "application/json")
        }
        router.post("/v1/push") { request, _ in
            var request = request
            let body = try await body(&request, limit: maximumBody)
            let epoch = request.uri.queryParameters.get("epoch") ?? ""
            return try await signed(
                request, service: service, method: "POST", body: body, contentType: "application/json"
            ) {
                peer in Answer(body: try service.push(peer: peer, body: body, epoch: epoch))
            }
        }
        router.get("/v1/pull") { request, _ in
            let query = request.uri.queryParameters
            guard let after = query.get("after", as: UInt64.self) else {
                throw HubRefusal(
                    statusCode: 400, code: "bad_request", message: "pull needs after=N (the cursor)",
                    hint: "Ask for /v1/pull?after=0 the first time.")
            }
            let maxBytes = query.get("max_bytes", as: Int.self) ?? (1 << 20)
            let epoch = query.get("epoch").map { String($0) }
            let own = query.get("own") == "1"
            return try await signed(request, service: service, method: "GET", body: [], contentType: changeSetType) {
                peer in
                let page = try service.pull(peer: peer, after: after, maxBytes: maxBytes, epoch: epoch, own: own)
                return Answer(
                    body: page.bytes, epoch: page.epoch,
                    acknowledged: try service.replica.setting(HubService.positionSetting(peer.origin)) ?? "")
            }
        }
        router.get("/v1/status") { request, _ in
            try await signed(request, service: service, method: "GET", body: [], contentType: "application/json") {
                peer in Answer(body: try service.status(peer: peer))
            }
        }
        // Every other method on a known path: 405 with the methods that are allowed.
        let declared: [(String, [HTTPRequest.Method])] = [
            ("/health", [.get]), ("/ready", [.get]), ("/openapi.yaml", [.get]), ("/v1/enrol", [.post]),
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

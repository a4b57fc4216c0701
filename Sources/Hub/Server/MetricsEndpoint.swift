import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SyncCore

#if canImport(Glibc)
    import Glibc
#endif

/// The hub's request context: Hummingbird's basic one, and the address of the connection's
/// other end, which `/metrics` is decided on.
struct HubRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// A network an address may be in: `192.168.1.0/24`, `10.0.0.7`, `fd00::/8`.
struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    let address: [UInt8]
    let prefix: Int

    static let loopback = [IPNetwork(parsing: "127.0.0.0/8")!, IPNetwork(parsing: "::1/128")!]

    /// nil for anything but an IPv4 or IPv6 address with an optional prefix length in range.
    init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.bytes(String(parts[0])) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...bits).contains(prefix), parts[1].allSatisfy(\.isNumber) else {
                return nil
            }
            self.prefix = prefix
        } else {
            self.prefix = bits
        }
        self.address = address
    }

    /// An address's bytes: 4 for IPv4 (an IPv4-mapped IPv6 address too), 16 for IPv6.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, text, &v4) == 1 { return v4 }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, text, &bytes) == 1 else { return nil }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return Array(bytes[12...])
        }
        return bytes
    }

    func contains(_ other: [UInt8]) -> Bool {
        guard other.count == address.count else { return false }
        var remaining = prefix
        for (mine, theirs) in zip(address, other) where remaining > 0 {
            let bits = min(remaining, 8)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if mine & mask != theirs & mask { return false }
            remaining -= bits
        }
        return true
    }

    var description: String {
        let family = address.count == 4 ? AF_INET : AF_INET6
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let text = address.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)).map { _ in
                String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        return "\(text ?? "?")/\(prefix)"
    }
}

/// Who may read `/metrics`. It names no person, but it tells which communes synced when and
/// how the hub is used: not for the internet. Allowed: a peer on this machine (loopback) — or
/// instead, when `serve --metrics-from CIDR` is given, a peer in the networks it names — or a
/// request with
/// `Authorization: Bearer TOKEN` matching `serve --metrics-token-file FILE`. A request carrying
/// a proxy's forwarding header (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`, `X-Forwarded-Host`,
/// `X-Forwarded-Proto`, `Via`) is judged by its token only: behind a reverse proxy on this
/// machine every request comes from loopback, and the internet would read the metrics. A proxy
/// that adds none of them cannot be told apart (README: deny /metrics there).
struct MetricsAccess: Sendable {
    var networks: [IPNetwork] = IPNetwork.loopback
    /// SHA-256 of the token, so the comparison's time tells nothing of the token.
    var tokenDigest: String?

    static let forwardingHeaders = [
        "Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host", "X-Forwarded-Proto", "Via",
    ].compactMap { HTTPField.Name($0) }

    enum Decision: Equatable {
        case allowed
        case refused(String)
    }

    func decide(remote: SocketAddress?, headers: HTTPFields) -> Decision {
        if let tokenDigest, let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer",
                sha256Hex(Array(parts[1].utf8)) == tokenDigest
            {
                return .allowed
            }
            return .refused("the bearer token does not match")
        }
        if Self.forwardingHeaders.contains(where: { headers[$0] != nil }) {
            return .refused("a request through a proxy needs the bearer token")
        }
        guard let address = remote?.ipAddress.flatMap(IPNetwork.bytes) else {
            return .refused("the peer's address is not known")
        }
        return networks.contains { $0.contains(address) } ? .allowed : .refused("this address may not read /metrics")
    }
}

/// Counts every request by its route pattern (the router's, never the raw path: a path with
/// an id or a probe's random path must not make a new series), method and status, and the
/// bytes of every answer.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let metrics: HubMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            let response = try await next(request, context)
            let route = Self.route(context)
            metrics.request(route: route, method: request.method.rawValue, status: response.status.code)
            metrics.sent(route: route, bytes: response.body.contentLength ?? 0)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(route: Self.route(context), method: request.method.rawValue, status: status)
            throw error
        }
    }

    /// The route's pattern; `unmatched` for a path no route has (Hummingbird says `NotFound`).
    static func route(_ context: Context) -> String {
        guard let path = context.endpointPath, path.hasPrefix("/") else { return "unmatched" }
        return path
    }
}

import Foundation
import HTTPTypes
import NIOCore
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// The parts of /metrics and the log that are decided without a network: who may read the
/// metrics, how a log value is written, and the sync line of a request refused before it
/// authenticates (driven through `HubServer.handle`, the routes' own code).
@Suite struct ObservabilityUnitTests {
    @Test func networksContainTheirAddressesOnly() throws {
        let network = try #require(IPNetwork(parsing: "10.20.0.0/16"))
        #expect(network.contains(try #require(IPNetwork.bytes("10.20.255.7"))))
        #expect(!network.contains(try #require(IPNetwork.bytes("10.21.0.1"))))
        #expect(!network.contains(try #require(IPNetwork.bytes("fd00::1"))))
        let odd = try #require(IPNetwork(parsing: "192.168.1.128/25"))
        #expect(odd.contains(try #require(IPNetwork.bytes("192.168.1.200"))))
        #expect(!odd.contains(try #require(IPNetwork.bytes("192.168.1.127"))))
        let v6 = try #require(IPNetwork(parsing: "fd00::/8"))
        #expect(v6.contains(try #require(IPNetwork.bytes("fdab::9"))))
        // An IPv4 peer seen through an IPv6 socket is still this machine.
        let mapped = try #require(IPNetwork.bytes("::ffff:127.0.0.1"))
        #expect(IPNetwork.loopback.contains { $0.contains(mapped) })
        for bad in [
            "10.20.0.0/33", "10.20.0.0/", "10.20.0/16", "example.org", "", "::1/129", "1.2.3.4/-1", "1.2.3.4/+8",
        ] {
            #expect(IPNetwork(parsing: bad) == nil, "\(bad)")
        }
        #expect(IPNetwork(parsing: "10.20.0.0/16")?.description == "10.20.0.0/16")
    }

    @Test func metricsAccessDecidesByAddressProxyAndToken() throws {
        let loopback = try SocketAddress(ipAddress: "127.0.0.1", port: 40000)
        let far = try SocketAddress(ipAddress: "203.0.113.9", port: 40000)
        let monitoring = try SocketAddress(ipAddress: "10.20.3.4", port: 40000)
        var access = MetricsAccess()
        #expect(access.decide(remote: loopback, headers: [:]) == .allowed)
        #expect(access.decide(remote: far, headers: [:]) != .allowed)
        #expect(access.decide(remote: nil, headers: [:]) != .allowed)
        var forwarded = HTTPFields()
        forwarded[HTTPField.Name("X-Real-IP")!] = "203.0.113.9"
        #expect(access.decide(remote: loopback, headers: forwarded) != .allowed)
        access.networks = [try #require(IPNetwork(parsing: "10.20.0.0/16"))]
        #expect(access.decide(remote: monitoring, headers: [:]) == .allowed)
        #expect(access.decide(remote: loopback, headers: [:]) != .allowed)
        access.tokenDigest = sha256Hex(Array("s3cret-token-0123456789".utf8))
        var bearer = HTTPFields()
        bearer[.authorization] = "Bearer s3cret-token-0123456789"
        #expect(access.decide(remote: far, headers: bearer) == .allowed)
        bearer[.authorization] = "Bearer s3cret-token-012345678"
        // A wrong token is refused even from an allowed address: it was meant as a credential.
        #expect(access.decide(remote: monitoring, headers: bearer) != .allowed)
    }

    @Test func logValuesCannotBreakTheLine() {
        let hostile = "a b\n event=sync outcome=ok \"x\" \u{2028}\u{0} \\"
        let line = LogLine("test").with("value", hostile).with("n", 3).description
        #expect(!line.contains("\n") && !line.contains("\u{2028}") && !line.contains("\u{0}"))
        let parsed = LogLine.parse(line)
        #expect(parsed["event"] == "test" && parsed["n"] == "3")
        #expect(parsed.count == 3, "\(parsed)")
        #expect(line.hasPrefix("event=test value=\"a b\\n event=sync"))
        #expect(LogLine.quoted("17605") == "17605" && LogLine.quoted("") == "\"\"")
        #expect(LogLine.quoted("Lò") == "\"Lò\"")
    }

    @Test func aPushThatDoesNotAuthenticateWritesOneSyncLineAndOneRefusal() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let base = try HubService.district(at: directory.path("district.sqlite"), clock: clock)
        let lines = DefinitionValidationTests.Kept<String>()
        let service = HubService(store: base.store, dictionary: nil) { lines.add($0) }
        let body: [UInt8] = Array(repeating: 7, count: 321)
        let reply = HubServer.handle(
            HubServer.Exchange(
                method: "POST", path: "/v1/push", pathAndQuery: "/v1/push", parameters: [:], headers: [:], body: body),
            service: service)
        #expect(reply.status == 401)
        let sync = lines.items.map(LogLine.parse).filter { $0["event"] == "sync" }
        #expect(sync.count == 1 && lines.items.count == 1, "\(lines.items)")
        #expect(sync.first?["outcome"] == "refused" && sync.first?["reason"] == "unauthenticated")
        #expect(sync.first?["node"] == "-" && sync.first?["bytes_in"] == "321")
        #expect(sync.first?["bytes_out"] == String(reply.body.count))
        let text = String(decoding: service.metrics.exposition(conflicts: 0, peers: []), as: UTF8.self)
        #expect(text.contains(#"tre_hub_refusals_total{level="request",reason="unauthenticated"} 1"#), "\(text)")
        #expect(text.contains(#"tre_hub_syncs_total{direction="push",outcome="refused"} 1"#), "\(text)")
    }
}

import Foundation
import NodeUI
import Testing

/// The `Host` check against DNS rebinding, for the addresses `tre-node ui --host` may bind: one
/// address (IPv4, or IPv6 in brackets as a browser sends it) answers to itself only; every
/// address (`0.0.0.0`, `::`) answers to whichever IP literal the browser used, on its port, and
/// never to a name.
@Suite struct PageHostTests {
    static func app(_ host: String) -> UIApp {
        UIApp(
            configuration: UIConfiguration(host: host, port: 8765, idleTimeout: 900),
            backend: UIBackend(
                asksPassphrase: true, unlock: { _ in throw CocoaError(.fileReadNoPermission) }, sync: { _ in "" }))
    }

    @Test func eachBoundAddressAnswersToItsOwnHostsOnly() async {
        let cases: [(bound: String, host: String?, accepted: Bool)] = [
            ("127.0.0.1", "127.0.0.1:8765", true), ("127.0.0.1", "localhost:8765", false),
            ("127.0.0.1", "rebind.example:8765", false), ("127.0.0.1", "127.0.0.1:9999", false),
            ("127.0.0.1", nil, false),
            ("::1", "[::1]:8765", true), ("::1", "::1:8765", false), ("::1", "127.0.0.1:8765", false),
            ("0.0.0.0", "192.168.1.20:8765", true), ("0.0.0.0", "127.0.0.1:8765", true),
            ("0.0.0.0", "[fe80::1]:8765", true), ("0.0.0.0", "192.168.1.20:9999", false),
            ("0.0.0.0", "rebind.example:8765", false), ("0.0.0.0", "1.2.3.4.5:8765", false),
            ("0.0.0.0", "300.1.1.1:8765", false), ("0.0.0.0", "[evil.example]:8765", false),
            ("::", "[2001:db8::5]:8765", true), ("::", "10.0.0.1:8765", true), ("::", "x.example:8765", false),
        ]
        for (bound, host, accepted) in cases {
            let answer = await Self.app(bound).handle(
                UIRequest(method: "GET", path: "/", headers: host.map { ["Host": $0] } ?? [:]))
            #expect((answer.status == 200) == accepted, "bound \(bound), Host \(host ?? "-"): \(answer.status)")
            #expect((answer.status == 403) == !accepted, "bound \(bound), Host \(host ?? "-"): \(answer.status)")
        }
    }

    /// Bound to every address, a form's `Origin` must be the address the browser used (the Host
    /// it sent), not another.
    @Test func onEveryAddressTheFormsOriginIsTheHostUsed() async {
        let app = Self.app("0.0.0.0")
        func unlock(origin: String) async -> UIResponse {
            await app.handle(
                UIRequest(
                    method: "POST", path: "/unlock", headers: ["Host": "192.168.1.20:8765", "Origin": origin],
                    form: ["worker": ["Lò Văn Sáng"], "passphrase": ["sai"]]))
        }
        let own = await unlock(origin: "http://192.168.1.20:8765")
        #expect(!String(decoding: own.body, as: UTF8.self).contains("cross-origin"), "\(own.status)")
        let other = await unlock(origin: "http://192.168.1.21:8765")
        #expect(other.status == 403 && String(decoding: other.body, as: UTF8.self).contains("cross-origin"))
    }
}

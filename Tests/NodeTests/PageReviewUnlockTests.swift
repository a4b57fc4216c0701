import Domain
import Foundation
import NodeUI
import SyncCore
import TestSupport
import Testing

extension PageReviewTests {
    final class Gauge: @unchecked Sendable {
        private let lock = NSLock()
        private var now = 0
        private var peak = 0
        func enter() {
            lock.withLock {
                now += 1
                peak = max(peak, now)
            }
        }
        func leave() { lock.withLock { now -= 1 } }
        var highest: Int { lock.withLock { peak } }
    }

    /// Each unlock runs scrypt (128 MiB at the node's cost) on a thread of its own: a local program
    /// sending 40 unlock forms at once ran 40 at once — gigabytes, enough to stop a commune laptop.
    @Test func unlocksRunOneAtATime() async throws {
        let gauge = Gauge()
        let replica = try makeReplica(.memory, origin: 1, unit: "17605")
        let store = DomainStore(replica: replica)
        let app = UIApp(
            configuration: UIConfiguration(host: "127.0.0.1", port: 8765),
            backend: UIBackend(
                asksPassphrase: true,
                unlock: { passphrase in
                    gauge.enter()
                    defer { gauge.leave() }
                    Thread.sleep(forTimeInterval: 0.02)
                    guard passphrase == "đúng mật khẩu" else { throw CocoaError(.fileReadNoPermission) }
                    return store
                }, sync: { _ in "nothing" }))
        await withTaskGroup(of: Int.self) { group in
            for attempt in 0..<40 {
                group.addTask {
                    await app.handle(
                        Page.request("POST", "/unlock", form: ["worker": "x", "passphrase": "guess \(attempt)"])
                    ).status
                }
            }
            for await status in group { #expect(status == 403) }
        }
        #expect(gauge.highest == 1)
    }
}

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
        private var entered = 0
        var entries: Int { lock.withLock { entered } }
        func enter() {
            lock.withLock {
                entered += 1
                now += 1
                peak = max(peak, now)
            }
        }
        func leave() { lock.withLock { now -= 1 } }
        var highest: Int { lock.withLock { peak } }
    }

    /// Each unlock runs scrypt (128 MiB at the node's cost) on a thread of its own: a local program
    /// sending 40 unlock forms at once ran 40 at once — gigabytes, enough to stop a commune laptop.
    /// Run one at a time, they are also counted one at a time: 5 wrong, then every other waits
    /// (429) without running scrypt at all.
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
            var statuses: [Int] = []
            for await status in group { statuses.append(status) }
            #expect(statuses.filter { $0 == 403 }.count == 5)
            #expect(statuses.filter { $0 == 429 }.count == 35)
        }
        #expect(gauge.highest == 1)
        #expect(gauge.entries == 5)
    }
}

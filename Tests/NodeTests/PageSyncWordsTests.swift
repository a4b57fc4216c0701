import Domain
import Foundation
import NodeUI
import SyncCore
import TestSupport
import Testing

/// The sync as a worker reads it on the home page: a node not enrolled says where its data is;
/// a failed sync says what happened, that nothing is lost, and the technical words after.
@Suite struct PageSyncWordsTests {
    typealias Page = PageSecurityTests

    struct Unreachable: Error, CustomStringConvertible {
        var description: String { "could not connect to the server (timed out)" }
    }

    @Test func aFailedSyncIsToldInPlainWords() async throws {
        let replica = try makeReplica(.memory, origin: 1, unit: "17605")
        let store = DomainStore(replica: replica)
        let app = UIApp(
            configuration: UIConfiguration(host: "127.0.0.1", port: 8765),
            backend: UIBackend(
                asksPassphrase: true,
                unlock: { passphrase in
                    guard passphrase == "đúng mật khẩu" else { throw CocoaError(.fileReadNoPermission) }
                    return store
                }, sync: { _ in throw Unreachable() }))
        let (cookie, csrf) = try await Page.unlock(app)
        var home = String(decoding: await app.handle(Page.request("GET", "/", cookie: cookie)).body, as: UTF8.self)
        #expect(home.contains("Máy này chưa đăng ký với huyện: dữ liệu chỉ ở trên máy này."))
        #expect(!home.contains("id=\"sync-now\""))
        let answer = await app.handle(Page.request("POST", "/sync", cookie: cookie, form: ["csrf": csrf]))
        #expect(answer.status == 303)
        home = String(decoding: await app.handle(Page.request("GET", "/", cookie: cookie)).body, as: UTF8.self)
        #expect(
            home.contains(
                "Chưa gửi lên huyện được. Không kết nối được với máy chủ của huyện (mất mạng?). Dữ liệu vẫn an toàn trên máy này; thử lại sau. (could not connect to the server (timed out))"
            ), "\(home)")
        // Shown once (post/redirect/get), then gone.
        home = String(decoding: await app.handle(Page.request("GET", "/", cookie: cookie)).body, as: UTF8.self)
        #expect(!home.contains("Chưa gửi lên huyện được"))
    }
}

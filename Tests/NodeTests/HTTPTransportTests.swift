import Foundation
import SyncClient
import TestSupport
import Testing

/// The node's HTTP transport (libcurl) against loopback servers that behave, then misbehave:
/// what it sends, that a sync's requests share one connection, and that a hub that closes, stalls,
/// drips or answers too much gives a clear failure, never a crash or a hang.
@Suite(.serialized) struct HTTPTransportTests {
    static func request(_ method: String, _ path: String, body: [UInt8] = [], headers: [String: String] = [:])
        -> HubRequest
    {
        HubRequest(method: method, pathAndQuery: path, headers: headers, body: body)
    }

    /// How `work` failed (nil: it did not).
    static func failure(_ work: () async throws -> HubResponse) async -> SyncFailure? {
        do {
            _ = try await work()
            return nil
        } catch {
            return error as? SyncFailure
        }
    }

    @Test func aSyncsRequestsRideOneConnectionAndArriveWhole() async throws {
        let server = try ScriptedServer { request in
            .answer(
                status: request.method == "GET" ? 200 : 201, headers: ["Tre-Test": "seen \(request.path)"],
                body: Array("answer to \(request.method) \(request.body.count)".utf8))
        }
        defer { server.stop() }
        let notes = Notes()
        let transport = HTTPTransport(baseURL: URL(string: server.url)!, trace: { notes.add($0) })
        let pushed = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        // libcurl drops a connection idle for more than 118 s (CURLOPT_MAXAGE_CONN's default),
        // and a full test run on a loaded machine once kept this test waiting 175 s between two
        // requests (the cooperative pool busy): that was the [1, 1, 2] and [1, 2, 2] seen before.
        let started = ContinuousClock.now
        let first = try await transport.exchange(Self.request("GET", "/v1/pull?after=0", headers: ["Tre-Origin": "a"]))
        let second = try await transport.exchange(
            Self.request(
                "POST", "/v1/push?epoch=e", body: pushed, headers: ["Content-Type": "application/x-tre-changeset"]))
        let third = try await transport.exchange(Self.request("POST", "/v1/push", body: []))
        // Under 110 s from the first request to the last, the connection never lay idle for
        // libcurl's limit (118 s, CURLOPT_MAXAGE_CONN's default).
        let took = ContinuousClock.now - started
        #expect(first.status == 200)
        #expect(first.body == Array("answer to GET 0".utf8))
        #expect(first.header("tre-test") == "seen /v1/pull?after=0")
        #expect(second.status == 201)
        #expect(second.body == Array("answer to POST 70000".utf8))
        #expect(third.body == Array("answer to POST 0".utf8))
        let seen = server.seen
        // Kept alive: one connection for the three — unless the test itself was kept waiting
        // past libcurl's limit for an idle connection (a starved full-suite run: the cause of the
        // [1, 2, 2] and [1, 1, 2] seen before), when a new one is right and libcurl says why.
        if took < .seconds(110) {
            #expect(
                seen.map(\.connection) == [1, 1, 1],
                "kept alive: one connection for the three (in \(took)). libcurl: \(notes.all) The server: \(server.endings)"
            )
        } else {
            #expect(notes.all.contains("Too old connection"), "in \(took); libcurl: \(notes.all)")
        }
        #expect(seen.map(\.method) == ["GET", "POST", "POST"])
        #expect(seen[0].header("Tre-Origin") == "a")
        #expect(seen[1].body == pushed)
        #expect(seen[1].header("Content-Type") == "application/x-tre-changeset")
        #expect(seen.allSatisfy { $0.header("Expect") == nil }, "no 100-continue round trip")
        #expect(seen[2].header("Content-Type") == nil)
    }

    @Test func aKeptConnectionThatDiesUnderARequestIsOpenedAgainWithTheWholeBody() async throws {
        // The second request on the kept connection meets a close; libcurl sends it again on a
        // new one, body included (FoundationNetworking sent the headers only, then waited).
        let server = try ScriptedServer { request in
            if request.connection == 1 && request.path == "/second" { return .closeBeforeAnswer }
            return .answer(status: 200, headers: [:], body: request.body)
        }
        defer { server.stop() }
        let transport = HTTPTransport(baseURL: URL(string: server.url)!)
        _ = try await transport.exchange(Self.request("POST", "/first", body: [1, 2, 3]))
        let body = Array("a set of changes".utf8)
        let answer = try await transport.exchange(Self.request("POST", "/second", body: body))
        #expect(answer.body == body)
        #expect(server.seen.map(\.connection) == [1, 1, 2])
        #expect(server.seen.last?.body == body)
    }

    @Test func aConnectionClosedBeforeAnyAnswerIsALinkFailure() async throws {
        let server = try ScriptedServer { _ in .closeBeforeAnswer }
        defer { server.stop() }
        let transport = HTTPTransport(baseURL: URL(string: server.url)!)
        let failure = await Self.failure {
            try await transport.exchange(Self.request("GET", "/v1/pull"))
        }
        #expect(failure?.exitCode == 2)
        #expect(
            "\(failure.map { "\($0)" } ?? "")".contains("closed before any answer"), "\(String(describing: failure))")
    }

    @Test func anAnswerOverTheCapIsRefusedBeforeItIsRead() async throws {
        // Announced: refused on its length. Unannounced (chunked, without end): cut at the cap.
        let announced = try ScriptedServer { _ in
            .stream(head: "HTTP/1.1 200 OK\r\nContent-Length: \(9 << 20)\r\n\r\n", bodyBytes: 9 << 20)
        }
        let endless = try ScriptedServer { _ in
            .stream(head: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", bodyBytes: 200 << 20)
        }
        defer {
            announced.stop()
            endless.stop()
        }
        for server in [announced, endless] {
            let transport = HTTPTransport(baseURL: URL(string: server.url)!)
            let failure = await Self.failure {
                try await transport.exchange(Self.request("GET", "/v1/pull"))
            }
            #expect(failure?.exitCode == 3)
            #expect("\(failure.map { "\($0)" } ?? "")".contains("over 8388608 bytes"), "\(String(describing: failure))")
        }
        // The client stopped reading near the cap (the socket buffers hold a few MiB more).
        #expect(endless.bytesStreamed < 40 << 20, "\(endless.bytesStreamed) bytes went into the connection")
    }

    @Test func headersOverTheCapAreRefused() async throws {
        let many = (0..<1_200).map { "X-Filler-\($0): \(String(repeating: "h", count: 60))\r\n" }.joined()
        let server = try ScriptedServer { _ in
            .stream(head: "HTTP/1.1 200 OK\r\n\(many)Content-Length: 2\r\n\r\n", bodyBytes: 2)
        }
        defer { server.stop() }
        let transport = HTTPTransport(baseURL: URL(string: server.url)!)
        let failure = await Self.failure {
            try await transport.exchange(Self.request("GET", "/v1/pull"))
        }
        #expect(failure?.exitCode == 3)
        #expect(
            "\(failure.map { "\($0)" } ?? "")".contains("headers are over 65536 bytes"),
            "\(String(describing: failure))")
    }

    @Test func aSlowDripThatKeepsMovingIsNotCutAndAStallIs() async throws {
        // The answer takes about 5 s in 6 pieces, each second; the stall timeout is 3 s.
        let body = Array("a dripped answer, slow but moving".utf8)
        let target = try ScriptedServer { _ in .answer(status: 200, headers: [:], body: body) }
        let drip = try ScriptedServer { _ in .relay(port: target.port, pieces: 6, gap: 1) }
        let stall = try ScriptedServer { _ in .stall }
        defer {
            target.stop()
            drip.stop()
            stall.stop()
        }
        var limits = HTTPLimits()
        limits.stallSeconds = 3
        let slow = try await HTTPTransport(baseURL: URL(string: drip.url)!, limits: limits).exchange(
            Self.request("GET", "/v1/pull"))
        #expect(slow.status == 200)
        #expect(slow.body == body)
        let failure = await Self.failure {
            try await HTTPTransport(baseURL: URL(string: stall.url)!, limits: limits).exchange(
                Self.request("GET", "/v1/pull"))
        }
        #expect(failure?.exitCode == 2)
        #expect("\(failure.map { "\($0)" } ?? "")".contains("no byte moved for 3 s"), "\(String(describing: failure))")
    }

    /// A header line that never ends: libcurl gives it up past 100 KiB ("out of memory"), which
    /// is the headers' cap refusal, with the client reading no further.
    @Test func aHeaderLineWithoutEndIsRefusedAsHeadersOverTheCap() async throws {
        let server = try ScriptedServer { _ in
            .stream(head: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Endless: ", bodyBytes: 200 << 20)
        }
        defer { server.stop() }
        let failure = await Self.failure {
            try await HTTPTransport(baseURL: URL(string: server.url)!).exchange(Self.request("GET", "/v1/pull"))
        }
        #expect(failure?.exitCode == 3)
        #expect(
            "\(failure.map { "\($0)" } ?? "")".contains("headers are over 65536 bytes"),
            "\(String(describing: failure))")
        #expect(server.bytesStreamed < 40 << 20, "\(server.bytesStreamed) bytes went into the connection")
    }

    /// Whatever answers on the hub's address without HTTP — another protocol's greeting, a bare
    /// page (HTTP/0.9), bytes of TLS, a status line that is not one — is said to be no HTTP answer,
    /// not a bad address.
    @Test func anAnswerThatIsNotHTTPIsSaidToBeSo() async throws {
        let answers = [
            "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "<html><body>Đăng nhập Wi-Fi</body></html>\n",
            "\u{16}\u{03}\u{01}\u{00}\u{05}hello", "HTTP/1.1 OK\r\n\r\n",
        ]
        for answer in answers {
            let server = try ScriptedServer { _ in .stream(head: answer, bodyBytes: 0) }
            defer { server.stop() }
            let failure = await Self.failure {
                try await HTTPTransport(baseURL: URL(string: server.url)!).exchange(Self.request("GET", "/v1/pull"))
            }
            let said = failure.map { "\($0)" } ?? ""
            #expect(failure?.exitCode == 3, "\(answer.debugDescription): \(said)")
            #expect(said.contains("the answer is not HTTP"), "\(answer.debugDescription): \(said)")
            #expect(!said.contains("address cannot be used"), "\(answer.debugDescription): \(said)")
        }
    }

    /// libcurl shows the headers a whole line at a time; the stall timer counts the bytes the
    /// connection receives, so one long header line dripped over 5 s (6 pieces a second apart,
    /// no line ending between the first and the last) is moving, not stalled for 3 s.
    @Test func aLongHeaderLineDrippedSlowlyIsNotAStall() async throws {
        let long = String(repeating: "a", count: 4_000)
        let target = try ScriptedServer { _ in .answer(status: 200, headers: ["X-Long": long], body: Array("ok".utf8)) }
        let drip = try ScriptedServer { _ in .relay(port: target.port, pieces: 6, gap: 1) }
        defer {
            target.stop()
            drip.stop()
        }
        var limits = HTTPLimits()
        limits.stallSeconds = 3
        let answer = try await HTTPTransport(baseURL: URL(string: drip.url)!, limits: limits).exchange(
            Self.request("GET", "/v1/pull"))
        #expect(answer.status == 200)
        #expect(answer.header("x-long") == long)
        #expect(answer.body == Array("ok".utf8))
    }

    @Test func onlyHTTPAndHTTPSAddressesAreUsed() async throws {
        let transport = HTTPTransport(baseURL: URL(string: "ftp://127.0.0.1:9/")!)
        let failure = await Self.failure {
            try await transport.exchange(Self.request("GET", "/v1/pull"))
        }
        #expect(failure?.exitCode == 3)
    }
}

extension HTTPTransportTests {
    /// A flag a thread of the test reads and the test sets.
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.withLock { value } }
        func set() { lock.withLock { value = true } }
    }

    /// A signal that lands on a proxy's thread while it waits in `read` or `write` (a child
    /// process of another test ending: SIGCHLD) makes the call return EINTR: the proxy must take
    /// it as no byte yet, not as the connection's end, which would cut the answer under the
    /// transport. SIGUSR2 with a handler installed without `SA_RESTART` does the same on purpose;
    /// it is sent only to the proxy's pumping threads (the handler stays: a signal still on its
    /// way must not find SIGUSR2's default action, which ends the process).
    @Test func aProxyInterruptedBySignalsLosesNoByte() async throws {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        #expect(sigaction(SIGUSR2, &action, nil) == 0)
        let body = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let target = try ScriptedServer { request in .answer(status: 200, headers: [:], body: body + request.body) }
        // The answers come in pieces 0.2 s apart: the proxy's threads wait in `read` meanwhile.
        let slow = try ScriptedServer { _ in .relay(port: target.port, pieces: 5, gap: 0.2) }
        let proxy = try FaultProxy(targetPort: slow.port, seed: 1)
        let done = Flag()
        let interrupter = Thread {
            while !done.isSet {
                proxy.interruptPumps(with: SIGUSR2)
                usleep(5_000)
            }
        }
        interrupter.start()
        defer {
            done.set()
            proxy.stop()
            slow.stop()
            target.stop()
        }
        let transport = HTTPTransport(baseURL: URL(string: proxy.url)!)
        for round in 0..<3 {
            let sent = Array(repeating: UInt8(round), count: 200_000)
            let answer = try await transport.exchange(Self.request("POST", "/v1/push", body: sent))
            #expect(answer.status == 200)
            #expect(answer.body == body + sent, "round \(round): \(answer.body.count) bytes")
        }
        #expect(proxy.interruptions > 20, "\(proxy.interruptions) signals reached the proxy's threads")
        #expect(target.seen.map(\.body) == (0..<3).map { Array(repeating: UInt8($0), count: 200_000) })
    }
}

/// Lines from any thread, in order.
final class Notes: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: String { lock.withLock { lines.joined() } }
}

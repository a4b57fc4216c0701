import Foundation
import SyncCore
import TestSupport
import Testing

@testable import Hub

/// Seeded fuzzing of the hub's real request path (`HubServer.handle`: authentication, decoding,
/// the write rule, apply): every request is answered, nothing traps, and a request the hub
/// refuses leaves the store exactly as it was. `TRE_FUZZ_REQUESTS` sets the count (10,000 by
/// default), `TRE_SEED` the seed.
@Suite struct RequestFuzzTests {
    /// What must not move when a request is refused: every table's row count, the log's end,
    /// the peers' positions, and the records' state hash.
    static func fingerprint(_ service: HubService, peers: [OriginID]) throws -> String {
        let replica = service.replica
        let counts = try replica.counts()
        let positions = try peers.map { try replica.setting(HubService.positionSetting($0)) ?? "-" }
        let setAside = try replica.storage.read { try $0.setAsideCount() }
        return
            "\(counts.records) \(counts.lastSequence) \(counts.parked) \(setAside) "
            + "\(positions) \(try replica.meta().counter) \(try replica.meta().clock.last) \(try replica.stateHash())"
    }

    final class Harness {
        deinit {
            for suffix in ["", "-wal", "-shm"] where path.hasPrefix("/dev/shm/") {
                try? FileManager.default.removeItem(atPath: path + suffix)
            }
        }

        let directory: TemporaryDirectory
        let path: String
        let clock = ManualClock()
        let service: HubService
        let node: Replica
        let other: Replica
        let peer: HubStore.Peer
        var random: SeededGenerator
        var position: UInt64 = 0

        init(seed: UInt64) throws {
            random = SeededGenerator(seed: seed)
            directory = try TemporaryDirectory()
            // On a RAM disk when there is one: ten thousand durable commits on a real disk are
            // the disk's speed, not the hub's.
            let shm = "/dev/shm/tre-fuzz-\(UUID().uuidString).sqlite"
            path = FileManager.default.isWritableFile(atPath: "/dev/shm") ? shm : directory.path("district.sqlite")
            service = try HubService.district(at: path, clock: clock)
            (node, peer) = try service.enrolReplica(unit: "17605", clock: clock, origin: testOrigin(1))
            other = try makeReplica(.memory, origin: 2, unit: "17608", clock: clock)
            // Something to edit, conflict with and claim: the node's children and another commune's.
            for index in 1...5 {
                try node.put(
                    "children", id: testRecord(UInt64(index)), unit: "17605",
                    set: ["full_name": .string("Trẻ \(index)"), "sex": "F"])
                try other.put("children", id: testRecord(UInt64(10 + index)), unit: "17608", set: ["sex": "M"])
            }
            try service.replica.apply(try other.allChanges(), via: nil)
            let changes = try node.allChanges()
            let body = ChangeSet(kind: .push, sender: node.origin, from: 0, to: 5, changes: changes).encode(
                key: peer.key)
            _ = try service.push(peer: peer, body: body)
            position = 5
        }

        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

        /// A number a peer might send: small, near a bound, or anything.
        func number() -> UInt64 {
            pick([
                0, 1, random.next() % 10, UInt64(Int64.max), .max, .max - 1, 1 << 53, (1 << 53) + 1, 1 << 32,
                random.next(),
            ])
        }

        /// A change the node could send, then bent out of shape.
        func mutatedChange(counter: UInt64) throws -> Change {
            let base = try #require(try node.record("children", id: testRecord(1 + random.next() % 5)))
            var change = Change(
                dot: Dot(origin: node.origin, counter: counter),
                stamp: Stamp(wallMillis: clock.nowMillis(), logical: 0),
                collection: "children", record: testRecord(1 + random.next() % 16), unit: "17605",
                context: base.version, set: ["notes": .string("ghi chú \(random.next() % 100)")])
            switch random.next() % 16 {
            case 0: change.dot = Dot(origin: pick([node.origin, other.origin, testOrigin(100)]), counter: number())
            case 1: change.context = VersionVector([(pick([node.origin, other.origin, testOrigin(100)]), number())])
            case 2: change.context = VersionVector()
            case 3: change.stamp = Stamp(wallMillis: number(), logical: UInt32(truncatingIfNeeded: random.next()))
            case 4: change.unit = pick(["17608", "415", "", String(repeating: "9", count: 40), "17605"])
            case 5: change.set = [ReservedField.unit: .string(pick(["17608", "17605", "x"]))]
            case 6: change.set = [ReservedField.deleted: pick([true, false, .int(1), .null])]
            case 7: change.set = [pick(["@x", "", "tên có dấu", String(repeating: "a", count: 65)]): "v"]
            case 8: change.set = [:]
            case 9: change.collection = pick(["", "cases", "@deleted", "trẻ"])
            case 10:
                var value = FieldValue.string("đáy")
                for _ in 0..<(random.next() % 80) { value = pick([.array([value]), .object(["k": value])]) }
                change.set = ["notes": value]
            case 11: change.set = ["notes": .double(pick([.nan, .infinity, -0.0, 1e308]))]
            case 12: change.record = testRecord(10 + random.next() % 6)  // another commune's child
            default: break
            }
            return change
        }

        /// A push of mutated changes, signed properly: it reaches the decoder and the write rule.
        func semanticPush() throws -> HubServer.Exchange {
            var changes: [Change] = []
            for index in 0..<(1 + random.next() % 4) { changes.append(try mutatedChange(counter: 6 + UInt64(index))) }
            // (A tampered node may push its own position up to the bound; it only hurts itself.)
            var from = min(position, Change.maximumCounter - 8)
            var to = from + UInt64(changes.count)
            if chance(15) { from = number() }
            if chance(15) { to = number() }
            let body = ChangeSet(kind: .push, sender: node.origin, from: from, to: to, changes: changes).encode(
                key: peer.key)
            var query = chance(80) ? "epoch=e1" : pick(["", "epoch=", "epoch=a:b"])
            if chance(30) { query += "&definition=" + definition() }
            return signedExchange("POST", "/v1/push", query: query, body: body)
        }

        /// A definition version a peer might declare: its own, a newer one, or out of bounds.
        func definition() -> String {
            pick(["1", "2", "1000000", "0", "1000001", "-1", "", "x", "99999999999999999999", "1.5"])
        }

        /// A valid request whose bytes are then damaged: body, headers, path or query.
        func damagedRequest() throws -> HubServer.Exchange {
            let changes = [try mutatedChange(counter: 6)]
            var body = ChangeSet(kind: .push, sender: node.origin, from: position, to: position + 1, changes: changes)
                .encode(key: peer.key)
            switch random.next() % 4 {
            case 0:
                for _ in 0..<(1 + random.next() % 4) where !body.isEmpty {
                    body[Int(random.next() % UInt64(body.count))] ^= UInt8(truncatingIfNeeded: 1 + random.next() % 255)
                }
            case 1: body = Array(body.prefix(Int(random.next() % UInt64(body.count + 1))))
            case 2: body += (0..<(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            default: body = (0..<(random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            // Re-signed at the request level half the time, so the damage reaches the decoder.
            let resign = chance(50)
            var exchange = signedExchange("POST", "/v1/push", query: "epoch=e1", body: resign ? body : [])
            if !resign { exchange = exchange.with(body: body) }
            if chance(20) {
                var headers = exchange.headers
                let name = pick(Array(headers.keys))
                headers[name] = pick([
                    "", "0", String(UInt64.max), "-1", "zz", String(repeating: "f", count: 64),
                    testOrigin(2).description, "00000000-0000-0000-0000-00000000000g",
                ])
                exchange = exchange.with(headers: headers)
            }
            return exchange
        }

        /// Pulls and status requests with odd queries, signed.
        func oddRead() -> HubServer.Exchange {
            if chance(30) { return signedExchange("GET", "/v1/status", query: nil, body: []) }
            let parts = [
                "after=\(pick(["0", "5", String(UInt64.max), "-1", "1e9", "", "99999999999999999999999"]))",
                "max_bytes=\(pick(["0", "-5", String(Int.max), "1", "x"]))",
                "epoch=\(pick(["", "abc", String(repeating: "e", count: 500)]))",
                "own=\(pick(["1", "0", "yes"]))",
                "definition=\(definition())",
            ].filter { _ in chance(70) }
            return signedExchange("GET", "/v1/pull", query: parts.joined(separator: "&"), body: [])
        }

        func oddEnrolment() -> HubServer.Exchange {
            let bodies = [
                "{}", "[]", "{\"code\":1}", "{\"code\":\"AAAA-BBBB-CCCC-DDDD\",\"origin\":\"x\"}",
                "{\"code\":\"\(String(repeating: "A", count: 5000))\",\"origin\":\"\(testOrigin(7))\",\"kind\":\"hub\"}",
                String(repeating: "[", count: 10_000),
            ]
            return HubServer.Exchange(
                method: "POST", path: "/v1/enrol", pathAndQuery: "/v1/enrol", parameters: [:], headers: [:],
                body: Array(pick(bodies).utf8))
        }

        func signedExchange(_ method: String, _ path: String, query: String?, body: [UInt8]) -> HubServer.Exchange {
            let pathAndQuery = query.map { "\(path)?\($0)" } ?? path
            let headers = RequestSignature.headers(
                origin: node.origin, key: peer.key, method: method, pathAndQuery: pathAndQuery,
                timeMillis: clock.nowMillis(), body: body)
            var parameters: [String: String] = [:]
            for pair in (query ?? "").split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if parameters[String(parts[0])] == nil {
                    parameters[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
                }
            }
            return HubServer.Exchange(
                method: method, path: path, pathAndQuery: pathAndQuery, parameters: parameters, headers: headers,
                body: body)
        }
    }

    @Test func mutatedRequestsNeverCrashTheHubAndRefusalsChangeNothing() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["TRE_SEED"].flatMap(UInt64.init) ?? 20_261_202
        let count = environment["TRE_FUZZ_REQUESTS"].flatMap(Int.init) ?? 10_000
        let harness = try Harness(seed: seed)
        var statuses: [Int: Int] = [:]
        var before = try Self.fingerprint(harness.service, peers: [harness.node.origin])
        for index in 0..<count {
            let exchange: HubServer.Exchange
            switch harness.random.next() % 10 {
            case 0...4: exchange = try harness.semanticPush()
            case 5...7: exchange = try harness.damagedRequest()
            case 8: exchange = harness.oddRead()
            default: exchange = harness.oddEnrolment()
            }
            let reply = HubServer.handle(exchange, service: harness.service)
            statuses[reply.status, default: 0] += 1
            #expect(
                reply.status != 500, "request \(index) (seed \(seed)): \(String(decoding: reply.body, as: UTF8.self))")
            let after = try Self.fingerprint(harness.service, peers: [harness.node.origin])
            if reply.status >= 400 {
                #expect(after == before, "refused request \(index) (seed \(seed)) changed the store")
            } else if exchange.path == "/v1/push",
                let answer = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any],
                let acknowledged = answer["acknowledged"] as? Int
            {
                harness.position = UInt64(acknowledged)
            }
            before = after
            if index % 1000 == 999 { harness.clock.advance(by: 60_000) }
        }
        print(
            "request fuzz (seed \(seed)): \(count) requests, answers by status \(statuses.sorted { $0.key < $1.key })")
        #expect(statuses[200, default: 0] > 0)
        #expect(statuses.keys.contains { $0 >= 400 })

        // The hub restarts on what the fuzz left, and an honest node still syncs.
        let restarted = HubService(store: try HubStore.open(path: harness.path, time: harness.clock), dictionary: nil) {
            _ in
        }
        try harness.node.put("children", id: testRecord(99), unit: "17605", set: ["sex": "M"])
        let change = try #require(try harness.node.allChanges().last)
        let body = ChangeSet(
            kind: .push, sender: harness.node.origin, from: 0, to: 1, changes: [change]
        ).encode(key: harness.peer.key)
        let answer = try JSONSerialization.jsonObject(
            with: Data(restarted.push(peer: harness.peer, body: body, epoch: "e1")))
        #expect((answer as? [String: Any])?["applied"] as? Int == 1)
    }
}

extension HubServer.Exchange {
    func with(body: [UInt8]) -> Self {
        Self(
            method: method, path: path, pathAndQuery: pathAndQuery, parameters: parameters, headers: headers, body: body
        )
    }

    func with(headers: [String: String]) -> Self {
        Self(
            method: method, path: path, pathAndQuery: pathAndQuery, parameters: parameters, headers: headers, body: body
        )
    }
}

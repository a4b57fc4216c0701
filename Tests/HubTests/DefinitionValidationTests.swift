import Foundation
import GRDB
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Domain
@testable import Hub

/// The hub checks every value pushed to it against the domain definition, for the version its
/// sender declared: through the real path (`Syncer` → `HubClient` → `HubServer.handle` →
/// `HubService.push` → the gate's `admit`), a wrong value is set aside as `invalid_value` without
/// blocking the sender's other changes, and never shows in an answer, a log line or the hub's
/// records; a newer definition's fields and codes are kept and relayed.
@Suite struct DefinitionValidationTests {
    /// District 415's hub on a file, its log kept, and nodes of its communes synced over the
    /// hub's request handler (`SignedAnswerTests.Link`), every answer kept.
    final class World: Sendable {
        let directory: TemporaryDirectory
        let path: String
        let clock = ManualClock()
        let service: HubService
        /// The hub's log lines, and every answer it gave.
        let lines = Kept<String>()
        let answers = Kept<[UInt8]>()

        init() throws {
            directory = try TemporaryDirectory()
            path = directory.path("district.sqlite")
            let created = try HubService.district(at: path, clock: clock)
            let lines = self.lines
            service = HubService(store: created.store, dictionary: WireVocabulary.dictionary) { lines.add($0) }
        }

        var hub: Replica { service.replica }

        func enrol(_ unit: String) throws -> (Replica, HubStore.Peer) {
            try service.enrolReplica(unit: unit, clock: clock)
        }

        /// `tre-node sync` of `node`, declaring `definition`.
        @discardableResult
        func sync(_ node: Replica, _ peer: HubStore.Peer, definition: Int) async throws -> SyncSession.Report {
            let answers = self.answers
            let link = SignedAnswerTests.Link(service: service) { answer in
                answers.add(answer.body)
                return answer
            }
            let syncer = try Syncer(
                replica: node,
                upstream: Upstream(
                    url: URL(string: "http://hub.invalid")!, hubOrigin: hub.origin, hubUnit: "415", key: peer.key),
                pushFilter: LogFilter(onlyOrigin: node.origin), dictionary: WireVocabulary.dictionary,
                definition: definition, transport: link)
            return try await syncer.run()
        }

        /// Whether `text` shows anywhere in what the hub answered or logged.
        func told(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            return answers.items.contains { Self.contains($0, bytes) }
                || lines.items.contains { Self.contains(Array($0.utf8), bytes) }
        }

        static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
            Eavesdropper.contains(haystack, needle)
        }
    }

    /// What a closure of the hub's keeps, read by the test.
    final class Kept<Item: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var kept: [Item] = []
        func add(_ item: Item) { lock.withLock { kept.append(item) } }
        var items: [Item] { lock.withLock { kept } }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool { Eavesdropper.contains(haystack, needle) }

    /// A child as a node of this release writes one.
    static let child: [String: FieldValue] = [
        "full_name": "Lò Thị Mai", "sex": "F", "date_of_birth": "2019-09-05", "village": "Bản Mòn",
        "lifecycle": "active",
    ]

    @Test func invalidValuesAreSetAsideWithoutBlockingAndNeverToldOrKeptBeyondTheirReview() async throws {
        let world = try World()
        let (node, peer) = try world.enrol("17605")
        // What a node that skips the checks (an older release, or a tampered one) may send, each
        // change carrying a personal value of its own, next to a worker's valid work.
        let valid = testRecord(1)
        try node.put("children", id: valid, unit: "17605", set: Self.child)
        let nfd = "Nguyễn Thị Tổ Hợp 4714".decomposedStringWithCanonicalMapping
        let bad: [(String, [String: FieldValue], String)] = [
            ("chidren", ["full_name": "Trẻ Gõ Nhầm 4711"], "unknown collection \"chidren\""),
            ("children", ["full_name": "Giới Tính Lạ 4712", "sex": "X"], "children.sex: not a code of sex"),
            (
                "children", ["full_name": "Ngày Sinh Sai 4713", "date_of_birth": "2030-13-45"],
                "children.date_of_birth: not a date YYYY-MM-DD"
            ),
            ("children", ["full_name": .string(nfd)], "children.full_name: text not in Unicode NFC"),
            (
                "children", ["full_name": "Trường Lạ 4715", "favourite_colour": "xanh lá cây 4716"],
                "unknown field children.favourite_colour"
            ),
            (
                "children", ["full_name": "Điện Thoại Thiếu 4717", "guardian_phone": "091234567"],
                "children.guardian_phone: not a 10-digit phone starting with 0"
            ),
        ]
        for (index, (collection, fields, _)) in bad.enumerated() {
            try node.put(collection, id: testRecord(UInt64(10 + index)), unit: "17605", set: fields)
        }
        try node.put("children", id: valid, set: ["village": "Bản Mới"])
        let report = try await world.sync(node, peer, definition: 1)
        #expect(report.pushed == 8)

        // Each bad change set aside, named by field and problem; the valid ones applied.
        let entries = try world.hub.setAsideEntries()
        #expect(entries.map(\.code) == Array(repeating: "invalid_value", count: bad.count))
        #expect(Set(entries.map(\.detail)) == Set(bad.map(\.2)))
        #expect(try world.hub.record("children", id: valid)?.value("village") == "Bản Mới")
        #expect(try world.hub.counts().records == 1)
        // The node keeps the hub's reasons for `tre-node rejected`.
        #expect(try node.setAsideEntries().map(\.code) == Array(repeating: "invalid_value", count: bad.count))

        // No value of a refused change in the answers, the log, the reasons or the hub's records
        // and log; the set-aside copy keeps the change whole, for the operator's review.
        let planted = [
            "Trẻ Gõ Nhầm 4711", "Giới Tính Lạ 4712", "Ngày Sinh Sai 4713", "2030-13-45", nfd,
            nfd.precomposedStringWithCanonicalMapping, "Trường Lạ 4715", "xanh lá cây 4716", "Điện Thoại Thiếu 4717",
            "091234567",
        ]
        for value in planted {
            #expect(!world.told(value), "\(value) was told")
            #expect(!entries.contains { $0.detail.contains(value) })
        }
        #expect(!world.lines.items.isEmpty)
        let held = try world.hub.log(after: 0, limit: .max).map(\.change.set.dictionary.description).joined()
        for value in planted { #expect(!held.contains(value)) }
        #expect(entries.contains { $0.change.set["guardian_phone"] == "091234567" })

        // Judged again, an invalid value stays invalid: `retry` changes nothing.
        let store = world.service.store
        let gate = try store.gate(for: nil, now: world.clock.nowMillis(), maximumFutureMillis: 86_400_000)
        let retried = try world.hub.retrySetAside(nil, gate: gate)
        #expect(retried.applied == 0)
        #expect(retried.refused.map(\.kind) == Array(repeating: .invalidValue, count: bad.count))
        // The operator accepts the short phone number: stored as sent, the operator's decision.
        let phone = try #require(entries.first { $0.change.set["guardian_phone"] != nil }).change.dot
        let accepted = try world.hub.retrySetAside([phone], gate: OperatorGate(gate))
        #expect(accepted.applied == 1)
        #expect(try world.hub.record("children", id: testRecord(15))?.value("guardian_phone") == "091234567")
        // ...and discards the rest: once the file is compacted, none of their values is left in it.
        #expect(try world.hub.discardSetAside(Set(try world.hub.setAsideEntries().map(\.change.dot))) == 5)
        try await store.writer.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM")
            try db.checkpoint(.truncate)
        }
        var bytes = [UInt8]()
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: world.path + suffix) { bytes += data }
        }
        let acceptedName = Self.contains(bytes, Array("Điện Thoại Thiếu 4717".utf8))
        #expect(acceptedName)
        for value in planted.filter({ $0 != "Điện Thoại Thiếu 4717" && $0 != "091234567" }) {
            let left = Self.contains(bytes, Array(value.utf8))
            #expect(!left, "\(value) is still in the hub's file")
        }
    }

    /// What `tre-node rejected` tells a worker to do: correct the value and sync. The correction
    /// is based on the refused change, so it waits set aside with it; `retry` changes nothing,
    /// and the operator's `accept` of both applies the refused value and then the correction.
    @Test func aCorrectionWaitsWithTheRefusedValueAndAcceptingBothLeavesTheCorrection() async throws {
        let world = try World()
        let (node, peer) = try world.enrol("17605")
        var child = Self.child
        child["sex"] = "X"
        try node.put("children", id: testRecord(1), unit: "17605", set: child)
        try await world.sync(node, peer, definition: 1)
        try node.put("children", id: testRecord(1), set: ["sex": "F"])
        try await world.sync(node, peer, definition: 1)
        #expect(try world.hub.setAsideEntries().map(\.code) == ["invalid_value", "depends_on_set_aside"])
        let gate = try world.service.store.gate(for: nil, now: world.clock.nowMillis(), maximumFutureMillis: 86_400_000)
        #expect(try world.hub.retrySetAside(nil, gate: gate).applied == 0)
        let accepted = try world.hub.retrySetAside(nil, gate: OperatorGate(gate))
        #expect(accepted.applied == 2)
        #expect(try world.hub.record("children", id: testRecord(1))?.value("sex") == "F")
        #expect(try world.hub.setAsideEntries().isEmpty)
    }

    @Test func aNewerDefinitionsFieldsAndCodesAreKeptAndRelayedButRefusedFromAnOlderOne() async throws {
        let world = try World()
        let (newer, newerPeer) = try world.enrol("17605")
        let (older, olderPeer) = try world.enrol("17605")
        let (other, otherPeer) = try world.enrol("17608")
        let newerVersion = DomainDefinition.current.version + 1

        // A laptop running a newer definition: a field and codes this one does not know. A field
        // version 1 knows is still checked: a date in the form a person types is not stored.
        var fields = Self.child
        fields["favourite_colour"] = "xanh"
        fields["ethnicity"] = "brau"
        fields["circumstances"] = [["group": "p", "since": "2024-01-01", "review": "2026-06-01"]]
        try newer.put("children", id: testRecord(1), unit: "17605", set: fields)
        try newer.put(
            "children", id: testRecord(2), unit: "17605",
            set: ["full_name": "Lò Văn Páo", "date_of_birth": "05/09/2019"])
        try await world.sync(newer, newerPeer, definition: newerVersion)
        let kept = try #require(try world.hub.record("children", id: testRecord(1)))
        #expect(kept.value("favourite_colour") == "xanh")
        #expect(kept.value("ethnicity") == "brau")
        #expect(try world.hub.setAsideEntries().map(\.detail) == ["children.date_of_birth: not a date YYYY-MM-DD"])

        // Another laptop of the commune, on version 1, receives them, keeps them through its own
        // edit, and the hub takes that edit (it sets only fields version 1 knows).
        try await world.sync(older, olderPeer, definition: 1)
        #expect(try older.record("children", id: testRecord(1))?.value("favourite_colour") == "xanh")
        try older.put("children", id: testRecord(1), set: ["village": "Bản Mới"])
        try await world.sync(older, olderPeer, definition: 1)
        let after = try #require(try world.hub.record("children", id: testRecord(1)))
        #expect(after.value("village") == "Bản Mới")
        #expect(after.value("favourite_colour") == "xanh")
        #expect(try older.record("children", id: testRecord(1))?.value("favourite_colour") == "xanh")

        // The same change from a laptop that declares version 1: set aside.
        try other.put("children", id: testRecord(3), unit: "17608", set: ["favourite_colour": "đỏ"])
        try other.put("children", id: testRecord(4), unit: "17608", set: ["ethnicity": "brau"])
        try await world.sync(other, otherPeer, definition: 1)
        #expect(
            try world.hub.setAsideEntries().filter { $0.via == other.origin }.map(\.detail) == [
                "unknown field children.favourite_colour", "children.ethnicity: not a code of ethnicity",
            ])

        // A change file declares nothing: it is judged by the version its sender last declared.
        try newer.put(
            "children", id: testRecord(5), unit: "17605", set: ["full_name": "Giàng A Tủa", "nickname": "Tủa"])
        let change = try #require(try newer.allChanges().last)
        let file = ChangeSet(kind: .push, sender: newer.origin, from: 2, to: 3, changes: [change]).encode(
            key: newerPeer.key, dictionary: WireVocabulary.dictionary)
        let imported = try JSONSerialization.jsonObject(
            with: Data(
                try world.service.push(peer: newerPeer, body: file, epoch: try world.service.pushEpoch(of: newerPeer))))
        #expect((imported as? [String: Any])?["applied"] as? Int == 1)

        // The district relays the newer version's fields to its province: it declares the newest version
        // its peers declared.
        let store = world.service.store
        #expect(try store.relayedDefinition() == newerVersion)
        let upstream = Upstream(
            url: URL(string: "http://province.invalid")!, hubOrigin: testOrigin(40), hubUnit: "40", key: .random())
        #expect(try store.syncer(to: upstream).definition == newerVersion)
    }

    @Test func aDeclaredVersionOutOfBoundsIsRefusedBeforeAnythingIsRead() throws {
        let world = try World()
        let (node, peer) = try world.enrol("17605")
        try node.put("children", id: testRecord(1), unit: "17605", set: Self.child)
        let body = ChangeSet(kind: .push, sender: node.origin, from: 0, to: 1, changes: try node.allChanges()).encode(
            key: peer.key)
        func send(_ method: String, _ path: String, _ query: String, _ body: [UInt8]) -> HubServer.Reply {
            let pathAndQuery = "\(path)?\(query)"
            var parameters: [String: String] = [:]
            for pair in query.split(separator: "&") {
                let item = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                parameters[String(item[0])] = item.count > 1 ? String(item[1]) : ""
            }
            let headers = RequestSignature.headers(
                origin: node.origin, key: peer.key, method: method, pathAndQuery: pathAndQuery,
                timeMillis: world.clock.nowMillis(), body: body)
            return HubServer.handle(
                HubServer.Exchange(
                    method: method, path: path, pathAndQuery: pathAndQuery, parameters: parameters, headers: headers,
                    body: body),
                service: world.service)
        }
        for declared in ["0", "1000001", "-1", "", "x", "2.0", "99999999999999999999"] {
            let push = send("POST", "/v1/push", "epoch=e&definition=\(declared)", body)
            #expect(push.status == 400, "definition=\(declared)")
            #expect(String(decoding: push.body, as: UTF8.self).contains("bad_definition"))
            #expect(send("GET", "/v1/pull", "after=0&definition=\(declared)", []).status == 400)
        }
        #expect(try world.hub.counts().records == 0)
        #expect(try world.hub.setting(HubStore.definitionSetting(node.origin)) == nil)
        // The bounds themselves are accepted, and what a peer declares is kept.
        #expect(send("POST", "/v1/push", "epoch=e&definition=1000000", body).status == 200)
        #expect(try world.service.store.declaredDefinition(of: node.origin) == 1_000_000)
        #expect(send("GET", "/v1/pull", "after=0&definition=1", []).status == 200)
        #expect(try world.service.store.declaredDefinition(of: node.origin) == 1)
        #expect(try world.hub.counts().records == 1)
    }

    /// The hub's quick NFC test (it runs on every text of every pushed change) agrees with full
    /// normalisation: each scalar it takes as it is is NFC with combining class 0, no two of them
    /// compose, and decomposed text is caught.
    @Test func theQuickNFCCheckAgreesWithNormalisation() throws {
        func exact(_ text: String) -> Bool { text.utf8.elementsEqual(text.precomposedStringWithCanonicalMapping.utf8) }
        let scalars = Validator.nfcAsItIs.flatMap { $0 }.compactMap(Unicode.Scalar.init)
        #expect(scalars.count > 1_000)
        let notAsItIs = scalars.filter {
            !exact(String(Character($0))) || $0.properties.canonicalCombiningClass != .notReordered
        }
        #expect(notAsItIs.isEmpty)
        var random = SeededGenerator(seed: 20_261_202)
        var disagree: [String] = []
        for _ in 0..<20_000 {
            let pair = String(
                String.UnicodeScalarView([
                    scalars.randomElement(using: &random)!, scalars.randomElement(using: &random)!,
                ]))
            if !exact(pair) || !Validator.isNFC(pair) { disagree.append(pair) }
        }
        #expect(disagree.isEmpty)
        for text in ["Nguyễn Thị Ánh Tuyết", "Đặng Văn Đức – “Bản Mòn”…", "Thôn 5, ấp Phước Lợi ₫", "Ω 한국 क़ é"] {
            let composed = text.precomposedStringWithCanonicalMapping
            #expect(Validator.isNFC(composed), "\(text)")
            let decomposed = text.decomposedStringWithCanonicalMapping
            #expect(Validator.isNFC(decomposed) == exact(decomposed), "\(text)")
        }
        #expect(!Validator.isNFC("Nguyễn".decomposedStringWithCanonicalMapping))
        #expect(!Validator.isNFC("\u{2126}"))  // OHM SIGN: its NFC is Ω (U+03A9)
        // The test a hub runs on every scalar is the list, compared in place.
        let listed = Set(scalars.map(\.value))
        let inPlace = (0...UInt32(0x10FFFF)).filter(Validator.isNFCAsItIs)
        #expect(inPlace.count == Validator.nfcAsItIs.reduce(0) { $0 + $1.count })
        #expect(inPlace.allSatisfy(listed.contains))
    }
}

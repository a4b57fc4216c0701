import Foundation
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Domain
@testable import Hub

/// A district's upstream policy, through the real path: the district's own `HubStore.syncer`
/// → `Syncer` → `HubServer.handle` of a province on its own file, every check and merge of the
/// province's as it runs. What the province holds is read from its records, its log and its
/// file's bytes, against values planted by the test.
@Suite struct UpstreamPolicyTests {
    static let units: [HubStore.Unit] = [
        .init(code: "40", name: "Nghệ An", level: "province", parentCode: nil),
        .init(code: "415", name: "Kỳ Sơn", level: "district", parentCode: "40"),
        .init(code: "17605", name: "Mường Lống", level: "commune", parentCode: "415"),
        .init(code: "17608", name: "Huồi Tụ", level: "commune", parentCode: "415"),
        .init(code: "17900", name: "Châu Khê", level: "commune", parentCode: "40"),
    ]

    /// Province 40 and district 415 on files, the district enrolled at the province as a hub
    /// (with the origin and key the province assigned); nodes are enrolled as the tests need.
    final class World: Sendable {
        let directory: TemporaryDirectory
        let clock = ManualClock()
        let province: HubService
        let district: HubService
        let upstream: Upstream
        let provincePath: String
        let districtPath: String
        let provinceLines = DefinitionValidationTests.Kept<String>()

        init() throws {
            directory = try TemporaryDirectory()
            provincePath = directory.path("province.sqlite")
            districtPath = directory.path("district.sqlite")
            let storage = try SQLiteStorage(path: provincePath)
            let replica = try Replica.initialize(
                storage: storage, origin: testOrigin(40), unit: "40", name: "Nghệ An", time: clock)
            let store = try HubStore.create(replica: replica, storage: storage)
            _ = try store.importUnits(UpstreamPolicyTests.units)
            let lines = provinceLines
            province = HubService(store: store, dictionary: WireVocabulary.dictionary) { lines.add($0) }
            let code = try store.createEnrolment(unit: "415", kind: .hub, hours: 24, now: clock.nowMillis()).code
            let answer = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(try province.enrol(body: jsonBytes(["code": code, "kind": "hub"])))) as? [String: String]
            )
            let origin = try #require(answer["origin"].flatMap(OriginID.init(string:)))
            let key = try #require(answer["key"].flatMap(PeerKey.init(hex:)))
            let districtStorage = try SQLiteStorage(path: districtPath)
            let districtReplica = try Replica.initialize(
                storage: districtStorage, origin: origin, unit: "415", name: "Kỳ Sơn", time: clock)
            upstream = Upstream(
                url: URL(string: "http://province.invalid")!, hubOrigin: replica.origin, hubUnit: "40", key: key)
            try upstream.save(to: districtReplica)
            let districtStore = try HubStore.create(replica: districtReplica, storage: districtStorage)
            _ = try districtStore.importUnits(UpstreamPolicyTests.units)
            district = HubService(store: districtStore, dictionary: WireVocabulary.dictionary) { _ in }
        }

        /// `tre-hub sync-upstream` of the district, with at most `maxPushChanges` a set.
        @discardableResult
        func syncUp(maxPushChanges: Int = 2_000) async throws -> SyncSession.Report {
            var syncer = try district.store.syncer(
                to: upstream, transport: SignedAnswerTests.Link(service: province) { $0 })
            syncer.maxPushChanges = maxPushChanges
            return try await syncer.run()
        }

        /// `tre-node sync` of `node` with `hub`.
        @discardableResult
        func sync(_ node: Replica, _ peer: HubStore.Peer, with hub: HubService) async throws -> SyncSession.Report {
            let syncer = try Syncer(
                replica: node,
                upstream: Upstream(
                    url: URL(string: "http://hub.invalid")!, hubOrigin: hub.replica.origin, hubUnit: hub.replica.unit,
                    key: peer.key),
                pushFilter: LogFilter(onlyOrigin: node.origin), dictionary: WireVocabulary.dictionary,
                definition: DomainDefinition.current.version, transport: SignedAnswerTests.Link(service: hub) { $0 })
            return try await syncer.run()
        }

        /// How many changes the district's `status` says wait for the province.
        func waiting() throws -> Int {
            try SyncStatus.load(from: district.replica, pushFilter: try district.store.upstreamFilter(upstream))
                .waiting
        }
    }

    /// Personal values a commune writes, each unique enough to be found in a file.
    static let name = "Hờ Thị Dính Mỷ"
    static let birth = "2014-03-09"
    static let village = "Bản Lầu Phìn"
    static let phone = "0912345671"
    static let notes = "Cha mẹ đi làm ăn ở Lào từ tháng 3"
    static let reporter = "Giàng A Páo Chư"
    static let reporterPhone = "0987654329"
    static let told = "Hàng xóm nghe tiếng cháu khóc đêm"
    static let planted = [name, birth, village, phone, notes, reporter, reporterPhone, told]

    static let child: [String: FieldValue] = [
        "full_name": .string(name), "sex": "F", "date_of_birth": .string(birth), "village": .string(village),
        "guardian_phone": .string(phone), "notes": .string(notes), "school_status": "primary", "lifecycle": "active",
    ]

    static func intake(of child: RecordID) -> [String: FieldValue] {
        [
            "received_at": "2026-04-24T03:00:00Z", "received_by": "Lò Văn Sáng", "source": "hotline_111",
            "abuse_types": ["violence"], "reporter_consent": true, "reporter_name": .string(reporter),
            "reporter_phone": .string(reporterPhone), "description": .string(told),
            "child_id": .string(child.description),
        ]
    }

    @Test func aRedactingDistrictRelaysEveryChangeWithoutItsPersonalValuesAndLosesNothing() async throws {
        let world = try World()
        let (node, peer) = try world.district.enrolReplica(unit: "17605", clock: world.clock)
        let child = testRecord(1)
        let intake = testRecord(2)
        try node.put("children", id: child, unit: "17605", set: Self.child)
        try node.put("intakes", id: intake, unit: "17605", set: Self.intake(of: child))
        try node.put("children", id: child, set: ["notes": "Đã về ở với bà ngoại Lầu Thị Say"])
        try await world.sync(node, peer, with: world.district)
        #expect(try world.district.store.setUpstreamPolicy(.redacted) == "full")
        #expect(try world.district.store.upstreamPolicy() == .redacted)
        let report = try await world.syncUp()
        // The three changes, and the district's indicator values computed before the push.
        let computed = try world.district.replica.records(in: "aggregates").count
        #expect(computed > 0)
        #expect(report.pushed == 3 + computed)

        // Every change arrived, with its dot: the province holds the versions the district does,
        // nothing parked or set aside.
        let province = world.province.replica
        #expect(try province.setAsideEntries().isEmpty)
        #expect(try province.counts().parked == 0)
        for (collection, id) in [("children", child), ("intakes", intake)] {
            #expect(
                try province.record(collection, id: id)?.version
                    == world.district.replica.record(collection, id: id)?.version)
        }
        // The fields that are not personal are whole; the personal ones hold nothing.
        let held = try #require(try province.record("children", id: child))
        #expect(held.value("sex") == "F" && held.value("school_status") == "primary")
        #expect(held.value("lifecycle") == "active" && held.unit == "17605")
        for field in ["full_name", "date_of_birth", "village", "guardian_phone", "notes"] {
            #expect(held.value(field) == .null, "\(field)")
        }
        let report01 = try #require(try province.record("intakes", id: intake))
        #expect(report01.value("source") == "hotline_111" && report01.value("child_id") == .string(child.description))
        #expect(report01.value("reporter_name") == .null && report01.value("description") == .null)
        // No planted value in the province's log, its answers, its log lines or its file; all
        // of them in the district's file (so the scan can fail).
        let logged = try province.log(after: 0, limit: .max).map(\.change.set.dictionary.description).joined()
        for value in Self.planted { #expect(!logged.contains(value), "\(value) is in the province's log") }
        #expect(revealed(Self.planted, in: try fileBytes(world.provincePath)) == [])
        #expect(!world.provinceLines.items.contains { line in Self.planted.contains { line.contains($0) } })
        #expect(revealed(Self.planted, in: try fileBytes(world.districtPath)) == Self.planted)

        // The province edits a field that is not personal: it reaches the district and the
        // commune and merges with the personal values they hold — none lost, no conflict.
        try province.put("children", id: child, set: ["school_status": "out_of_school"])
        try await world.syncUp()
        try await world.sync(node, peer, with: world.district)
        for replica in [world.district.replica, node] {
            let record = try #require(try replica.record("children", id: child))
            #expect(record.value("school_status") == "out_of_school")
            #expect(record.value("full_name") == .string(Self.name))
            #expect(record.value("notes") == "Đã về ở với bà ngoại Lầu Thị Say")
            #expect(!record.hasConflicts)
        }
        #expect(try node.stateHash() == world.district.replica.stateHash(unit: { $0 == "17605" }))

        // Back to `full`: the whole log goes again, as duplicates the province skips; the values
        // removed before stay removed there (the province holds those changes), what is new goes
        // whole.
        try world.district.store.setUpstreamPolicy(.full)
        try node.put("children", id: child, set: ["village": "Bản Mới Phìn"])
        try await world.sync(node, peer, with: world.district)
        // The log again: its four changes, the aggregates and their deletion (records go up
        // whole now, so the figures sent in their place are taken back).
        #expect(try world.waiting() == 4 + 2 * computed)
        try await world.syncUp()
        #expect(try world.waiting() == 0)
        let after = try #require(try province.record("children", id: child))
        #expect(after.value("full_name") == .null && after.value("village") == "Bản Mới Phìn")
    }

    /// Under `aggregates` only the figures go up (and `status` counts only them); set to `full`,
    /// what was left out goes up too, in small sets — which needs a new push epoch: the
    /// province's acknowledged position would otherwise move the cursor past it.
    @Test func aggregatesOnlyThenFullSendsWhatWasLeftOut() async throws {
        let world = try World()
        let (node, peer) = try world.district.enrolReplica(unit: "17605", clock: world.clock)
        for number in 1...5 {
            try node.put(
                "children", id: testRecord(UInt64(number)), unit: "17605",
                set: Self.child.merging(["full_name": .string("\(Self.name) \(number)")]) { $1 })
        }
        try await world.sync(node, peer, with: world.district)
        let district = world.district.replica
        try world.district.store.setUpstreamPolicy(.aggregates)
        try district.put(
            "report_approvals", id: testRecord(13), unit: "415",
            set: ["unit": "415", "period": "2026-H1", "status": "returned", "reason": "Thiếu số liệu Huồi Tụ Phìn"])
        // The approval waits; the figures are computed when the push starts.
        #expect(try world.waiting() == 1)
        let report = try await world.syncUp(maxPushChanges: 1)
        let computed = try district.records(in: "aggregates").count
        #expect(computed > 0)
        #expect(report.pushed == computed + 1 && report.pushSets >= 3)
        #expect(try world.waiting() == 0)
        let province = world.province.replica
        #expect(try province.records(in: "children").isEmpty)
        #expect(try province.records(in: "aggregates").count == computed)
        let reports = try Reporting(replica: province, tree: try world.province.store.unitTree())
        let counted = try reports.document(unit: "17605", period: .halfYear(year: 2026, half: 1))
        #expect(counted.section("0201")?.total.value == .count(5), "the five children, from the aggregates")
        #expect(counted.fromAggregates == ["17605"])
        let approval = try #require(try province.record("report_approvals", id: testRecord(13)))
        #expect(approval.value("status") == "returned" && approval.value("reason") == .null)
        #expect(revealed(["Thiếu số liệu Huồi Tụ Phìn", Self.name], in: try fileBytes(world.provincePath)) == [])

        // Full: the five children wait too, and the aggregates' deletion (records count now),
        // and go up two by two.
        #expect(try world.district.store.setUpstreamPolicy(.full) == "aggregates")
        #expect(try world.waiting() == 5 + 1 + 2 * computed)
        try await world.syncUp(maxPushChanges: 2)
        #expect(try world.waiting() == 0)
        #expect(try province.records(in: "children").count == 5)
        #expect(try province.record("children", id: testRecord(5))?.value("full_name") == .string("\(Self.name) 5"))
        #expect(try province.records(in: "aggregates").allSatisfy { $0.1.isDeleted })
        #expect(try reports.document(unit: "17605", period: .halfYear(year: 2026, half: 1)).fromAggregates.isEmpty)
        #expect(try province.setAsideEntries().isEmpty && province.counts().parked == 0)
        // Setting the same policy again changes nothing (no resend).
        #expect(try world.district.store.setUpstreamPolicy(.full) == "full")
        #expect(try world.waiting() == 0)
    }

    /// The definition check at the province: a lower hub's null for a required personal field
    /// passes (it may be redacting), a node's does not, and a hub's null for a required field
    /// that is not personal does not either.
    @Test func onlyALowerHubMayClearARequiredPersonalField() async throws {
        let world = try World()
        let district = world.district.replica
        // What a redacting district sends for a child, and a change no redaction makes.
        try district.put(
            "children", id: testRecord(1), unit: "17605",
            set: ["full_name": .null, "sex": "M", "date_of_birth": .null, "village": .null])
        try district.put("children", id: testRecord(2), unit: "17608", set: ["sex": .null, "full_name": .null])
        try await world.syncUp()
        let province = world.province.replica
        #expect(try province.record("children", id: testRecord(1))?.value("sex") == "M")
        let refused = try province.setAsideEntries()
        #expect(refused.map(\.code) == ["invalid_value"])
        #expect(refused.map(\.detail) == ["children.sex is required and cannot be cleared"])

        // A commune enrolled directly at the province, and one at the district: each node's null
        // for a child's required name is set aside where it arrives.
        let (direct, directPeer) = try world.province.enrolReplica(unit: "17900", clock: world.clock)
        try direct.put(
            "children", id: testRecord(3), unit: "17900",
            set: ["full_name": .null, "sex": "F", "date_of_birth": "2019-09-05", "village": "Bản Mòn"])
        try await world.sync(direct, directPeer, with: world.province)
        #expect(try province.record("children", id: testRecord(3)) == nil)
        #expect(
            try province.setAsideEntries().filter { $0.via == direct.origin }.map(\.detail) == [
                "children.full_name is required and cannot be cleared"
            ])
        let (node, peer) = try world.district.enrolReplica(unit: "17605", clock: world.clock)
        try node.put(
            "children", id: testRecord(4), unit: "17605",
            set: ["full_name": .null, "sex": "F", "date_of_birth": "2019-09-05", "village": "Bản Mòn"])
        try await world.sync(node, peer, with: world.district)
        #expect(try district.record("children", id: testRecord(4)) == nil)
        #expect(
            try district.setAsideEntries().filter { $0.via == node.origin }.map(\.detail) == [
                "children.full_name is required and cannot be cleared"
            ])
        // The district keeps the province's refusal of its own change, for its operator.
        #expect(try district.setAsideEntries().filter { $0.via == world.upstream.hubOrigin }.count == 1)
    }
}

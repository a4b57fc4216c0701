import Foundation
import ReplicaCommands
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Domain
@testable import Hub

/// An outside review of reports and upstream policies (review 11): each attack mounted through
/// the sync (`Syncer` → `HubServer.handle`), each first seen succeeding.
@Suite struct ReviewReportAttackTests {
    static let period = ReportPeriod.halfYear(year: 2026, half: 1)

    static func children(_ node: Replica, unit: String, count: Int) throws {
        for number in 0..<count {
            try node.put(
                "children", id: node.newRecordID(), unit: unit,
                set: [
                    "full_name": .string("Trẻ \(unit) \(number)"), "sex": number % 2 == 0 ? "F" : "M",
                    "date_of_birth": "2018-05-05", "village": "Bản Mới",
                ])
        }
    }

    /// An aggregate as a hub writes it, with the given claims.
    static func forged(unit: String, source: String, value: Int64, bands: String = AgeBands.standard.description)
        -> [String: FieldValue]
    {
        [
            "unit": .string(unit), "period": "2026-H1", "indicator": "0201", "value": .int(value),
            "source": .string(source), "bands": .string(bands), "computed_at": "2026-07-01T00:00:00Z",
        ]
    }

    /// A tampered commune node writes `aggregates` records, which nothing at the hub checked: one
    /// claiming its neighbour 17608's children, one claiming 17900 (a commune of another branch,
    /// under the province), one claiming to be the district's own figures, and one with other
    /// age bands. Each used to replace the real figures of the unit it names — at the district
    /// and, once relayed, at the province — or make their reports refuse altogether.
    @Test func aCommuneNodeCannotWriteAggregatesThatReplaceOtherUnitsFigures() async throws {
        let world = try UpstreamPolicyTests.World()
        let (neighbour, neighbourPeer) = try world.district.enrolReplica(unit: "17608", clock: world.clock)
        try Self.children(neighbour, unit: "17608", count: 3)
        try await world.sync(neighbour, neighbourPeer, with: world.district)
        let (direct, directPeer) = try world.province.enrolReplica(unit: "17900", clock: world.clock)
        try Self.children(direct, unit: "17900", count: 2)
        try await world.sync(direct, directPeer, with: world.province)

        let (tampered, tamperedPeer) = try world.district.enrolReplica(unit: "17605", clock: world.clock)
        try Self.children(tampered, unit: "17605", count: 1)
        for fields in [
            Self.forged(unit: "17608", source: "17605", value: 999),
            Self.forged(unit: "17900", source: "17605", value: 777),
            Self.forged(unit: "17608", source: "415", value: 555),
            Self.forged(unit: "17605", source: "17605", value: 1, bands: "0-15"),
        ] {
            try tampered.put("aggregates", id: tampered.newRecordID(), unit: "17605", set: fields)
        }
        try await world.sync(tampered, tamperedPeer, with: world.district)
        try await world.syncUp()

        let now = Date()
        let district = try Reporting(
            replica: world.district.replica, tree: try world.district.store.unitTree(), now: { now })
        let province = try Reporting(
            replica: world.province.replica, tree: try world.province.store.unitTree(), now: { now })
        #expect(try world.district.replica.records(in: "aggregates").allSatisfy { $0.1.unit == "415" })
        #expect(try world.district.replica.setAsideEntries().map(\.code) == Array(repeating: "not_permitted", count: 4))
        for (reporting, unit, children) in [
            (district, "17608", 3), (district, "415", 4), (province, "17608", 3), (province, "17900", 2),
            (province, "40", 6),
        ] {
            let document = try? reporting.document(unit: unit, period: Self.period)
            #expect(document?.section("0201")?.rows.first?.value == .count(children), "\(unit)")
        }
    }

    /// A dishonest district relays figures for a commune outside its subtree (17900, under the
    /// province) and figures owned by one of its communes in its own name: the province takes
    /// neither, and still reports 17900 from its records.
    @Test func aLowerHubsFiguresCountOnlyForItsOwnSubtree() async throws {
        let world = try UpstreamPolicyTests.World()
        let (direct, directPeer) = try world.province.enrolReplica(unit: "17900", clock: world.clock)
        try Self.children(direct, unit: "17900", count: 2)
        try await world.sync(direct, directPeer, with: world.province)
        let (node, peer) = try world.district.enrolReplica(unit: "17605", clock: world.clock)
        try Self.children(node, unit: "17605", count: 3)
        try await world.sync(node, peer, with: world.district)
        try world.district.replica.put(
            "aggregates", id: world.district.replica.newRecordID(), unit: "415",
            set: Self.forged(unit: "17900", source: "415", value: 777))
        try world.district.replica.put(
            "aggregates", id: world.district.replica.newRecordID(), unit: "17605",
            set: Self.forged(unit: "17605", source: "415", value: 555))
        try await world.syncUp()
        #expect(try world.province.replica.records(in: "aggregates").count == 2)
        let now = Date()
        let province = try Reporting(
            replica: world.province.replica, tree: try world.province.store.unitTree(), now: { now })
        for (unit, children) in [("17900", 2), ("17605", 3), ("40", 5)] {
            let document = try? province.document(unit: unit, period: Self.period)
            #expect(document?.section("0201")?.rows.first?.value == .count(children), "\(unit)")
        }
    }

    /// A commune in which 8 children are in special circumstances (6 girls, 2 boys) and 5 of the
    /// girls have a case handled in the period: 0103 by sex hides the boys (2) and, as the
    /// complement, the girls (6); 0104 by sex shows 5 girls, 0 boys.
    static func specialCircumstances(_ node: Replica, unit: String) throws {
        for number in 0..<8 {
            let child = node.newRecordID()
            try node.put(
                "children", id: child, unit: unit,
                set: [
                    "full_name": .string("Trẻ \(number)"), "sex": number < 6 ? "F" : "M",
                    "date_of_birth": "2018-05-05", "village": "Bản Mới",
                    "circumstances": .array([.object(["group": "a", "since": "2021-05-01"])]),
                ])
            guard number < 5 else { continue }
            try node.put(
                "cases", id: node.newRecordID(), unit: unit,
                set: [
                    "child_id": .string(child.description), "received_at": "2026-03-02T03:00:00Z",
                    "case_type": "neglect", "status": "received",
                ])
        }
    }

    /// A published table's share gives back a count hidden as a complement: 0105 (0104 over
    /// 0103) for girls is 5 / 6 = 83,3 %, shown because its numerator is, so 0103's girls are 6
    /// and its boys, hidden as a small count, are 8 − 6 = 2. The same holds for 0102, 0203 and
    /// 0205 whenever 0201 or 0103 has a cell hidden as a complement and the numerator is shown.
    @Test func aPublishedShareDoesNotGiveBackADenominatorHiddenAsAComplement() async throws {
        let world = try UpstreamPolicyTests.World()
        let (node, _) = try world.district.enrolReplica(unit: "17605", clock: world.clock)
        try Self.specialCircumstances(node, unit: "17605")
        let reporting = try Reporting(replica: node, tree: UnitTree(single: "17605", name: "Mường Lống"))
        let document = try reporting.document(unit: "17605", period: Self.period, threshold: 5)
        func row(_ code: String, _ key: String) -> ReportDocument.Cell? {
            document.section(code)?.rows.first { $0.key == key }?.value
        }
        #expect(row("0103", "sex=M") == .suppressed)
        #expect(row("0103", "sex=F") == .suppressed, "the complement")
        #expect(row("0104", "sex=F") == .count(5))
        #expect(row("0105", "sex=F") == .suppressed, "5 / 83,3 % = 6 girls, so 2 boys")
    }

    /// A published table prints, beside a figure changed since approval, the approved figure,
    /// and lists every change as "then → now": exact counts, even where the cell is hidden.
    @Test func aPublishedTableShowsNoHiddenCountBesideAFigureChangedSinceApproval() async throws {
        let world = try UpstreamPolicyTests.World()
        let (node, peer) = try world.district.enrolReplica(unit: "17605", clock: world.clock)
        try Self.children(node, unit: "17605", count: 3)
        let now = Date()
        let commune = try Reporting(replica: node, tree: UnitTree(single: "17605", name: "Mường Lống"), now: { now })
        try commune.submit(unit: "17605", period: Self.period, by: "Cán bộ xã")
        try await world.sync(node, peer, with: world.district)
        let district = try Reporting(
            replica: world.district.replica, tree: try world.district.store.unitTree(), now: { now })
        try district.approve(unit: "17605", period: Self.period, by: "Trưởng phòng")
        // A child registered late: the commune now has 4 children (3 girls), shown as "<5".
        try Self.children(node, unit: "17605", count: 1)
        try await world.sync(node, peer, with: world.district)

        let published = try district.document(unit: "17605", period: Self.period, threshold: 5)
        #expect(published.section("0201")?.rows.first?.value == .suppressed)
        for section in published.sections {
            for row in section.rows where row.value == .suppressed {
                #expect(row.approved == nil, "\(section.indicator.code) \(row.key): approved \(row.approved ?? 0)")
            }
        }
        for change in published.approval?.changes ?? [] {
            let shown = published.section(change.indicator)?.rows.first { $0.key == change.key }?.value
            #expect(shown != .suppressed, "\(change.indicator) \(change.key): \(change.then) → \(change.now)")
            #expect(!(1..<5).contains(change.then) && !(1..<5).contains(change.now))
        }
        let text = ReportRender.table(published, language: .en)
        #expect(!text.contains("approved: 3"), "\(text)")
        // The exact report, the approver's, still shows the change.
        let exact = try district.document(unit: "17605", period: Self.period)
        #expect(exact.approval?.changes.contains { $0.indicator == "0201" && $0.key == "" && $0.now == 4 } == true)
    }

    /// A tampered commune writes the approval record of its neighbour's report first (the id is
    /// derived from the unit and the period, so anyone can compute it), owned by itself: the
    /// district then shows 17608's report as submitted with figures 17605 chose, the honest
    /// submission of 17608 is set aside as a claim of a record it does not own, and the
    /// district's decision on 17608 goes to 17605's node.
    @Test func aCommuneCannotWriteTheApprovalRecordOfAnotherCommune() async throws {
        let world = try UpstreamPolicyTests.World()
        let (tampered, tamperedPeer) = try world.district.enrolReplica(unit: "17605", clock: world.clock)
        let id = Reporting.approvalID(unit: "17608", period: Self.period)
        try tampered.put(
            "report_approvals", id: id, unit: "17605",
            set: ["status": "submitted", "figures": .array([.object(["indicator": "0201", "value": 0])])])
        try await world.sync(tampered, tamperedPeer, with: world.district)

        let (honest, honestPeer) = try world.district.enrolReplica(unit: "17608", clock: world.clock)
        try Self.children(honest, unit: "17608", count: 3)
        let now = Date()
        let commune = try Reporting(replica: honest, tree: UnitTree(single: "17608", name: "Huồi Tụ"), now: { now })
        try commune.submit(unit: "17608", period: Self.period, by: "Cán bộ xã")
        try await world.sync(honest, honestPeer, with: world.district)

        let district = try Reporting(
            replica: world.district.replica, tree: try world.district.store.unitTree(), now: { now })
        #expect(try world.district.replica.setAsideEntries().map(\.code) == ["not_permitted"])
        #expect(try world.district.replica.record("report_approvals", id: id)?.unit == "17608")
        #expect(try district.approval(unit: "17608", period: Self.period)?.figures["0201|"] == 3)
    }

    /// A commune whose report was approved sends it again as `submitted` with figures of its own
    /// choosing (what `report submit` refuses, written straight into its replica). First seen
    /// replacing the district's approval and the figures it approved without a conflict (the
    /// gate judges a node's write without the record's state); now the approved figures are the
    /// approver's own field, which a node's write may not touch, so they and the comparison with
    /// them survive, and the approver sees the report back for a decision.
    @Test func aCommuneCannotTurnAnApprovedReportBackIntoASubmission() async throws {
        let world = try UpstreamPolicyTests.World()
        let (node, peer) = try world.district.enrolReplica(unit: "17605", clock: world.clock)
        try Self.children(node, unit: "17605", count: 3)
        let now = Date()
        let commune = try Reporting(replica: node, tree: UnitTree(single: "17605", name: "Mường Lống"), now: { now })
        try commune.submit(unit: "17605", period: Self.period, by: "Cán bộ xã")
        try await world.sync(node, peer, with: world.district)
        let district = try Reporting(
            replica: world.district.replica, tree: try world.district.store.unitTree(), now: { now })
        try district.approve(unit: "17605", period: Self.period, by: "Trưởng phòng")
        try await world.sync(node, peer, with: world.district)
        #expect(try commune.approval(unit: "17605", period: Self.period)?.status == "approved")

        try node.put(
            "report_approvals", id: Reporting.approvalID(unit: "17605", period: Self.period),
            set: ["status": "submitted", "figures": .array([.object(["indicator": "0201", "value": 40])])])
        try await world.sync(node, peer, with: world.district)
        // The write is a submission (a node may make one), so the report reads as submitted
        // again — the approver sees it back — but the approval is not lost: the approved figures
        // are the approver's own field, which no node may write, and the report is still
        // compared with them.
        let approval = try #require(try district.approval(unit: "17605", period: Self.period))
        #expect(approval.status == "submitted")
        #expect(approval.approvedFigures?["0201|"] == 3)
        #expect(approval.figures["0201|"] == 3)
        #expect(approval.decidedBy == "Trưởng phòng")
        #expect(try district.document(unit: "17605", period: Self.period).approval?.changes.isEmpty == true)

        // Writing the approved figures themselves is set aside.
        try node.put(
            "report_approvals", id: Reporting.approvalID(unit: "17605", period: Self.period),
            set: ["status": "submitted", "approved_figures": .array([.object(["indicator": "0201", "value": 40])])])
        try await world.sync(node, peer, with: world.district)
        #expect(try world.district.replica.setAsideEntries().map(\.code).last == "not_permitted")
        #expect(try district.approval(unit: "17605", period: Self.period)?.approvedFigures?["0201|"] == 3)
    }

    /// Numbers no definition allows, stored all the same (a hub operator's `set-aside accept`
    /// stores a refused value as sent; a tampered node's replica holds what it wrote): two
    /// activities of Int64.max people and an aggregate of Int64.max overflowed the sums and
    /// trapped the report — and, at a redacting hub, every `sync-upstream`, which computes its
    /// aggregates first. Dates no calendar has are not counted, never a trap.
    @Test func hostileNumbersAndDatesInRecordsDoNotTrapAReport() async throws {
        let world = try UpstreamPolicyTests.World()
        let district = world.district.replica
        for _ in 0..<2 {
            try district.put(
                "activities", id: district.newRecordID(), unit: "17605",
                set: [
                    "date": "2026-04-15", "kind": "communication", "children_male": .int(Int64.max),
                    "families": .int(Int64.max),
                ])
        }
        for born in ["0000-00-00", "9999-99-99", "0000-01-01", "9999-12-31", "2026-02-31"] {
            try district.put(
                "children", id: district.newRecordID(), unit: "17608",
                set: ["full_name": "Trẻ", "sex": "F", "date_of_birth": .string(born), "village": "Bản"])
        }
        for (unit, source) in [("17605", "415"), ("17608", "415")] {
            var fields = Self.forged(unit: unit, source: source, value: Int64.max)
            fields["indicator"] = "0302"
            try district.put("aggregates", id: district.newRecordID(), unit: "415", set: fields)
        }
        let reporting = try Reporting(replica: district, tree: try world.district.store.unitTree())
        let document = try reporting.document(unit: "415", period: Self.period)
        #expect(document.section("0303")?.rows.first?.value.count ?? 0 > 0)
        try world.district.store.setUpstreamPolicy(.aggregates)
        try await world.syncUp()
        let province = try Reporting(replica: world.province.replica, tree: try world.province.store.unitTree())
        _ = try province.document(unit: "40", period: Self.period)
    }
}

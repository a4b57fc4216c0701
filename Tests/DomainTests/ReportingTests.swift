import Domain
import Foundation
import SyncCore
import TestSupport
import Testing

/// Reports as offices use them: submitted, approved or returned, edits after approval shown;
/// aggregates standing in for records.
@Suite struct ReportingTests {
    static let tree = UnitTree([
        .init(code: "17", name: "Tỉnh Hòa Bình", parent: nil), .init(code: "176", name: "Huyện Mai Châu", parent: "17"),
        .init(code: "17605", name: "Xã Pà Cò", parent: "176"), .init(code: "17608", name: "Xã Hang Kia", parent: "176"),
    ])
    static let h1 = ReportPeriod.halfYear(year: 2026, half: 1)

    func district() throws -> Replica {
        let replica = try makeReplica(.sqlite, origin: 1, unit: "176")
        for (number, unit, sex, born) in [
            (1, "17605", "F", "2019-01-01"), (2, "17605", "M", "2012-05-05"), (3, "17608", "F", "2024-02-02"),
        ] as [(UInt64, String, String, String)] {
            try replica.put(
                "children", id: testRecord(number), unit: unit,
                set: [
                    "full_name": "Trẻ \(number)", "sex": .string(sex), "date_of_birth": .string(born), "village": "Bản",
                    "birth_registered": true,
                ])
        }
        return replica
    }

    func reporting(_ replica: Replica, day: String = "2026-07-03T02:00:00Z") throws -> Reporting {
        let now = moment(day)
        return try Reporting(replica: replica, tree: Self.tree, now: { now })
    }

    @Test func aReportIsSubmittedApprovedAndAnEditAfterwardsIsShownNotRefused() throws {
        let replica = try district()
        let reports = try reporting(replica)
        // Nothing to decide before the commune submits; a unit never decides on its own report.
        #expect(throws: DomainRefusal.self) { try reports.approve(unit: "17605", period: Self.h1, by: "Huyện") }
        #expect(throws: DomainRefusal.self) {
            try reports.submit(unit: "17605", period: ReportPeriod("2026-01-01..2026-03-31")!, by: "Xã")
        }
        try reports.submit(unit: "17605", period: Self.h1, by: "Cán bộ xã")
        #expect(throws: DomainRefusal.self) { try reports.approve(unit: "176", period: Self.h1, by: "Huyện") }
        try reports.approve(unit: "17605", period: Self.h1, by: "Trưởng phòng")
        let approved = try #require(try reports.approval(unit: "17605", period: Self.h1))
        #expect(approved.status == "approved")
        #expect(approved.decidedBy == "Trưởng phòng")
        #expect(approved.figures["0201|"] == 2)
        #expect(approved.figures["0201|sex=F"] == 1)
        #expect(try reports.document(unit: "17605", period: Self.h1).approval?.changes.isEmpty == true)

        // An edit after approval is kept, and the approved report shows what it changed.
        try replica.put(
            "children", id: testRecord(9), unit: "17605",
            set: ["full_name": "Trẻ 9", "sex": "M", "date_of_birth": "2020-01-01", "village": "Bản"])
        let document = try reports.document(unit: "17605", period: Self.h1)
        let changes = try #require(document.approval?.changes)
        #expect(changes.contains { $0.indicator == "0201" && $0.key == "" && $0.then == 2 && $0.now == 3 })
        #expect(changes.contains { $0.indicator == "0201" && $0.key == "sex=M" && $0.then == 1 && $0.now == 2 })
        #expect(!changes.contains { $0.indicator == "0202" })
        #expect(document.section("0201")?.total.approved == 2)
        // The district's status counts them from one computation for every unit, as many.
        #expect(
            try reports.changedSinceApproval(units: ["176", "17605", "17608"], period: Self.h1) == [
                "17605": changes.count
            ])
        // A boy born 2020-01-01 (6 on 30 June 2026, not registered): 0201's total, sex=M,
        // age=6-10 and their cross.
        #expect(changes.count == 4)
        #expect(document.section("0201")?.total.value == .count(3))
        // The district sees it on its own report too, unit by unit, once its figures are approved.
        #expect(throws: DomainRefusal.self) { try reports.submit(unit: "17605", period: Self.h1, by: "Xã") }

        // Returned with a reason, then sent again with the figures as they are.
        #expect(throws: DomainRefusal.self) {
            try reports.sendBack(unit: "17605", period: Self.h1, by: "Trưởng phòng", reason: "  ")
        }
        try reports.sendBack(unit: "17605", period: Self.h1, by: "Trưởng phòng", reason: "Kiểm tra lại trẻ mới")
        #expect(try reports.approval(unit: "17605", period: Self.h1)?.status == "returned")
        #expect(try reports.approval(unit: "17605", period: Self.h1)?.reason == "Kiểm tra lại trẻ mới")
        try reports.submit(unit: "17605", period: Self.h1, by: "Cán bộ xã")
        let again = try #require(try reports.approval(unit: "17605", period: Self.h1))
        #expect(again.status == "submitted" && again.figures["0201|"] == 3)
        #expect(
            try replica.record(Reporting.approvals, id: Reporting.approvalID(unit: "17605", period: Self.h1))?.unit
                == "17605")
    }

    @Test func aggregatesStandInForTheRecordsTheyCountAndOnlyChangedCellsAreWrittenAgain() throws {
        let replica = try district()
        try replica.put(
            "cases", id: testRecord(20), unit: "17608",
            set: [
                "child_id": .string(testRecord(3).description), "received_at": "2026-03-01T01:00:00Z",
                "case_type": "neglect", "status": "received",
            ])
        let reports = try reporting(replica)
        let written = try reports.refreshAggregates(years: 1)
        #expect(written > 0)
        #expect(try reports.refreshAggregates(years: 1) == 0, "nothing changed, nothing written")

        // Read as another hub would (the aggregates' source is not itself): the same figures.
        let fromRecords = try IndicatorEngine().compute(from: replica, periods: [Self.h1])[Self.h1]!
        let asProvince = try FigureSource(replica: replica, tree: Self.tree, bands: .standard, ownUnit: "17").figures(
            for: [Self.h1])
        #expect(asProvince.fromAggregates == ["17605", "17608"])
        #expect(asProvince.figures[Self.h1] == fromRecords)

        // One more child: only its cells change.
        try replica.put(
            "children", id: testRecord(4), unit: "17605",
            set: ["full_name": "Trẻ 4", "sex": "F", "date_of_birth": "2021-01-01", "village": "Bản"])
        let again = try reports.refreshAggregates(years: 1)
        #expect(again > 0 && again < written)
        let updated = try FigureSource(replica: replica, tree: Self.tree, bands: .standard, ownUnit: "17").figures(
            for: [Self.h1])
        #expect(
            updated.figures[Self.h1] == (try IndicatorEngine().compute(from: replica, periods: [Self.h1])[Self.h1]!))

        // Other age bands cannot be added to these: left out, and said.
        let other = try FigureSource(
            replica: replica, tree: Self.tree, bands: AgeBands("0-5,6-15")!, ownUnit: "17"
        ).figures(for: [Self.h1])
        #expect(Set(other.otherBands.keys) == ["17605", "17608"])

        // A hub whose policy became `full` takes its aggregates back.
        #expect(try Aggregates.removeAll(replica: replica, source: "176") > 0)
        let none = try FigureSource(replica: replica, tree: Self.tree, bands: .standard, ownUnit: "17").figures(
            for: [Self.h1])
        #expect(none.fromAggregates.isEmpty)
    }
}

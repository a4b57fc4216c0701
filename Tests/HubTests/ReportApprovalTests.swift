import Foundation
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Domain
@testable import Hub

/// A commune submits its report; only the level above approves or returns it. Mounted through
/// the sync: a tampered node's own approval, and its quiet edit of approved figures, are set
/// aside at the district (`not_permitted`) while an honest submission and the district's
/// decision travel both ways.
@Suite struct ReportApprovalTests {
    static let period = ReportPeriod.halfYear(year: 2026, half: 1)

    @Test func aCommuneSubmitsItsReportButCannotApproveItOrChangeApprovedFigures() async throws {
        let world = try UpstreamPolicyTests.World()
        let now = Date()

        // A tampered node writes its report as approved, straight into its replica.
        let (tampered, tamperedPeer) = try world.district.enrolReplica(unit: "17605", clock: world.clock)
        let forged = Reporting.approvalID(unit: "17605", period: Self.period)
        try tampered.put(
            "report_approvals", id: forged, unit: "17605",
            set: [
                "unit": "17605", "period": "2026-H1", "status": "approved", "decided_by": "Xã tự duyệt",
                "decided_at": "2026-07-01T00:00:00Z",
            ])
        try await world.sync(tampered, tamperedPeer, with: world.district)
        let district = world.district.replica
        #expect(try district.record("report_approvals", id: forged) == nil)
        #expect(try district.setAsideEntries().map(\.code) == ["not_permitted"])

        // An honest commune submits; the district approves; the decision reaches the commune.
        let (honest, honestPeer) = try world.district.enrolReplica(unit: "17608", clock: world.clock)
        try honest.put(
            "children", id: honest.newRecordID(), unit: "17608",
            set: ["full_name": "Lò Thị Hoa", "sex": "F", "date_of_birth": "2019-04-04", "village": "Bản Mòn"])
        let communeReports = try Reporting(
            replica: honest, tree: UnitTree(single: "17608", name: "Huồi Tụ"), now: { now })
        try communeReports.submit(unit: "17608", period: Self.period, by: "Cán bộ xã")
        try await world.sync(honest, honestPeer, with: world.district)
        let id = Reporting.approvalID(unit: "17608", period: Self.period)
        #expect(try district.record("report_approvals", id: id)?.value("status") == "submitted")
        let districtReports = try Reporting(
            replica: district, tree: try world.district.store.unitTree(), now: { now })
        try districtReports.approve(unit: "17608", period: Self.period, by: "Trưởng phòng")
        try await world.sync(honest, honestPeer, with: world.district)
        #expect(try communeReports.approval(unit: "17608", period: Self.period)?.status == "approved")
        #expect(try communeReports.approval(unit: "17608", period: Self.period)?.figures["0201|"] == 1)

        // The commune then rewrites the approved figures without a new submission: refused,
        // and the district's copy keeps what it approved.
        try honest.put(
            "report_approvals", id: id,
            set: ["figures": .array([.object(["indicator": "0201", "value": 40])])])
        try await world.sync(honest, honestPeer, with: world.district)
        #expect(try district.setAsideEntries().map(\.code) == ["not_permitted", "not_permitted"])
        #expect(try districtReports.approval(unit: "17608", period: Self.period)?.figures["0201|"] == 1)
        #expect(try districtReports.approval(unit: "17608", period: Self.period)?.status == "approved")
    }
}

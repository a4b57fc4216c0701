import Domain
import SyncCore
import TestSupport
import Testing

/// When a case without a trail of steps ended: the day of the step it stands at (`status_at`),
/// not a closing moment left on the record from before it was reopened. Worked out by hand.
@Suite struct IndicatorEndTests {
    @Test func aTransferAfterAReopeningEndsOnItsOwnDay() throws {
        let replica = try makeReplica(.sqlite, origin: 1, unit: "17605")
        try replica.put(
            "children", id: testRecord(1), unit: "17605",
            set: ["full_name": "Trẻ 1", "sex": "F", "date_of_birth": "2015-05-05"])
        // Received in September 2025, closed on 1 October, reopened, transferred on 10 March 2026:
        // `closed_at` still says October.
        try replica.put(
            "cases", id: testRecord(2), unit: "17605",
            set: [
                "child_id": .string(testRecord(1).description), "received_at": "2025-09-01T03:00:00Z",
                "case_type": "neglect", "status": "transferred", "status_at": "2026-03-10T03:00:00Z",
                "closed_at": "2025-10-01T03:00:00Z",
            ])
        let h1 = ReportPeriod.halfYear(year: 2026, half: 1)
        let h2 = ReportPeriod.halfYear(year: 2025, half: 2)
        let result = try IndicatorEngine().compute(from: replica, periods: [h1, h2])
        let first = try #require(result[h1])
        let second = try #require(result[h2])
        // First half of 2026: it ended then (by transfer, reason "other"), and is not open.
        #expect(first.units["17605"]?["0113"] == ["": 1, "reason=other": 1])
        #expect(first.units["17605"]?["0111"] == nil)
        // Second half of 2025: nothing says which step it was at on 31 December but `received`.
        #expect(second.units["17605"]?["0111"] == ["": 1, "step=received": 1])
        #expect(second.units["17605"]?["0113"] == nil)
        #expect(second.units["17605"]?["0110"] == ["": 1, "type=neglect": 1])
    }
}

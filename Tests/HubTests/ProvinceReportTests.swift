import Foundation
import SyncClient
import SyncCore
import TestSupport
import Testing

@testable import Domain
@testable import Hub

/// The province's report is the same whatever its district sends up — every record, records
/// with their personal fields removed (and the district's aggregates), or the aggregates alone —
/// and equals the district's own report of its units, computed from the records themselves.
/// Everything travels the real path: nodes → district (`Syncer` → `HubServer.handle`), then
/// the district's `sync-upstream` under its policy → the province.
@Suite struct ProvinceReportTests {
    static let period = ReportPeriod.halfYear(year: 2026, half: 1)

    /// Seeded records at a commune node: children of every age, some in special circumstances
    /// or at risk, reports and cases with their trails, an activity.
    static func work(_ node: Replica, unit: String, seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let utc = ISO8601DateFormatter()
        for number in 0..<40 {
            let child = node.newRecordID()
            let born = Date(timeIntervalSince1970: Double.random(in: 1_270_000_000...1_780_000_000, using: &random))
            var fields: [String: FieldValue] = [
                "full_name": .string("Trẻ \(unit) \(number)"), "sex": .string(Bool.random(using: &random) ? "M" : "F"),
                "date_of_birth": .string(RollupDay.vietnam(born)), "village": "Bản Mới",
                "birth_registered": .bool(Int.random(in: 0..<8, using: &random) > 0),
                "health_insurance": .bool(Int.random(in: 0..<5, using: &random) > 0),
            ]
            if Int.random(in: 0..<6, using: &random) == 0 {
                fields["circumstances"] = .array([
                    .object(["group": .string(["a", "dd", "k"].randomElement(using: &random)!), "since": "2021-05-01"])
                ])
            }
            if Int.random(in: 0..<8, using: &random) == 0 {
                fields["at_risk"] = true
                fields["at_risk_reason"] = "Gia đình khó khăn"
            }
            try node.put("children", id: child, unit: unit, set: fields)
            guard Int.random(in: 0..<4, using: &random) == 0 else { continue }
            let received = Date(timeIntervalSince1970: Double.random(in: 1_750_000_000...1_785_000_000, using: &random))
            let kind = ["violence", "neglect", "sexual_abuse"].randomElement(using: &random)!
            let intake = node.newRecordID()
            let caseID = node.newRecordID()
            try node.put(
                "intakes", id: intake, unit: unit,
                set: [
                    "received_at": .string(utc.string(from: received)), "received_by": "Cán bộ",
                    "source": .string(["hotline_111", "school", "police"].randomElement(using: &random)!),
                    "abuse_types": .array([.string(kind)]),
                    "setting": .string(["family", "school", "online"].randomElement(using: &random)!),
                    "child_id": .string(child.description), "case_id": .string(caseID.description),
                ])
            let closed = Bool.random(using: &random)
            try node.put(
                "cases", id: caseID, unit: unit,
                set: [
                    "child_id": .string(child.description), "intake_id": .string(intake.description),
                    "received_at": .string(utc.string(from: received)), "case_type": .string(kind),
                    "status": .string(closed ? "closed" : "implementing"),
                    "deadline_plan": .object(["due": .string(utc.string(from: received.addingTimeInterval(7 * 86_400)))]
                    ),
                ])
            try node.put(
                "case_events", id: node.newRecordID(), unit: unit,
                set: [
                    "case_id": .string(caseID.description), "action": "open", "to": "received",
                    "at": .string(utc.string(from: received)), "by": "Cán bộ",
                ])
            if closed {
                try node.put(
                    "case_events", id: node.newRecordID(), unit: unit,
                    set: [
                        "case_id": .string(caseID.description), "action": "close", "from": "implementing",
                        "to": "closed",
                        "at": .string(utc.string(from: received.addingTimeInterval(20 * 86_400))), "by": "Chủ tịch",
                    ])
            }
        }
        try node.put(
            "activities", id: node.newRecordID(), unit: unit,
            set: [
                "date": "2026-04-15", "kind": "communication", "topic": "Phòng chống xâm hại",
                "children_female": .int(Int64(Int.random(in: 5...40, using: &random))), "families": 12,
            ])
    }

    /// Every count cell of a document (indicator|key → value) and each unit's totals below.
    static func cells(_ document: ReportDocument) -> [String: Int] {
        var result: [String: Int] = [:]
        for section in document.sections where !section.indicator.isShare {
            for row in section.rows { result["\(section.indicator.code)|\(row.key)"] = row.value.count }
            for unit in section.byUnit { result["\(section.indicator.code)|unit=\(unit.unit.code)"] = unit.value.count }
        }
        return result
    }

    func province(under policy: UpstreamPolicy) async throws -> (province: [String: Int], district: [String: Int]) {
        let world = try UpstreamPolicyTests.World()
        try world.district.store.setUpstreamPolicy(policy)
        for (unit, seed) in [("17605", 1), ("17608", 2)] as [(String, UInt64)] {
            let (node, peer) = try world.district.enrolReplica(unit: unit, clock: world.clock)
            try Self.work(node, unit: unit, seed: seed)
            try await world.sync(node, peer, with: world.district)
        }
        let (direct, directPeer) = try world.province.enrolReplica(unit: "17900", clock: world.clock)
        try Self.work(direct, unit: "17900", seed: 3)
        try await world.sync(direct, directPeer, with: world.province)
        try await world.syncUp()
        #expect(try world.district.store.replica.setAsideEntries().isEmpty)
        #expect(try world.province.store.replica.setAsideEntries().isEmpty)

        let now = Date()
        let provinceReports = try Reporting(
            replica: world.province.store.replica, tree: try world.province.store.unitTree(), now: { now })
        let districtReports = try Reporting(
            replica: world.district.store.replica, tree: try world.district.store.unitTree(), now: { now })
        let atProvince = try provinceReports.document(unit: "40", period: Self.period)
        let ofDistrict = try provinceReports.document(unit: "415", period: Self.period)
        let atDistrict = try districtReports.document(unit: "415", period: Self.period)
        #expect(Self.cells(ofDistrict) == Self.cells(atDistrict), "\(policy): the province's view of 415")
        if policy == .full {
            #expect(atProvince.fromAggregates.isEmpty)
        } else {
            #expect(Set(atProvince.fromAggregates) == ["17605", "17608"], "\(policy)")
            // Figures the district did not send are refused, never made up from what is here: a
            // range of days, a half-year older than the years it keeps, other age bands.
            // The oldest half-year the district keeps is sent for the one after it, without its
            // own previous one: refused too rather than beside a column made up here.
            let oldest = ReportPeriod.standard(years: Reporting.defaultYears, endingWith: LocalDate.today(at: now))[0]
                .previous
            for period in [ReportPeriod("2026-01-01..2026-03-31")!, .halfYear(year: 2020, half: 1), oldest] {
                #expect(throws: DomainRefusal.self, "\(policy) \(period)") {
                    try provinceReports.document(unit: "40", period: period)
                }
            }
            let otherBands = try Reporting(
                replica: world.province.store.replica, tree: try world.province.store.unitTree(),
                bands: AgeBands("0-5,6-15"), now: { now })
            #expect(throws: DomainRefusal.self) { try otherBands.document(unit: "415", period: Self.period) }
            // The commune under the province is not the district's: any period works for it.
            #expect(throws: Never.self) {
                try provinceReports.document(unit: "17900", period: ReportPeriod("2026-01-01..2026-03-31")!)
            }
        }
        return (Self.cells(atProvince), Self.cells(atDistrict))
    }

    @Test func theProvincesReportIsTheSameUnderEveryPolicy() async throws {
        let full = try await province(under: .full)
        let redacted = try await province(under: .redacted)
        let aggregates = try await province(under: .aggregates)
        #expect(full.province["0201|"] ?? 0 > 60, "the generated data is not empty")
        #expect(full.province["0101|"] ?? 0 > 0)
        #expect(redacted.province == full.province)
        #expect(aggregates.province == full.province)
        // The province is its district and its commune under it.
        #expect(
            full.province["0201|"] == (full.province["0201|unit=415"] ?? 0) + (full.province["0201|unit=17900"] ?? 0))
        #expect(full.district["0201|"] == full.province["0201|unit=415"])
    }
}

/// A moment's day in Vietnam, by Foundation's calendar.
enum RollupDay {
    static func vietnam(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 7 * 3600)!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }
}

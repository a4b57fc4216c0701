import Domain
import Foundation
import SyncCore
import TestSupport
import Testing

/// Every unit's figure is the sum of the units below it (and of its own records), on generated
/// records, with a district level and without one (communes straight under the province, as
/// since July 2025); and the province's children and cases, counted here by hand from the
/// generated values with Foundation's calendar, agree.
@Suite struct RollupTests {
    struct Generated {
        let replica: Replica
        let tree: UnitTree
        let communes: [String]
        /// What was written, to count by hand: (unit, sex, birth date) of live children, and
        /// (unit, received moment) of cases.
        var children: [(String, String, Date)] = []
        var cases: [(String, Date)] = []
    }

    static let period = ReportPeriod.halfYear(year: 2026, half: 1)

    func generate(districts: Int, seed: UInt64) throws -> Generated {
        var units: [UnitTree.Unit] = [.init(code: "44", name: "Tỉnh", parent: nil)]
        var communes: [String] = []
        if districts == 0 {
            for number in 1...5 {
                communes.append("44\(100 + number)")
                units.append(.init(code: "44\(100 + number)", name: "Xã \(number)", parent: "44"))
            }
        } else {
            for district in 1...districts {
                let code = "4\(district)0"
                units.append(.init(code: code, name: "Huyện \(district)", parent: "44"))
                for number in 1...3 {
                    communes.append("\(code)\(10 + number)")
                    units.append(.init(code: "\(code)\(10 + number)", name: "Xã \(district).\(number)", parent: code))
                }
            }
        }
        let replica = try makeReplica(.sqlite, origin: 1, unit: "44")
        var generated = Generated(replica: replica, tree: UnitTree(units), communes: communes)
        var random = SeededGenerator(seed: seed)
        var next: UInt64 = 1
        let utc = ISO8601DateFormatter()
        for commune in communes {
            for _ in 0..<Int.random(in: 20...60, using: &random) {
                let born = Date(timeIntervalSince1970: Double.random(in: 1_230_000_000...1_790_000_000, using: &random))
                let sex = Bool.random(using: &random) ? "M" : "F"
                let day = Self.vietnamDay(born)
                let id = testRecord(next)
                next += 1
                try replica.put(
                    "children", id: id, unit: commune,
                    set: [
                        "full_name": "Trẻ", "sex": .string(sex), "date_of_birth": .string(day), "village": "Bản",
                        "birth_registered": .bool(Int.random(in: 0..<10, using: &random) > 0),
                        "at_risk": .bool(Int.random(in: 0..<10, using: &random) == 0),
                        "circumstances": Int.random(in: 0..<8, using: &random) == 0
                            ? .array([
                                .object([
                                    "group": .string(["a", "b", "dd", "k"].randomElement(using: &random)!),
                                    "since": "2020-01-01",
                                ])
                            ])
                            : .null,
                    ])
                if Int.random(in: 0..<25, using: &random) == 0 {
                    try replica.delete("children", id: id)
                    continue
                }
                generated.children.append((commune, sex, Self.parse(day)))
                if Int.random(in: 0..<6, using: &random) == 0 {
                    let received = Date(
                        timeIntervalSince1970: Double.random(in: 1_740_000_000...1_790_000_000, using: &random))
                    try replica.put(
                        "cases", id: testRecord(next), unit: commune,
                        set: [
                            "child_id": .string(id.description), "received_at": .string(utc.string(from: received)),
                            "case_type": .string(
                                ["violence", "neglect", "sexual_abuse"].randomElement(using: &random)!),
                            "status": .string(["received", "implementing", "closed"].randomElement(using: &random)!),
                        ])
                    next += 1
                    generated.cases.append((commune, received))
                }
            }
        }
        // A record of the province's own, so a unit's own records count in its total too.
        try replica.put(
            "activities", id: testRecord(next), unit: "44",
            set: ["date": "2026-03-01", "kind": "training", "topic": "Tập huấn", "adults_female": 30])
        return generated
    }

    static func vietnamDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 7 * 3600)!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    static func parse(_ day: String) -> Date {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        return formatter.date(from: day)!
    }

    @Test(arguments: [(3, 11), (0, 12), (2, 13)] as [(Int, UInt64)])
    func everyUnitIsTheSumOfTheUnitsBelowIt(districts: Int, seed: UInt64) throws {
        let world = try generate(districts: districts, seed: seed)
        let reporting = try Reporting(replica: world.replica, tree: world.tree, now: { Date() })
        var documents: [String: ReportDocument] = [:]
        for unit in world.tree.subtree(of: "44") {
            documents[unit] = try reporting.document(unit: unit, period: Self.period)
        }
        for (code, document) in documents {
            let below = world.tree.children(of: code)
            guard !below.isEmpty else { continue }
            for section in document.sections where !section.indicator.isShare {
                for row in section.rows {
                    let sum = below.compactMap {
                        documents[$0]?.section(section.indicator.code)?.rows.first { $0.key == row.key }?.value.count
                    }
                    .reduce(0, +)
                    let own = try IndicatorEngine().compute(from: world.replica, periods: [Self.period]) { $0 == code }[
                        Self.period]!.count(unit: code, indicator: section.indicator.code, key: row.key)
                    #expect(row.value.count == sum + own, "\(code) \(section.indicator.code) \(row.key)")
                }
                // The chart's units add up to the total too.
                let charted = section.byUnit.compactMap(\.value.count).reduce(0, +)
                #expect(charted == section.total.value.count, "\(code) \(section.indicator.code) by unit")
            }
        }

        // The province, counted by hand: children under 16 on 30 June 2026, cases received in
        // the half-year (Vietnam's days).
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 7 * 3600)!
        let end = Self.parse("2026-06-30")
        let start = Self.parse("2026-01-01")
        let children = world.children.filter { _, _, born in
            born <= end && calendar.dateComponents([.year], from: born, to: end).year! < 16
        }
        let province = try #require(documents["44"])
        #expect(province.section("0201")?.total.value == .count(children.count))
        #expect(
            province.section("0201")?.rows.first { $0.key == "sex=F" }?.value
                == .count(children.filter { $0.1 == "F" }.count))
        let received = world.cases.filter { $0.1 >= start && $0.1 < end.addingTimeInterval(86_400) }
        #expect(province.section("0110")?.total.value == .count(received.count))
        #expect(province.section("0302")?.total.value == .count(30))
    }
}

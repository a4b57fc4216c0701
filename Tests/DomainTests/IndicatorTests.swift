import Domain
import Foundation
import SyncCore
import TestSupport
import Testing

/// The indicators computed from a handful of records whose every figure is worked out by hand
/// below (ages at the period's end, Vietnam's time for moments near midnight, steps as of the
/// last day, each child once per unit, overdue deadlines).
@Suite struct IndicatorTests {
    static let h1 = ReportPeriod.halfYear(year: 2026, half: 1)
    static let h2025 = ReportPeriod.halfYear(year: 2025, half: 2)

    /// The records of two communes, written straight into a replica (no validation: the engine
    /// must count what is stored).
    func replica() throws -> Replica {
        let replica = try makeReplica(.sqlite, origin: 1, unit: "17605")
        func put(_ collection: String, _ id: UInt64, unit: String = "17605", _ fields: [String: FieldValue]) throws {
            try replica.put(collection, id: testRecord(id), unit: unit, set: fields)
        }
        func child(
            _ id: UInt64, unit: String = "17605", sex: String, born: String, extra: [String: FieldValue] = [:]
        ) throws {
            var fields: [String: FieldValue] = [
                "full_name": "Trẻ \(id)", "sex": .string(sex), "date_of_birth": .string(born), "village": "Bản",
            ]
            fields.merge(extra) { $1 }
            try put("children", id, unit: unit, fields)
        }
        func ref(_ id: UInt64) -> FieldValue { .string(testRecord(id).description) }
        let circumstanceA: FieldValue = .array([.object(["group": "a", "since": "2025-01-01"])])
        // 17605
        try child(
            1, sex: "F", born: "2020-07-01",
            extra: ["birth_registered": true, "health_insurance": true, "circumstances": circumstanceA])
        try child(2, sex: "M", born: "2010-06-30")  // 16 on the last day of 2026-H1
        try child(3, sex: "M", born: "2026-03-01", extra: ["health_insurance": true, "at_risk": true])
        try child(4, sex: "F", born: "2015-01-15", extra: ["lifecycle": "moved_away", "birth_registered": true])
        try child(
            5, sex: "F", born: "2014-02-02",
            extra: [
                "birth_registered": true,
                "circumstances": .array([
                    .object(["group": "b", "since": "2026-07-01"]),
                    .object(["group": "c", "since": "2024-01-01", "until": "2026-03-01"]),
                ]),
            ])
        try child(6, sex: "F", born: "2015-05-05", extra: ["birth_registered": true])
        try replica.delete("children", id: testRecord(6))
        // 17608
        try child(
            7, unit: "17608", sex: "M", born: "2018-05-05",
            extra: [
                "birth_registered": true, "health_insurance": true,
                "circumstances": .array([
                    .object(["group": "a", "since": "2020-01-01"]), .object(["group": "dd", "since": "2021-01-01"]),
                ]),
            ])

        // Reports.
        try put(
            "intakes", 21,
            ["received_at": "2026-02-10T02:00:00Z", "source": "hotline_111", "setting": "family", "case_id": ref(31)])
        try put(
            "intakes", 22, unit: "17608",
            ["received_at": "2026-03-03T01:00:00Z", "source": "school", "setting": "school", "case_id": ref(34)])
        try put("intakes", 23, ["received_at": "2026-06-30T17:30:00Z", "source": "police"])  // 1 July in Vietnam

        // Cases. 31: closed as safe in May, with its trail.
        try put(
            "cases", 31,
            [
                "child_id": ref(1), "received_at": "2026-02-10T03:00:00Z", "case_type": "violence",
                "status": "closed", "closure_reason": "safe", "closed_at": "2026-05-20T10:00:00Z",
                "deadline_emergency": .object(["due": "2026-02-10T15:00:00Z", "met": "2026-02-10T10:00:00Z"]),
            ])
        for (number, at, to) in [
            (41, "2026-02-10T03:00:00Z", "received"), (42, "2026-02-11T03:00:00Z", "initial_assessment"),
            (43, "2026-05-20T10:00:00Z", "closed"),
        ] as [(UInt64, String, String)] {
            try put("case_events", number, ["case_id": ref(31), "at": .string(at), "to": .string(to)])
        }
        // 32: received at 00:30 on 1 July in Vietnam — not in the first half.
        try put(
            "cases", 32,
            ["child_id": ref(3), "received_at": "2026-06-30T17:30:00Z", "case_type": "neglect", "status": "received"])
        // 33: no trail; implementing since December 2025, its plan deadline never met.
        try put(
            "cases", 33,
            [
                "child_id": ref(5), "received_at": "2025-11-01T01:00:00Z", "case_type": "neglect",
                "status": "implementing", "status_at": "2025-12-01T00:00:00Z",
                "deadline_plan": .object(["due": "2025-11-08T10:00:00Z"]),
            ])
        // 34 (17608): not substantiated in March.
        try put(
            "cases", 34, unit: "17608",
            [
                "child_id": ref(7), "received_at": "2026-03-03T01:00:00Z", "case_type": "sexual_abuse",
                "status": "not_substantiated",
            ])
        for (number, at, to) in [
            (44, "2026-03-04T01:00:00Z", "initial_assessment"), (45, "2026-03-10T01:00:00Z", "not_substantiated"),
        ] as [(UInt64, String, String)] {
            try put("case_events", number, unit: "17608", ["case_id": ref(34), "at": .string(at), "to": .string(to)])
        }
        // 35: the same child as 31, another kind of abuse, still at the first step.
        try put(
            "cases", 35,
            [
                "child_id": ref(1), "received_at": "2026-04-01T01:00:00Z", "case_type": "sexual_abuse",
                "status": "received",
            ])

        try put(
            "activities", 51,
            [
                "date": "2026-05-01", "kind": "communication", "children_male": 10, "children_female": 12,
                "adults_male": 3, "adults_female": 4, "families": 9,
            ])
        try put("activities", 52, ["date": "2026-07-01", "kind": "training", "children_male": 100])
        return replica
    }

    func cells(_ figures: Figures, _ unit: String, _ indicator: String) -> [String: Int] {
        figures.units[unit]?[indicator] ?? [:]
    }

    @Test func everyFigureOfTheFirstHalfOf2026AsWorkedOutByHand() throws {
        let result = try IndicatorEngine().compute(from: try replica(), periods: [Self.h1, Self.h2025])
        let h1 = try #require(result[Self.h1])
        #expect(
            cells(h1, "17605", "0201") == [
                "": 3, "sex=F": 2, "sex=M": 1, "age=0-2": 1, "age=3-5": 1, "age=11-15": 1, "sex=F,age=3-5": 1,
                "sex=M,age=0-2": 1, "sex=F,age=11-15": 1,
            ])
        #expect(cells(h1, "17605", "0202") == ["": 2, "sex=F": 2])
        #expect(cells(h1, "17605", "0204") == ["": 2, "sex=F": 1, "sex=M": 1])
        #expect(cells(h1, "17605", "0106") == ["": 1, "sex=M": 1, "age=0-2": 1])
        #expect(cells(h1, "17605", "0103") == ["": 1, "group=a": 1, "sex=F": 1, "age=3-5": 1])
        #expect(cells(h1, "17605", "0104") == ["": 1, "sex=F": 1])
        #expect(cells(h1, "17605", "0110") == ["": 2, "type=violence": 1, "type=sexual_abuse": 1])
        #expect(cells(h1, "17605", "0113") == ["": 1, "reason=safe": 1])
        #expect(cells(h1, "17605", "0111") == ["": 2, "step=implementing": 1, "step=received": 1])
        #expect(cells(h1, "17605", "0112") == ["": 1])
        #expect(
            cells(h1, "17605", "0101") == [
                "": 1, "type=violence": 1, "type=sexual_abuse": 1, "sex=F": 1, "age=3-5": 1, "setting=family": 1,
                "setting=unknown": 1,
            ])
        #expect(cells(h1, "17605", "0107") == ["": 1, "source=hotline_111": 1])
        #expect(cells(h1, "17605", "0108") == ["": 1, "source=hotline_111": 1])
        #expect(cells(h1, "17605", "0301") == ["": 1, "kind=communication": 1])
        #expect(
            cells(h1, "17605", "0302") == [
                "": 29, "audience=boys": 10, "audience=girls": 12, "audience=men": 3,
                "audience=women": 4,
            ])
        #expect(cells(h1, "17605", "0303") == ["": 9])

        #expect(
            cells(h1, "17608", "0201") == ["": 1, "sex=M": 1, "age=6-10": 1, "sex=M,age=6-10": 1])
        #expect(cells(h1, "17608", "0103") == ["": 1, "group=a": 1, "group=dd": 1, "sex=M": 1, "age=6-10": 1])
        #expect(cells(h1, "17608", "0104") == ["": 1, "sex=M": 1])
        #expect(cells(h1, "17608", "0113") == ["": 1, "reason=other": 1])
        #expect(cells(h1, "17608", "0111") == [:])
        #expect(
            cells(h1, "17608", "0101") == [
                "": 1, "type=sexual_abuse": 1, "sex=M": 1, "age=6-10": 1, "setting=school": 1,
            ])
        #expect(cells(h1, "17608", "0108") == ["": 1, "source=school": 1])

        // The half-year before.
        let h2 = try #require(result[Self.h2025])
        #expect(
            cells(h2, "17605", "0201") == [
                "": 3, "sex=F": 2, "sex=M": 1, "age=3-5": 1, "age=11-15": 2, "sex=F,age=3-5": 1,
                "sex=M,age=11-15": 1, "sex=F,age=11-15": 1,
            ])
        #expect(
            cells(h2, "17605", "0103") == ["": 2, "group=a": 1, "group=c": 1, "sex=F": 2, "age=3-5": 1, "age=11-15": 1])
        #expect(cells(h2, "17605", "0104") == ["": 1, "sex=F": 1])
        #expect(cells(h2, "17605", "0110") == ["": 1, "type=neglect": 1])
        #expect(
            cells(h2, "17605", "0101") == [
                "": 1, "type=neglect": 1, "sex=F": 1, "age=11-15": 1, "setting=unknown": 1,
            ])
        #expect(cells(h2, "17605", "0111") == ["": 1, "step=implementing": 1])
        #expect(cells(h2, "17605", "0112") == ["": 1])
        #expect(cells(h2, "17605", "0107") == [:])
    }

    @Test func aDistrictIsTheSumOfItsCommunesAndSharesAreComputedNotSummed() throws {
        let figures = try IndicatorEngine().compute(from: try replica(), periods: [Self.h1, Self.h1.previous])
        let tree = UnitTree([
            .init(code: "17", name: "Tỉnh Hòa Bình", parent: nil),
            .init(code: "176", name: "Huyện Mai Châu", parent: "17"),
            .init(code: "17605", name: "Xã Pà Cò", parent: "176"),
            .init(code: "17608", name: "Xã Hang Kia", parent: "176"),
        ])
        let document = ReportBuilder(tree: tree, bands: .standard).build(
            unit: "176", period: Self.h1, current: figures[Self.h1]!, previous: figures[Self.h1.previous]!,
            generated: moment("2026-07-05T02:00:00Z"))
        let children = try #require(document.section("0201"))
        #expect(children.total.value == .count(4))
        #expect(children.total.previous == .count(4))  // 17608's child too
        #expect(children.byUnit.map(\.unit.code) == ["17605", "17608"])
        #expect(children.byUnit.map(\.value) == [.count(3), .count(1)])
        let abused = try #require(document.section("0102"))
        #expect(abused.total.value == .share(50))  // 2 children abused of 4
        #expect(abused.byUnit.map(\.value) == [.share(100.0 / 3), .share(100)])
        #expect(abused.target?.percent == 4 && abused.target?.year == 2030)
        let resolved = try #require(document.section("0109"))
        #expect(resolved.total.value == .share(100))
        #expect(resolved.total.previous == .share(nil))
        #expect(document.section("0201")?.rows.first { $0.key == "sex=M,age=6-10" }?.value == .count(1))
    }

    @Test func periodsAndBandsAreReadStrictly() {
        #expect(ReportPeriod("2026-H1") == .halfYear(year: 2026, half: 1))
        #expect(ReportPeriod("2026-h2") == .halfYear(year: 2026, half: 2))
        #expect(ReportPeriod("2026") == .year(2026))
        #expect(ReportPeriod("2026-01-01..2026-03-31") == .range(from: day("2026-01-01"), to: day("2026-03-31")))
        #expect(ReportPeriod("01/01/2026..31/03/2026")?.description == "2026-01-01..2026-03-31")
        for bad in ["2026-H3", "26-H1", "2026-03-31..2026-01-01", "1999", "2026-13-01..2026-12-31", "", "H1"] {
            #expect(ReportPeriod(bad) == nil, "\(bad)")
        }
        #expect(ReportPeriod.halfYear(year: 2026, half: 1).previous == .halfYear(year: 2025, half: 2))
        #expect(ReportPeriod.year(2026).previous == .year(2025))
        // 90 days each.
        #expect(
            ReportPeriod("2026-01-01..2026-03-31")!.previous == .range(from: day("2025-10-03"), to: day("2025-12-31")))
        #expect(ReportPeriod.halfYear(year: 2026, half: 1).due == day("2026-06-10"))
        #expect(ReportPeriod.year(2026).due == day("2026-12-10"))
        #expect(AgeBands("0-5,6-15")?.codes == ["0-5", "6-15"])
        for bad in ["0-2,4-15", "1-15", "0-2,3-16", "0-5,5-15", "a-b", ""] { #expect(AgeBands(bad) == nil, "\(bad)") }
        #expect(AgeBands.standard.code(age: 10) == "6-10")
        #expect(AgeBands.standard.code(age: 16) == nil)
    }

    @Test func smallCountsAreHiddenAndNoHiddenCellCanBeWorkedOut() {
        // Total 20 = 3 + 17: the 3 is hidden, so is the 17 (else 20 − 17 gives it away).
        let one = Suppression.hidden([20, 3, 17], groups: [.init(members: [1, 2], total: 0)], threshold: 5)
        #expect(one == [1, 2])
        // Zeros stay, and are never the complement: 9 = 0 + 2 + 7 hides 2 and 7.
        let zeros = Suppression.hidden([9, 0, 2, 7], groups: [.init(members: [1, 2, 3], total: 0)], threshold: 5)
        #expect(zeros == [2, 3])
        // Two small cells hide each other; the total shows.
        #expect(Suppression.hidden([7, 3, 4], groups: [.init(members: [1, 2], total: 0)], threshold: 5) == [1, 2])
        // A cross: rows and columns each add up; hiding spreads until no row or column has one.
        // values: [total, a1, a2, b1, b2, a1b1, a1b2, a2b1, a2b2]
        let values = [40, 20, 20, 22, 18, 2, 18, 20, 0]
        let groups: [Suppression.Group] = [
            .init(members: [1, 2], total: 0), .init(members: [3, 4], total: 0),
            .init(members: [5, 6], total: 1), .init(members: [7, 8], total: 2),
            .init(members: [5, 7], total: 3), .init(members: [6, 8], total: 4),
        ]
        let hidden = Suppression.hidden(values, groups: groups, threshold: 5)
        #expect(hidden.contains(5))
        for group in groups {
            let all = group.members + [group.total]
            #expect(all.filter(hidden.contains).count != 1, "a lone hidden cell in \(group)")
        }
    }

    @Test func aShareByUnitIsHiddenWhereItsCountIsHiddenAsAComplementToo() {
        let tree = UnitTree([
            .init(code: "176", name: "Huyện", parent: nil), .init(code: "17605", name: "A", parent: "176"),
            .init(code: "17608", name: "B", parent: "176"), .init(code: "17611", name: "C", parent: "176"),
        ])
        var figures = Figures()
        for (unit, abused, children) in [("17605", 2, 300), ("17608", 12, 500), ("17611", 30, 700)] {
            figures.add(abused, unit: unit, indicator: "0101", key: "")
            figures.add(children, unit: unit, indicator: "0201", key: "")
        }
        let document = ReportBuilder(tree: tree, bands: .standard, threshold: 5).build(
            unit: "176", period: Self.h1, current: figures, previous: Figures(), generated: Date())
        let counts = document.section("0101")!.byUnit.map(\.value)
        // 2 is hidden; 12, the smallest other, is hidden as its complement.
        #expect(counts == [.suppressed, .suppressed, .count(30)])
        let shares = document.section("0102")!.byUnit.map(\.value)
        // 12 of 500 children would be 2.4 %: hidden with its count.
        #expect(shares == [.suppressed, .suppressed, .share(30.0 * 100 / 700)])
        #expect(document.section("0101")!.total.value == .count(44))
    }

    @Test func aCaseReopenedInThePeriodWasHandledInIt() throws {
        let replica = try makeReplica(.sqlite, origin: 1, unit: "17605")
        let child = testRecord(1)
        try replica.put(
            "children", id: child, unit: "17605",
            set: [
                "full_name": "Trẻ", "sex": "F", "date_of_birth": "2016-01-01", "village": "Bản",
                "circumstances": .array([.object(["group": "a", "since": "2020-01-01"])]),
            ])
        try replica.put(
            "cases", id: testRecord(2), unit: "17605",
            set: [
                "child_id": .string(child.description), "received_at": "2025-09-01T01:00:00Z", "status": "implementing",
            ])
        for (number, at, to) in [
            (3, "2025-09-01T01:00:00Z", "received"), (4, "2025-11-01T01:00:00Z", "closed"),
            (5, "2026-03-01T01:00:00Z", "reopened"),
        ] as [(UInt64, String, String)] {
            try replica.put(
                "case_events", id: testRecord(number), unit: "17605",
                set: ["case_id": .string(testRecord(2).description), "at": .string(at), "to": .string(to)])
        }
        let figures = try IndicatorEngine().compute(from: replica, periods: [Self.h1, .halfYear(year: 2025, half: 1)])
        // Closed in November, reopened in March: handled in 2026-H1 (and open at its end).
        #expect(cells(figures[Self.h1]!, "17605", "0104") == ["": 1, "sex=F": 1])
        #expect(cells(figures[Self.h1]!, "17605", "0111") == ["": 1, "step=reopened": 1])
        // Not yet received in the first half of 2025.
        #expect(cells(figures[.halfYear(year: 2025, half: 1)]!, "17605", "0104") == [:])
    }
}

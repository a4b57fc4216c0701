import Domain
import Foundation
import SyncCore
import TestSupport
import Testing

/// A report reads only its subtree's records, selected by the store in its query
/// (`RecordSelection`): the figures must be exactly those computed by reading every record and
/// keeping the subtree's (`compute(from:periods:includes:)`, the engine's other path), on every
/// store, protected or not — with records moved between units, deleted and restored, and in
/// conflict over their unit.
@Suite struct ReportSelectionTests {
    static let periods: [ReportPeriod] = [
        .halfYear(year: 2026, half: 1), .halfYear(year: 2025, half: 2), .year(2026), .year(2025),
    ]

    static let tree = UnitTree([
        .init(code: "40", name: "Tỉnh", parent: nil), .init(code: "401", name: "Huyện A", parent: "40"),
        .init(code: "402", name: "Huyện B", parent: "40"), .init(code: "40101", name: "Xã 1", parent: "401"),
        .init(code: "40102", name: "Xã 2", parent: "401"), .init(code: "40201", name: "Xã 3", parent: "402"),
    ])
    /// Where records live: the tree's units, and one it does not know.
    static let units = ["40", "401", "40101", "40102", "40201", "77777"]

    static func ref(_ id: RecordID) -> FieldValue { .string(id.description) }

    /// The hand-made records whose figures are worked out below, on a hub of unit 40, and the
    /// concurrent edits of two other offices merged into it.
    static func fixture(_ hub: Replica) throws -> (moved: RecordID, closedCase: RecordID) {
        let moved = testRecord(1)
        let closedCase = testRecord(2)
        // A girl with a closed case in 40101, then moved to 40201: her case stays in 40101, and
        // 40101's 0101 counts her by her sex and age, read from her record in 40201.
        try hub.put(
            "children", id: moved, unit: "40101",
            set: ["full_name": "Trẻ 1", "sex": "F", "date_of_birth": "2018-01-01"])
        try hub.put(
            "cases", id: closedCase, unit: "40101",
            set: [
                "child_id": ref(moved), "received_at": "2026-02-01T03:00:00Z", "case_type": "violence",
                "status": "closed", "closed_at": "2026-03-01T03:00:00Z", "closure_reason": "safe",
            ])
        for (number, at, to) in [(3, "2026-02-01T03:00:00Z", "received"), (4, "2026-03-01T03:00:00Z", "closed")]
            as [(UInt64, String, String)]
        {
            try hub.put(
                "case_events", id: testRecord(number), unit: "40101",
                set: ["case_id": ref(closedCase), "at": .string(at), "to": .string(to)])
        }
        try hub.put("children", id: moved, unit: "40201", set: [:])

        // Deleted, and deleted then restored.
        try hub.put("children", id: testRecord(5), unit: "40102", set: ["sex": "M", "date_of_birth": "2016-01-01"])
        try hub.delete("children", id: testRecord(5))
        try hub.put("children", id: testRecord(6), unit: "40102", set: ["sex": "F", "date_of_birth": "2017-01-01"])
        try hub.delete("children", id: testRecord(6))
        try hub.restore("children", id: testRecord(6))
        try hub.put(
            "cases", id: testRecord(7), unit: "40102",
            set: ["child_id": ref(testRecord(6)), "received_at": "2026-04-01T03:00:00Z", "status": "received"])
        try hub.delete("cases", id: testRecord(7))

        // Conflicts: two offices move the same child at once (to 40102 and to 40201), and write
        // its sex at once (F and M; none was written before); every replica shows the same
        // value, and the selection must follow it.
        try hub.put(
            "children", id: testRecord(8), unit: "40101",
            set: ["date_of_birth": "2019-05-05", "birth_registered": true])
        let base = try hub.allChanges()
        for (origin, unit, sex) in [(2, "40102", "F"), (3, "40201", "M")] as [(UInt64, String, String)] {
            let office = try makeReplica(.memory, origin: origin, unit: unit)
            try office.apply(base)
            try office.put("children", id: testRecord(8), unit: unit, set: ["sex": .string(sex)])
            try hub.apply(try office.allChanges().filter { $0.dot.origin == testOrigin(origin) })
        }
        return (moved, closedCase)
    }

    /// Seeded records of every counted collection, in every unit, moved and deleted at random.
    static func random(_ hub: Replica, seed: UInt64, count: Int) throws {
        var generator = SeededGenerator(seed: seed)
        func pick<T>(_ values: [T]) -> T { values[Int(generator.next() % UInt64(values.count))] }
        func moment() -> FieldValue {
            let month = Int(generator.next() % 24)
            func two(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }
            let day = 1 + Int(generator.next() % 28)
            let hour = Int(generator.next() % 24)
            return .string("\(2025 + month / 12)-\(two(month % 12 + 1))-\(two(day))T\(two(hour)):00:00Z")
        }
        var children: [RecordID] = []
        var cases: [RecordID] = []
        for number in 0..<count {
            let id = testRecord(1_000 + UInt64(number))
            let unit = pick(units)
            switch generator.next() % 5 {
            case 0, 1:
                try hub.put(
                    "children", id: id, unit: unit,
                    set: [
                        "sex": .string(pick(["F", "M"])),
                        "date_of_birth": .string("20\(10 + generator.next() % 16)-06-15"),
                        "birth_registered": .bool(generator.next() % 2 == 0),
                        "at_risk": .bool(generator.next() % 3 == 0),
                        "circumstances": .array([
                            .object(["group": .string(pick(["a", "b", "dd"])), "since": "2024-01-01"])
                        ]),
                    ])
                children.append(id)
            case 2 where !children.isEmpty:
                let closed = generator.next() % 2 == 0
                var fields: [String: FieldValue] = [
                    "child_id": ref(pick(children)), "received_at": moment(),
                    "case_type": .string(pick(["violence", "neglect", "other"])),
                    "status": .string(closed ? "closed" : pick(["received", "initial_assessment"])),
                    "deadline_plan": .object(["due": moment()]),
                ]
                if closed { fields["closed_at"] = moment() }
                try hub.put("cases", id: id, unit: unit, set: fields)
                cases.append(id)
            case 3 where !cases.isEmpty:
                try hub.put(
                    "case_events", id: id, unit: unit,
                    set: ["case_id": ref(pick(cases)), "at": moment(), "to": .string(pick(["received", "closed"]))])
            case 3, 4:
                try hub.put(
                    "intakes", id: id, unit: unit,
                    set: [
                        "received_at": moment(), "source": .string(pick(["hotline_111", "school"])),
                        "case_id": cases.isEmpty ? .null : ref(pick(cases)),
                    ])
            default:
                try hub.put(
                    "activities", id: id, unit: unit,
                    set: [
                        "date": .string("2026-0\(1 + generator.next() % 9)-10"), "kind": "communication",
                        "families": .int(3),
                    ])
            }
        }
        // Moves and deletions of records made above.
        for id in (children + cases).shuffled(using: &generator).prefix(count / 5) {
            let collection = children.contains(id) ? "children" : "cases"
            if generator.next() % 3 == 0 {
                try hub.delete(collection, id: id)
            } else {
                try hub.put(collection, id: id, unit: pick(units), set: [:])
            }
        }
    }

    static func hub(_ kind: StoreKind, sealed: Bool, directory: TemporaryDirectory) throws -> Replica {
        let storage =
            sealed ? try kind.makeStorage(sealedWith: .key(.random()), in: directory) : try kind.makeStorage()
        return try Replica.initialize(storage: storage, origin: testOrigin(1), unit: "40", time: ManualClock())
    }

    @Test(arguments: StoreKind.allCases, [false, true])
    func theSelectedRecordsCountAsReadingEveryRecordDoes(kind: StoreKind, sealed: Bool) throws {
        let directory = try TemporaryDirectory()
        let hub = try Self.hub(kind, sealed: sealed, directory: directory)
        _ = try Self.fixture(hub)
        try Self.random(hub, seed: 14, count: 400)
        let engine = IndicatorEngine()
        for unit in ["40", "401", "402", "40101", "40102", "40201"] {
            let subtree = Set(Self.tree.subtree(of: unit))
            let selected = try engine.compute(from: hub, periods: Self.periods, units: subtree)
            let everything = try engine.compute(from: hub, periods: Self.periods, includes: subtree.contains)
            #expect(selected == everything, "\(kind), sealed \(sealed), unit \(unit)")
            #expect(everything[Self.periods[0]]?.units.isEmpty == false, "\(unit) counts something")
        }
    }

    /// What the fixture's figures must be, worked out by hand: the moved girl's closed case
    /// counts in 40101 by her sex and her age when it was received (8 on 1 February 2026), and
    /// she counts among 40201's children; the conflicted child shows the value with the higher
    /// stamp (the third office's, written last): in 40201, a boy.
    @Test(arguments: StoreKind.allCases)
    func aMovedChildsCaseCountsWhereTheCaseIs(kind: StoreKind) throws {
        let directory = try TemporaryDirectory()
        let hub = try Self.hub(kind, sealed: false, directory: directory)
        _ = try Self.fixture(hub)
        let h1 = Self.periods[0]
        let figures = try IndicatorEngine().compute(from: hub, periods: [h1], units: ["40101"])[h1] ?? Figures()
        #expect(figures.count(unit: "40101", indicator: "0101") == 1)
        #expect(figures.count(unit: "40101", indicator: "0101", key: "sex=F") == 1)
        #expect(figures.count(unit: "40101", indicator: "0101", key: "age=6-10") == 1)
        #expect(figures.count(unit: "40101", indicator: "0201") == 0)
        let there = try IndicatorEngine().compute(from: hub, periods: [h1], units: ["40201"])[h1] ?? Figures()
        #expect(there.count(unit: "40201", indicator: "0201") == 2)
        #expect(there.count(unit: "40201", indicator: "0201", key: "sex=F") == 1)
        #expect(there.count(unit: "40201", indicator: "0201", key: "sex=M") == 1)
        let second = try IndicatorEngine().compute(from: hub, periods: [h1], units: ["40102"])[h1] ?? Figures()
        #expect(second.count(unit: "40102", indicator: "0201") == 1, "the restored girl; the deleted boy is gone")
    }

    /// The store's selection is exactly the live records owned by the units or named by id,
    /// each once: checked against every record read whole and filtered here.
    @Test(arguments: StoreKind.allCases, [false, true])
    func aStoreSelectsExactlyTheUnitsAndIdsNamed(kind: StoreKind, sealed: Bool) throws {
        let directory = try TemporaryDirectory()
        let hub = try Self.hub(kind, sealed: sealed, directory: directory)
        _ = try Self.fixture(hub)
        try Self.random(hub, seed: 7, count: 200)
        var named: Set<RecordID> = [testRecord(5), testRecord(6), testRecord(8)]
        try hub.forEachLiveRecord(in: "children") { id, _ in if named.count < 12 { named.insert(id) } }
        for units in [Set<String>(), ["40101"], ["40102", "40201", "77777"], Set(Self.units)] {
            let selection = RecordSelection(collection: "children", units: units, ids: named)
            var expected: [RecordID] = []
            try hub.forEachLiveRecord(in: "children") { id, state in
                if named.contains(id) || (state.unit.map { units.contains($0) } ?? false) { expected.append(id) }
            }
            var read: [RecordID] = []
            try hub.forEachLiveRecord(selection, reading: ["sex"]) { id, _ in read.append(id) }
            #expect(read.sorted() == expected.sorted(), "\(kind), sealed \(sealed), units \(units.sorted())")
        }
    }
}

import Foundation
import SyncCore

/// A clock the benchmark moves itself: the generated data does not depend on when it runs.
final class StepClock: TimeSource, @unchecked Sendable {
    private let lock = NSLock()
    private var now: UInt64
    init(_ start: UInt64) { now = start }
    func nowMillis() -> UInt64 {
        lock.withLock {
            now += 7
            return now
        }
    }
}

/// A plain-SQL operation of the raw references: the same rows, without versions or logs.
enum RawOperation {
    case insert(table: String, id: RecordID, fields: [String: FieldValue])
    case update(table: String, id: RecordID, fields: [String: FieldValue])
    case delete(table: String, id: RecordID)
}

/// One commune's data and night, per shared/WORKLOAD.md, made on a real replica so every
/// change has the context a real node would give it.
struct CommuneNight {
    let unit: String
    let origin: OriginID
    let initial: [Change]
    let night: [Change]
    let rawInitial: [RawOperation]
    let rawNight: [RawOperation]
    /// Children the commune updated tonight, with the fields it wrote.
    let updated: [(id: RecordID, fields: [String])]

    static let caseTypes = ["violence", "sexual_abuse", "neglect", "exploitation", "trafficking", "other"]
    static let sources = ["hotline_111", "school", "police", "family", "community", "other"]
    static let steps = ["received", "assessed", "planned", "in_progress", "reviewed", "closed"]
    static let updatable = [
        "village", "address", "guardian_phone", "school_status", "notes", "health_insurance", "at_risk",
    ]

    static func make(unit: String, origin: OriginID, children: Int, seed: UInt64) throws -> CommuneNight {
        var generator = ChildGenerator(seed: seed)
        let node = try Replica.initialize(
            storage: MemoryStorage(), origin: origin, unit: unit, time: StepClock(1_763_856_000_000))
        let villages = generator.villages()
        var ids: [RecordID] = []
        var cases: [(RecordID, Int)] = []
        var rawInitial: [RawOperation] = []
        var rawNight: [RawOperation] = []
        // Records were entered over the last five years, in order: a UUIDv7's time prefix is
        // when it was made, so ids share only their first bytes, as in a real commune.
        let fiveYears: UInt64 = 5 * 365 * 86_400_000
        for index in 0..<children {
            let entered =
                1_763_856_000_000 - fiveYears + UInt64(index) * (fiveYears / UInt64(children))
                + generator.random.next() % 3_600_000
            let id = RecordID(.version7(unixMillis: entered, using: &generator.random))
            let fields = generator.child(villages: villages)
            try node.put("children", id: id, unit: unit, set: fields)
            rawInitial.append(.insert(table: "children", id: id, fields: fields))
            ids.append(id)
            if generator.percent(1) {
                let caseID = RecordID(
                    .version7(unixMillis: entered + generator.random.next() % 86_400_000, using: &generator.random))
                let step = generator.int(0...4)
                let fields: [String: FieldValue] = [
                    "child_id": .string(id.description), "case_type": .string(generator.pick(caseTypes)),
                    "received_at": .string("2026-10-\(generator.twoDigits(generator.int(1...28)))"),
                    "source": .string(generator.pick(sources)),
                    "risk_level": .string(generator.pick(["low", "medium", "high"])), "status": .string(steps[step]),
                    "assigned_worker": .string(generator.fullName(sex: "F")),
                    "plan": .string(String(generator.notes().prefix(generator.int(100...400)))),
                    "next_review": .string("2026-12-\(generator.twoDigits(generator.int(1...28)))"),
                ]
                try node.put("cases", id: caseID, unit: unit, set: fields)
                rawInitial.append(.insert(table: "cases", id: caseID, fields: fields))
                cases.append((caseID, step))
            }
        }
        let initialCount = Int(try node.counts().lastSequence)
        // The night: update 2 % of children (1–3 fields), add 0.4 %, delete 0.04 %, move 20 %
        // of open cases one step with a plan edit.
        var updated: [(id: RecordID, fields: [String])] = []
        var touched = Set<RecordID>()
        for index in 0..<max(1, children * 2 / 100) {
            let id = ids[(index * 50 + generator.int(0...49)) % ids.count]
            guard touched.insert(id).inserted else { continue }
            var set: [String: FieldValue] = [:]
            let model = generator.child(villages: villages)
            for _ in 0..<generator.int(1...3) {
                let field = generator.pick(updatable)
                set[field] = model[field] ?? .string(generator.notes())
            }
            // Only the fields that really changed travel (and can conflict).
            if let change = try node.put("children", id: id, set: set) {
                let written = change.set.dictionary.filter { !ReservedField.isReserved($0.key) }
                rawNight.append(.update(table: "children", id: id, fields: written))
                updated.append((id, written.keys.sorted()))
            }
        }
        for _ in 0..<max(1, children * 4 / 1000) {
            let id = RecordID(.version7(unixMillis: 1_763_942_400_000, using: &generator.random))
            let fields = generator.child(villages: villages)
            try node.put("children", id: id, unit: unit, set: fields)
            rawNight.append(.insert(table: "children", id: id, fields: fields))
        }
        for index in 0..<max(1, children * 4 / 10_000) {
            let id = ids[(index * 997 + 13) % ids.count]
            guard !touched.contains(id) else { continue }
            try node.delete("children", id: id)
            rawNight.append(.delete(table: "children", id: id))
        }
        for (caseID, step) in cases where step < 5 && generator.percent(20) {
            let set: [String: FieldValue] = [
                "status": .string(steps[step + 1]), "plan": .string(String(generator.notes().prefix(200))),
            ]
            try node.put("cases", id: caseID, set: set)
            rawNight.append(.update(table: "cases", id: caseID, fields: set))
        }
        let log = try node.log(after: 0, limit: .max).map(\.change)
        return CommuneNight(
            unit: unit, origin: origin, initial: Array(log.prefix(initialCount)),
            night: Array(log.dropFirst(initialCount)),
            rawInitial: rawInitial, rawNight: rawNight, updated: updated)
    }
}

extension CommuneNight {
    /// The same night made by `origin` instead: every dot and context entry of this commune's
    /// origin moved to the one its hub assigned at enrolment (the HTTP night enrols for real).
    func reissued(as newOrigin: OriginID) -> CommuneNight {
        func move(_ change: Change) -> Change {
            var moved = change
            if moved.dot.origin == origin { moved.dot = Dot(origin: newOrigin, counter: moved.dot.counter) }
            moved.context = VersionVector(
                change.context.entries.map { ($0.origin == origin ? newOrigin : $0.origin, $0.counter) })
            return moved
        }
        return CommuneNight(
            unit: unit, origin: newOrigin, initial: initial.map(move), night: night.map(move), rawInitial: rawInitial,
            rawNight: rawNight, updated: updated)
    }
}

/// The JSON a plain design would send for the same changes.
func jsonEncoding(_ changes: [Change]) -> [UInt8] {
    struct JSONChange: Encodable {
        let origin: String
        let counter: UInt64
        let stamp: String
        let collection: String
        let record: String
        let unit: String
        let context: [String: UInt64]
        let set: [String: FieldValue]
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let values = changes.map {
        JSONChange(
            origin: $0.dot.origin.description, counter: $0.dot.counter, stamp: $0.stamp.description,
            collection: $0.collection, record: $0.record.description, unit: $0.unit,
            context: Dictionary(uniqueKeysWithValues: $0.context.entries.map { ($0.origin.description, $0.counter) }),
            set: $0.set.dictionary)
    }
    return [UInt8]((try? encoder.encode(values)) ?? Data())
}

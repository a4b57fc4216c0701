import Domain
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
    /// Children the commune updated tonight.
    let updated: [Update]

    /// A child the commune updated tonight: the values it wrote, and the child's age on the
    /// data's day.
    struct Update {
        let id: RecordID
        let written: [String: FieldValue]
        let age: Int
    }

    /// Kinds of abuse (`Enumerations.abuseType`), sources (`Enumerations.source`) and the steps a
    /// case goes through, as the case workflow names them (`Enumerations.caseStatus`).
    static let caseTypes = ["violence", "sexual_abuse", "neglect", "exploitation", "trafficking", "other"]
    static let sources = ["hotline_111", "school", "police", "family", "community", "other"]
    static let steps = [
        "received", "initial_assessment", "detailed_assessment", "plan_drafting", "plan_submitted", "implementing",
        "reassessment", "closed",
    ]
    static let updatable = [
        "village", "address", "guardian_phone", "school_status", "notes", "health_insurance", "at_risk",
    ]

    /// Refuses a generated record a node would refuse (unknown field, a value out of its type or
    /// enumeration, a missing required field, a broken rule) or store differently (not in
    /// canonical form): the benchmark measures valid data, which a hub accepts whole.
    static func check(_ collection: String, _ fields: [String: FieldValue], existing: [String: FieldValue]? = nil)
        throws
    {
        let today = LocalDate(iso: ChildGenerator.isoDate(ChildGenerator.todayDays))!
        do {
            let normalised = try Validator().checkLocalWrite(
                collection: collection, existing: existing, set: fields, today: today)
            // Compared as stored text, byte for byte (Swift's `==` on strings ignores NFC).
            func stored(_ value: FieldValue?) -> [UInt8] { Array((value?.json ?? "").utf8) }
            guard normalised.keys.sorted() == fields.keys.sorted(),
                fields.allSatisfy({ stored($1) == stored(normalised[$0]) })
            else {
                let field = fields.keys.sorted().first { stored(normalised[$0]) != stored(fields[$0]) } ?? "?"
                throw BenchError("generated \(collection).\(field) is not in the form a node stores")
            }
        } catch let refusal as DomainRefusal {
            throw BenchError("generated \(collection) breaks the definition: \(refusal)")
        }
    }

    static func make(unit: String, origin: OriginID, children: Int, seed: UInt64) throws -> CommuneNight {
        var generator = ChildGenerator(seed: seed)
        let node = try Replica.initialize(
            storage: MemoryStorage(), origin: origin, unit: unit, time: StepClock(1_763_856_000_000))
        let villages = generator.villages()
        var ids: [RecordID] = []
        var ages: [RecordID: Int] = [:]
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
            try check("children", fields)
            try node.put("children", id: id, unit: unit, set: fields)
            rawInitial.append(.insert(table: "children", id: id, fields: fields))
            ids.append(id)
            ages[id] = ChildGenerator.age(born: fields["date_of_birth"]?.stringValue ?? "")
            if generator.percent(1) {
                let caseID = RecordID(
                    .version7(unixMillis: entered + generator.random.next() % 86_400_000, using: &generator.random))
                // Open cases, at any step before the last.
                let step = generator.int(0...(steps.count - 2))
                let fields: [String: FieldValue] = [
                    "child_id": .string(id.description), "case_type": .string(generator.pick(caseTypes)),
                    "received_at": .string("2026-10-\(generator.twoDigits(generator.int(1...28)))T02:30:00Z"),
                    "source": .string(generator.pick(sources)),
                    "risk_level": .string(generator.pick(["low", "medium", "high"])), "status": .string(steps[step]),
                    "assigned_worker": .string(generator.fullName(sex: "F")),
                    "plan": .string(generator.plan(atMost: generator.int(100...400))),
                    "next_review": .string("2026-12-\(generator.twoDigits(generator.int(1...28)))"),
                ]
                try check("cases", fields)
                try node.put("cases", id: caseID, unit: unit, set: fields)
                rawInitial.append(.insert(table: "cases", id: caseID, fields: fields))
                cases.append((caseID, step))
            }
        }
        let initialCount = Int(try node.counts().lastSequence)
        // The night: update 2 % of children (1–3 fields), add 0.4 %, delete 0.04 %, move 20 %
        // of open cases one step with a plan edit.
        var updated: [Update] = []
        var touched = Set<RecordID>()
        for index in 0..<max(1, children * 2 / 100) {
            let id = ids[(index * 50 + generator.int(0...49)) % ids.count]
            guard touched.insert(id).inserted else { continue }
            var set: [String: FieldValue] = [:]
            let model = generator.child(villages: villages)
            for _ in 0..<generator.int(1...3) {
                let field = generator.pick(updatable)
                switch field {
                case "guardian_phone": set[field] = model[field] ?? .string(generator.phone())
                case "notes": set[field] = model[field] ?? .string(generator.notes())
                case "at_risk":
                    // A child found at risk is recorded with why (a rule of the definition).
                    set[field] = model[field]
                    if let reason = model["at_risk_reason"] { set["at_risk_reason"] = reason }
                default: set[field] = model[field]
                }
            }
            let current = try node.record("children", id: id).map {
                DomainRecord(collection: "children", id: id, state: $0).values
            }
            try check("children", set, existing: current)
            // Only the fields that really changed travel (and can conflict).
            if let change = try node.put("children", id: id, set: set) {
                let written = change.set.dictionary.filter { !ReservedField.isReserved($0.key) }
                rawNight.append(.update(table: "children", id: id, fields: written))
                updated.append(Update(id: id, written: written, age: ages[id] ?? 0))
            }
        }
        for _ in 0..<max(1, children * 4 / 1000) {
            let id = RecordID(.version7(unixMillis: 1_763_942_400_000, using: &generator.random))
            let fields = generator.child(villages: villages)
            try check("children", fields)
            try node.put("children", id: id, unit: unit, set: fields)
            rawNight.append(.insert(table: "children", id: id, fields: fields))
        }
        for index in 0..<max(1, children * 4 / 10_000) {
            let id = ids[(index * 997 + 13) % ids.count]
            guard !touched.contains(id) else { continue }
            try node.delete("children", id: id)
            rawNight.append(.delete(table: "children", id: id))
        }
        for (caseID, step) in cases where step < steps.count - 1 && generator.percent(20) {
            let set: [String: FieldValue] = [
                "status": .string(steps[step + 1]), "plan": .string(generator.plan(atMost: 200)),
            ]
            try check("cases", set, existing: [:])
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
    /// This night without the commune's first push and its raw rows: what the in-process run
    /// keeps of a commune once the hub has merged them.
    func withoutInitialData() -> CommuneNight {
        CommuneNight(
            unit: unit, origin: origin, initial: [], night: night, rawInitial: [], rawNight: rawNight,
            updated: updated)
    }

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

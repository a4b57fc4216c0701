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

/// One commune's data and night, per shared/WORKLOAD.md, made on a real replica so every
/// change has the context a real node would give it.
struct CommuneNight {
    let node: Replica
    let initialChanges: Int
    let nightChanges: [Change]

    static let caseTypes = ["violence", "sexual_abuse", "neglect", "exploitation", "trafficking", "other"]
    static let sources = ["hotline_111", "school", "police", "family", "community", "other"]
    static let steps = ["received", "assessed", "planned", "in_progress", "reviewed", "closed"]

    static func make(unit: String, origin: OriginID, children: Int, seed: UInt64) throws -> CommuneNight {
        var generator = ChildGenerator(seed: seed)
        let node = try Replica.initialize(
            storage: MemoryStorage(), origin: origin, unit: unit, time: StepClock(1_763_856_000_000))
        let villages = generator.villages()
        var ids: [RecordID] = []
        var cases: [(RecordID, Int)] = []
        for _ in 0..<children {
            let id = RecordID(.version7(unixMillis: 1_763_856_000_000, using: &generator.random))
            try node.put("children", id: id, unit: unit, set: generator.child(villages: villages))
            ids.append(id)
            if generator.percent(1) {
                let caseID = RecordID(.version7(unixMillis: 1_763_856_000_000, using: &generator.random))
                let step = generator.int(0...4)
                try node.put(
                    "cases", id: caseID, unit: unit,
                    set: [
                        "child_id": .string(id.description), "case_type": .string(generator.pick(caseTypes)),
                        "received_at": "2026-10-\(generator.twoDigits(generator.int(1...28)))",
                        "source": .string(generator.pick(sources)),
                        "risk_level": .string(generator.pick(["low", "medium", "high"])),
                        "status": .string(steps[step]), "assigned_worker": .string(generator.fullName(sex: "F")),
                        "plan": .string(String(generator.notes().prefix(generator.int(100...400)))),
                        "next_review": "2026-12-\(generator.twoDigits(generator.int(1...28)))",
                    ])
                cases.append((caseID, step))
            }
        }
        let initial = Int(try node.counts().lastSequence)
        // The night: update 2 % of children (1–3 fields), add 0.4 %, delete 0.04 %, move 20 %
        // of open cases one step with a plan edit.
        let fields = ["village", "address", "guardian_phone", "school_status", "notes", "health_insurance", "at_risk"]
        for index in 0..<max(1, children * 2 / 100) {
            let id = ids[(index * 50 + generator.int(0...49)) % ids.count]
            var set: [String: FieldValue] = [:]
            let model = generator.child(villages: villages)
            for _ in 0..<generator.int(1...3) {
                let field = generator.pick(fields)
                set[field] = model[field] ?? .string(generator.notes())
            }
            try node.put("children", id: id, set: set)
        }
        for _ in 0..<max(1, children * 4 / 1000) {
            let id = RecordID(.version7(unixMillis: 1_763_942_400_000, using: &generator.random))
            try node.put("children", id: id, unit: unit, set: generator.child(villages: villages))
        }
        for index in 0..<max(1, children * 4 / 10_000) {
            try node.delete("children", id: ids[(index * 997 + 13) % ids.count])
        }
        for (caseID, step) in cases where step < 5 && generator.percent(20) {
            try node.put(
                "cases", id: caseID,
                set: ["status": .string(steps[step + 1]), "plan": .string(String(generator.notes().prefix(200)))])
        }
        let night = try node.log(after: UInt64(initial), limit: .max).map(\.change)
        return CommuneNight(node: node, initialChanges: initial, nightChanges: night)
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

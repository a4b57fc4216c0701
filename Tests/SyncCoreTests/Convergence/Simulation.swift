import TestSupport

@testable import SyncCore

/// Runs a schedule on real replicas, then a full exchange, then checks convergence against an
/// oracle computed from every change ever made, independent of delivery order.
struct Simulation {
    let schedule: Schedule
    let kind: StoreKind
    let policy: Merge.Policy

    struct Failure: Error, CustomStringConvertible {
        let reason: String
        /// True when the failure is that two replicas ended in different states.
        let diverged: Bool
        var description: String { reason }
    }

    /// Runs everything; `failure` is nil when every check holds.
    func run() throws -> (failure: Failure?, changes: [Change]) {
        var clocks: [ManualClock] = []
        var replicas: [Replica] = []
        var skew = SeededGenerator(seed: schedule.seed ^ 0x5eed)
        for index in 0..<schedule.replicaCount {
            // Clocks disagree by up to a minute, in both directions.
            let clock = ManualClock(1_763_856_000_000 + UInt64.random(in: 0...120_000, using: &skew))
            clocks.append(clock)
            replicas.append(
                try Replica.initialize(
                    storage: try kind.makeStorage(), origin: testOrigin(UInt64(index + 1)),
                    unit: Schedule.units[index % 3], time: clock, policy: policy))
        }
        let slots = (0..<schedule.slotCount).map { testRecord(UInt64($0 + 1)) }
        for step in schedule.steps {
            try perform(step, replicas: replicas, clocks: clocks, slots: slots)
        }
        var everything: [Dot: Change] = [:]
        for replica in replicas {
            for change in try replica.allChanges() { everything[change.dot] = change }
        }
        // Full exchange: every replica receives every change, shuffled, with re-deliveries.
        var random = SeededGenerator(seed: schedule.seed ^ 0xf011)
        let all = Array(everything.values)
        for replica in replicas {
            var delivery = all.shuffled(using: &random)
            delivery += all.shuffled(using: &random).prefix(all.count / 3)
            try deliverInBatches(delivery, to: replica, using: &random)
        }
        return (try check(replicas: replicas, changes: all), all)
    }

    private func perform(_ step: Step, replicas: [Replica], clocks: [ManualClock], slots: [RecordID]) throws {
        func values(_ fields: [String: Int]) -> [String: FieldValue] {
            fields.mapValues { .string("v\($0)") }
        }
        do {
            switch step {
            case .put(let r, let s, let fields, let unit):
                let replica = replicas[r]
                let state = try replica.record("children", id: slots[s])
                if state?.isDeleted == true { return }
                try replica.put(
                    "children", id: slots[s], unit: state == nil ? Schedule.units[unit] : nil, set: values(fields))
            case .delete(let r, let s):
                if try replicas[r].record("children", id: slots[s]) != nil {
                    try replicas[r].delete("children", id: slots[s])
                }
            case .restore(let r, let s):
                if try replicas[r].record("children", id: slots[s]) != nil {
                    try replicas[r].restore("children", id: slots[s])
                }
            case .move(let r, let s, let unit):
                if let state = try replicas[r].record("children", id: slots[s]), !state.isDeleted {
                    try replicas[r].put("children", id: slots[s], unit: Schedule.units[unit], set: [:])
                }
            case .resolve(let r, let pick, let value):
                let open = try replicas[r].conflicts().flatMap { record in record.conflicts.map { (record.key, $0) } }
                guard !open.isEmpty else { return }
                let (key, conflict) = open[pick % open.count]
                let written: FieldValue =
                    switch conflict.field {
                    case ReservedField.deleted: .bool(value % 2 == 0)
                    case ReservedField.unit: .string(Schedule.units[value % 3])
                    default: .string("v\(value)")
                    }
                try replicas[r].resolve(key.collection, id: key.id, field: conflict.field, value: written)
            case .exchange(let from, let to, let seed):
                var random = SeededGenerator(seed: seed)
                let log = try replicas[from].allChanges()
                var delivery = log.filter { _ in Int.random(in: 0..<100, using: &random) < 70 }
                delivery.shuffle(using: &random)
                if !log.isEmpty {
                    for _ in 0..<Int.random(in: 0...2, using: &random) {
                        delivery.append(log.randomElement(using: &random)!)
                    }
                }
                try deliverInBatches(delivery, to: replicas[to], using: &random)
            case .tick(let r, let millis):
                clocks[r].advance(by: millis)
            }
        } catch is EditError {
            // A step that the replica's current state makes meaningless (resolving a conflict
            // already resolved): a person would be refused too; the schedule goes on.
        }
    }

    private func deliverInBatches(
        _ delivery: [Change], to replica: Replica, using random: inout SeededGenerator
    ) throws {
        var rest = delivery[...]
        while !rest.isEmpty {
            let size = Int.random(in: 1...max(1, rest.count), using: &random)
            try replica.apply(Array(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
    }
}

import TestSupport

@testable import SyncCore

/// One step of a random schedule. Steps name replicas and record slots by number and pick
/// among what exists when they run, so any subsequence of a schedule is itself a schedule:
/// that is what lets a failure shrink to a minimal replay.
enum Step: Hashable, CustomStringConvertible {
    /// Writes fields (creating the record if this replica lacks it, owned by `unit`).
    case put(replica: Int, slot: Int, fields: [String: Int], unit: Int)
    case delete(replica: Int, slot: Int)
    case restore(replica: Int, slot: Int)
    case move(replica: Int, slot: Int, unit: Int)
    /// Resolves the `pick`-th open conflict of this replica, writing `value`.
    case resolve(replica: Int, pick: Int, value: Int)
    /// Sends part of `from`'s log to `to`: a subset, shuffled, with re-deliveries, in batches.
    case exchange(from: Int, to: Int, seed: UInt64)
    /// Advances a replica's wall clock (clocks drift apart).
    case tick(replica: Int, millis: UInt64)

    var description: String {
        switch self {
        case .put(let r, let s, let f, let u):
            ".put(replica: \(r), slot: \(s), fields: \(f.sorted { $0.key < $1.key }), unit: \(u))"
        case .delete(let r, let s): ".delete(replica: \(r), slot: \(s))"
        case .restore(let r, let s): ".restore(replica: \(r), slot: \(s))"
        case .move(let r, let s, let u): ".move(replica: \(r), slot: \(s), unit: \(u))"
        case .resolve(let r, let p, let v): ".resolve(replica: \(r), pick: \(p), value: \(v))"
        case .exchange(let f, let t, let s): ".exchange(from: \(f), to: \(t), seed: \(s))"
        case .tick(let r, let m): ".tick(replica: \(r), millis: \(m))"
        }
    }
}

/// A random schedule: 3–7 replicas, a few shared records, and a mix of concurrent edits,
/// deletes, moves, resolutions and partial exchanges.
struct Schedule {
    let seed: UInt64
    let replicaCount: Int
    let slotCount: Int
    var steps: [Step]

    static let fieldNames = ["full_name", "village", "school_status", "notes"]
    static let units = ["01001", "01002", "01003"]

    init(seed: UInt64) {
        self.seed = seed
        var random = SeededGenerator(seed: seed)
        replicaCount = Int.random(in: 3...7, using: &random)
        slotCount = Int.random(in: 1...3, using: &random)
        let length = Int.random(in: 8...40, using: &random)
        steps = []
        for _ in 0..<length {
            let replica = Int.random(in: 0..<replicaCount, using: &random)
            let slot = Int.random(in: 0..<slotCount, using: &random)
            let roll = Int.random(in: 0..<100, using: &random)
            switch roll {
            case 0..<40:
                var fields: [String: Int] = [:]
                for _ in 0..<Int.random(in: 1...2, using: &random) {
                    fields[Self.fieldNames.randomElement(using: &random)!] = Int.random(in: 0..<6, using: &random)
                }
                steps.append(
                    .put(replica: replica, slot: slot, fields: fields, unit: Int.random(in: 0..<3, using: &random)))
            case 40..<46: steps.append(.delete(replica: replica, slot: slot))
            case 46..<50: steps.append(.restore(replica: replica, slot: slot))
            case 50..<54: steps.append(.move(replica: replica, slot: slot, unit: Int.random(in: 0..<3, using: &random)))
            case 54..<62:
                steps.append(
                    .resolve(
                        replica: replica, pick: Int.random(in: 0..<4, using: &random),
                        value: Int.random(in: 0..<6, using: &random)))
            case 62..<94:
                var to = Int.random(in: 0..<replicaCount - 1, using: &random)
                if to >= replica { to += 1 }
                steps.append(.exchange(from: replica, to: to, seed: random.next()))
            default:
                steps.append(.tick(replica: replica, millis: UInt64.random(in: 0...50, using: &random)))
            }
        }
    }
}

import Domain
import SyncCore
import TestSupport

/// One step of a random sync schedule. Steps name actors (every node, then every hub's
/// staff), nodes, hubs and record slots by number, and decide what to do from what exists
/// when they run, so any subsequence of a schedule is itself a schedule: a failure shrinks to a
/// short replay.
enum SyncStep: Hashable, CustomStringConvertible {
    /// Writes fields of a record the actor may write (creating it, in one of the actor's
    /// communes picked by `unit`, if nobody has created that slot yet).
    case put(actor: Int, slot: Int, fields: [String: Int], unit: Int)
    case delete(actor: Int, slot: Int)
    case restore(actor: Int, slot: Int)
    /// Moves a record the actor may write to commune number `unit`.
    case move(actor: Int, slot: Int, unit: Int)
    /// Resolves the `pick`-th open conflict among the records the actor may write.
    case resolve(actor: Int, pick: Int, value: Int)
    /// A node syncs with its hub through `Syncer`; `seed` draws the link's faults and limits.
    case sync(node: Int, seed: UInt64)
    /// A hub syncs with the hub above it, the same way.
    case syncUp(hub: Int, seed: UInt64)
    case restartHub(hub: Int)
    case backup(node: Int)
    /// The node's machine is lost; its latest backup is restored (edits it had not sent are lost).
    case restoreNode(node: Int)
    /// The node, tampered with, pushes a change it may not make (`kind` picks which).
    case forge(node: Int, kind: Int, seed: UInt64)
    case tick(actor: Int, millis: UInt64)

    var description: String {
        switch self {
        case .put(let a, let s, let f, let u):
            ".put(actor: \(a), slot: \(s), fields: \(f.sorted { $0.key < $1.key }), unit: \(u))"
        case .delete(let a, let s): ".delete(actor: \(a), slot: \(s))"
        case .restore(let a, let s): ".restore(actor: \(a), slot: \(s))"
        case .move(let a, let s, let u): ".move(actor: \(a), slot: \(s), unit: \(u))"
        case .resolve(let a, let p, let v): ".resolve(actor: \(a), pick: \(p), value: \(v))"
        case .sync(let n, let s): ".sync(node: \(n), seed: \(s))"
        case .syncUp(let h, let s): ".syncUp(hub: \(h), seed: \(s))"
        case .restartHub(let h): ".restartHub(hub: \(h))"
        case .backup(let n): ".backup(node: \(n))"
        case .restoreNode(let n): ".restoreNode(node: \(n))"
        case .forge(let n, let k, let s): ".forge(node: \(n), kind: \(k), seed: \(s))"
        case .tick(let a, let m): ".tick(actor: \(a), millis: \(m))"
        }
    }
}

/// A random schedule over `SyncTopology`: which nodes keep a file, a few records, and a mix of
/// concurrent edits, moves, resolutions, faulty partial syncs, restarts, restores and forgeries.
struct SyncSchedule {
    let seed: UInt64
    /// Per node: on an SQLite file (can be backed up) or in memory.
    let nodesOnFile: [Bool]
    let slotCount: Int
    var steps: [SyncStep]

    static let fieldNames = ["full_name", "village", "school_status", "notes"]

    /// The value numbered `number` of `field`, valid under the definition (the hubs check every
    /// value): text for the text fields, a code for `school_status`. Equal numbers give equal
    /// values and different numbers (0 to 4) different ones, as the oracle expects.
    static func value(_ field: String, _ number: Int) -> FieldValue {
        guard field == "school_status" else { return .string("v\(number)") }
        let codes = Enumerations.schoolStatus.values.map(\.code)
        return .string(codes[number % codes.count])
    }

    init(seed: UInt64) {
        self.seed = seed
        var random = SeededGenerator(seed: seed)
        let nodes = SyncTopology.nodeCount
        let hubs = SyncTopology.hubCount
        let actors = SyncTopology.actorCount
        nodesOnFile = (0..<nodes).map { _ in Int.random(in: 0..<4, using: &random) > 0 }
        slotCount = Int.random(in: 2...5, using: &random)
        let length = Int.random(in: 20...60, using: &random)
        steps = []
        for _ in 0..<length {
            let actor = Int.random(in: 0..<actors, using: &random)
            let node = Int.random(in: 0..<nodes, using: &random)
            let slot = Int.random(in: 0..<slotCount, using: &random)
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<24:
                var fields: [String: Int] = [:]
                for _ in 0..<Int.random(in: 1...2, using: &random) {
                    fields[Self.fieldNames.randomElement(using: &random)!] = Int.random(in: 0..<5, using: &random)
                }
                steps.append(
                    .put(actor: actor, slot: slot, fields: fields, unit: Int.random(in: 0..<nodes, using: &random)))
            case 24..<28: steps.append(.delete(actor: actor, slot: slot))
            case 28..<31: steps.append(.restore(actor: actor, slot: slot))
            case 31..<39:
                steps.append(.move(actor: actor, slot: slot, unit: Int.random(in: 0..<nodes, using: &random)))
            case 39..<47:
                steps.append(
                    .resolve(
                        actor: actor, pick: Int.random(in: 0..<4, using: &random),
                        value: Int.random(in: 0..<5, using: &random)))
            case 47..<72: steps.append(.sync(node: node, seed: random.next()))
            case 72..<84:
                // Every hub but the top one has a hub above it.
                steps.append(.syncUp(hub: Int.random(in: 1..<hubs, using: &random), seed: random.next()))
            case 84..<86: steps.append(.restartHub(hub: Int.random(in: 0..<hubs, using: &random)))
            case 86..<89: steps.append(.backup(node: node))
            case 89..<91: steps.append(.restoreNode(node: node))
            case 91..<95:
                steps.append(.forge(node: node, kind: Int.random(in: 0..<5, using: &random), seed: random.next()))
            default: steps.append(.tick(actor: actor, millis: UInt64.random(in: 0...60_000, using: &random)))
            }
        }
    }

    var replay: String {
        "seed \(seed): nodes on file \(nodesOnFile), \(slotCount) records, steps:\n"
            + steps.map { "  \($0)" }.joined(separator: "\n")
    }
}

import Foundation
import TestSupport
import Testing

@testable import SyncCore

/// The property the whole product rests on: replicas that applied the same changes hold the
/// same state, whatever the order, duplicates and delays, and no write is lost.
///
/// Environment switches: `TRE_SCHEDULES=100000` runs more schedules; `TRE_SEED=n` replays one
/// schedule; `TRE_SEED_BASE=n` starts elsewhere.
@Suite struct ConvergenceTests {
    static func environment(_ name: String) -> UInt64? {
        ProcessInfo.processInfo.environment[name].flatMap { UInt64($0) }
    }

    static func seeds(default count: Int) -> [UInt64] {
        if let seed = environment("TRE_SEED") { return [seed] }
        let base = environment("TRE_SEED_BASE") ?? 20_261_123
        let total = environment("TRE_SCHEDULES").map(Int.init) ?? count
        return (0..<total).map { base &+ UInt64($0) }
    }

    /// Removes steps one at a time while the failure persists, so the replay printed is short.
    static func shrink(_ schedule: Schedule, kind: StoreKind, policy: Merge.Policy) -> Schedule {
        var best = schedule
        var progress = true
        while progress {
            progress = false
            var index = best.steps.count - 1
            while index >= 0 {
                var candidate = best
                candidate.steps.remove(at: index)
                let result = try? Simulation(schedule: candidate, kind: kind, policy: policy).run()
                if result?.failure != nil {
                    best = candidate
                    progress = true
                }
                index -= 1
            }
        }
        return best
    }

    static func replay(_ schedule: Schedule) -> String {
        "seed \(schedule.seed): \(schedule.replicaCount) replicas, \(schedule.slotCount) records, steps:\n"
            + schedule.steps.map { "  \($0)" }.joined(separator: "\n")
    }

    /// Each store with its number of schedules: PostgreSQL, a round trip per statement, fewer.
    static let runs: [(StoreKind, Int)] =
        [(.memory, 2_000), (.sqlite, 250)] + (StoreKind.allCases.contains(.postgres) ? [(.postgres, 30)] : [])

    @Test(arguments: runs)
    func replicasConvergeAndLoseNothing(kind: StoreKind, schedules: Int) throws {
        var coverage = Simulation.Coverage()
        var ran = 0
        for seed in Self.seeds(default: schedules) {
            let schedule = Schedule(seed: seed)
            let simulation = Simulation(schedule: schedule, kind: kind, policy: .exact)
            let (failure, changes) = try simulation.run()
            ran += 1
            if let failure {
                let minimal = Self.shrink(schedule, kind: kind, policy: .exact)
                let reason = (try? Simulation(schedule: minimal, kind: kind, policy: .exact).run().failure)??.reason
                Issue.record(
                    "\(failure)\nreplay with TRE_SEED=\(seed); minimal replay (\(reason ?? "")):\n\(Self.replay(minimal))"
                )
                return
            }
            let found = simulation.coverage(of: changes)
            coverage.fieldConflicts += found.fieldConflicts
            coverage.threeWayConflicts += found.threeWayConflicts
            coverage.deleteConflicts += found.deleteConflicts
            coverage.unitConflicts += found.unitConflicts
        }
        print(
            "convergence[\(kind)]: \(ran) schedules; conflicts planted: \(coverage.fieldConflicts) fields, "
                + "\(coverage.threeWayConflicts) three-way, \(coverage.deleteConflicts) delete-vs-edit, "
                + "\(coverage.unitConflicts) unit")
        if ran >= 200 {
            // The schedules must actually plant every kind of conflict, or the test proves little.
            #expect(coverage.fieldConflicts > 0)
            #expect(coverage.threeWayConflicts > 0)
            #expect(coverage.deleteConflicts > 0)
            #expect(coverage.unitConflicts > 0)
        }
    }

    /// The mutation check: the same schedules against the merge DESIGN.md warns about (compare
    /// with the shown value only) must find two replicas that disagree.
    @Test func propertyTestCatchesAShownValueOnlyMerge() throws {
        var divergedAt: UInt64?
        for seed in Self.seeds(default: 2_000) {
            let (failure, _) = try Simulation(schedule: Schedule(seed: seed), kind: .memory, policy: .shownValueOnly)
                .run()
            if let failure, failure.diverged {
                divergedAt = seed
                break
            }
        }
        let seed = try #require(divergedAt, "the weakened merge went unnoticed: the property test has no teeth")
        let minimal = Self.shrink(Schedule(seed: seed), kind: .memory, policy: .shownValueOnly)
        print("mutation caught at seed \(seed); minimal replay:\n\(Self.replay(minimal))")
        // The shrunk replay must still show the divergence it was shrunk for.
        let replayed = try Simulation(schedule: minimal, kind: .memory, policy: .shownValueOnly).run().failure
        #expect(replayed?.diverged == true, "the minimal replay no longer diverges")
        #expect(try Simulation(schedule: minimal, kind: .memory, policy: .exact).run().failure == nil)
    }
}

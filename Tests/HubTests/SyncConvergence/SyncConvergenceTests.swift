import Foundation
import SyncCore
import Testing

/// Convergence through the real sync path: a province hub, two district hubs and four
/// communes' nodes (one commune directly under the province), hubs as `HubService` over SQLite
/// files, every sync run by `Syncer` over an in-process transport into the hubs' own code, under
/// random seeded schedules of concurrent edits, moves across the hierarchy, resolutions, faulty
/// partial syncs (lost requests and answers, repeats, replays, crashes), hub restarts, node
/// restores from backup and forged changes. After syncing until quiet, every replica must hold
/// what an oracle computes from the honest changes alone.
///
/// Environment switches, as the engine-level test: `TRE_SCHEDULES=n` runs more schedules,
/// `TRE_SEED=n` replays one, `TRE_SEED_BASE=n` starts elsewhere.
@Suite struct SyncConvergenceTests {
    static func environment(_ name: String) -> UInt64? {
        ProcessInfo.processInfo.environment[name].flatMap { UInt64($0) }
    }

    static func seeds(default count: Int) -> [UInt64] {
        if let seed = environment("TRE_SEED") { return [seed] }
        let base = environment("TRE_SEED_BASE") ?? 20_261_202
        let total = environment("TRE_SCHEDULES").map(Int.init) ?? count
        return (0..<total).map { base &+ UInt64($0) }
    }

    /// Shorter schedules that still fail: chunks of steps removed while the failure persists,
    /// halving the chunk down to single steps, within a budget of runs.
    static func shrink(
        _ schedule: SyncSchedule, budget: Int = 120, failing: (SyncSchedule) async throws -> Bool
    ) async rethrows -> SyncSchedule {
        var best = schedule
        var runs = 0
        var chunk = max(1, best.steps.count / 2)
        while runs < budget {
            var progress = false
            var start = 0
            while start < best.steps.count && runs < budget {
                var candidate = best
                candidate.steps.removeSubrange(start..<min(start + chunk, best.steps.count))
                runs += 1
                if try await failing(candidate) {
                    best = candidate
                    progress = true
                } else {
                    start += chunk
                }
            }
            if chunk == 1 && !progress { break }
            if !progress { chunk = max(1, chunk / 2) }
        }
        return best
    }

    @Test func everyReplicaConvergesThroughTheSyncPathAndLosesNoHonestEdit() async throws {
        var total = Exercised()
        let started = Date()
        for seed in Self.seeds(default: 150) {
            let schedule = SyncSchedule(seed: seed)
            let (failure, stats) = try await SyncSimulation.run(schedule)
            if let failure {
                let minimal = try await Self.shrink(schedule) { try await SyncSimulation.run($0).0 != nil }
                let reason = try await SyncSimulation.run(minimal).0?.reason ?? ""
                let replay = minimal.replay
                Issue.record("\(failure)\nreplay with TRE_SEED=\(seed); minimal replay (\(reason)):\n\(replay)")
                return
            }
            total.add(stats)
        }
        print("sync convergence: \(total) (\(Int(Date().timeIntervalSince(started))) s)")
        if total.schedules >= 100 {
            // The schedules must really exercise what they are for, or the test proves little.
            for (name, count) in [
                ("moves by nodes", total.movesByNodes), ("moves by staff", total.movesByStaff),
                ("moves across districts", total.movesAcrossDistricts),
                ("moves to or from the direct commune", total.movesToOrFromDirectCommune),
                ("field conflicts", total.fieldConflicts), ("unit conflicts", total.unitConflicts),
                ("delete conflicts", total.deleteConflicts), ("resolutions", total.resolutions),
                ("answers dropped", total.droppedAnswers), ("requests repeated", total.resentRequests),
                ("hub crashes", total.hubCrashes), ("hub restarts", total.hubRestarts),
                ("node restores", total.nodeRestores), ("forged changes", total.forged),
            ] {
                #expect(count > 0, "no \(name) in \(total.schedules) schedules")
            }
        }
    }

    /// The mutation check: the same schedules against each planted fault must fail, or the test
    /// cannot see that fault. Each fault's first failing seed is shrunk to a short replay, which
    /// must still fail with the fault and pass without it.
    @Test(arguments: [
        PlantedFaults(acceptEverything: true), PlantedFaults(withoutMovedInHistory: true),
        PlantedFaults(acknowledgeBeforeApply: true),
    ])
    func theTestCatchesAPlantedFault(_ faults: PlantedFaults) async throws {
        var killedAt: UInt64?
        var tried = 0
        for seed in Self.seeds(default: 200) {
            tried += 1
            if try await SyncSimulation.run(SyncSchedule(seed: seed), faults: faults).0 != nil {
                killedAt = seed
                break
            }
        }
        let seed = try #require(killedAt, "planted fault \(faults) went unnoticed in \(tried) schedules")
        let minimal = try await Self.shrink(SyncSchedule(seed: seed)) {
            try await SyncSimulation.run($0, faults: faults).0 != nil
        }
        let failure = try await SyncSimulation.run(minimal, faults: faults).0
        print(
            "planted fault \(faults): killed by seed \(seed) (schedule \(tried)); minimal replay "
                + "(\(failure?.reason ?? "no failure")):\n\(minimal.replay)")
        #expect(failure != nil, "the minimal replay no longer fails with the fault")
        #expect(try await SyncSimulation.run(minimal).0 == nil, "the minimal replay fails without the fault too")
    }
}

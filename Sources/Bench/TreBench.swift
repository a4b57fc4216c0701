import ArgumentParser
import Foundation
import SyncCore

/// `tre-bench`: the figures of scripts/bench, each with the reference measured in the same run.
@main
struct TreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tre-bench",
        abstract: "Tre's benchmarks; every figure comes with a plain-SQLite reference from the same run.",
        subcommands: [
            ProvinceNight.self, StoreApply.self, WireBench.self, CommuneBench.self, ReportBench.self, LinkBench.self,
            NationalBench.self, NationalRun.self, BootstrapBench.self,
        ])
}

/// Seconds taken by `body`, on the monotonic clock.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func printJSONObject(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
    print(String(decoding: data, as: UTF8.self))
}

func fileSize(_ path: String) -> Int {
    ["", "-wal"].reduce(0) { total, suffix in
        total + ((try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int) ?? 0)
    }
}

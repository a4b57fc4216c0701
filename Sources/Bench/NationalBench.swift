import ArgumentParser
import Foundation
import SyncCore

/// The national scale run (issue 14, part 4; issue 13, part 6): communes of 34 provinces
/// pushing into one national hub, at several sizes, on SQLite and (with `--store`) on
/// PostgreSQL, each size and store in a process of its own so that its peak memory is its own.
/// It reports each run's time, rates, store size and peak memory against plain SQL of the
/// same rows on the same kind of store in the same process, and how the cost grows: each
/// size's cost per commune against the smallest size's.
struct NationalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "national",
        abstract: "Communes of 34 provinces pushing into one national hub: how the cost grows with their number.")

    @Option(parsing: .upToNextOption, help: "The numbers of communes to run, smallest first.")
    var communes: [Int] = [500, 1_000, 2_000, 3_321]
    @Option(help: "Children per commune.") var children = 150
    @Option(help: "Seed of the generated data.") var seed: UInt64 = 1
    @Option(
        help: """
            Also run every size with the hub on PostgreSQL: postgres://USER@HOST:PORT/DATABASE (password in \\
            PGPASSWORD); scripts/bench national --store postgres starts a throwaway server.
            """)
    var store: String?
    @Flag(help: "4, 8 and 16 communes of 100 children: a smoke run that checks itself.") var quick = false

    var shape: (communes: [Int], children: Int) { quick ? ([4, 8, 16], 100) : (communes, children) }

    func validate() throws {
        guard !communes.isEmpty, communes.allSatisfy({ $0 >= 1 }), children >= 100 else {
            throw ValidationError("--communes takes one or more numbers ≥ 1; --children must be ≥ 100.")
        }
        guard communes == communes.sorted(), Set(communes).count == communes.count else {
            throw ValidationError("--communes: give each number once, smallest first (e.g. 500 1000 2000 3321).")
        }
        if case .sqlite = try BenchStore.parse(store), store != nil {
            throw ValidationError("--store takes a postgres:// URL here: SQLite runs always.")
        }
    }

    func run() async throws {
        let (sizes, childCount) = shape
        let started = ContinuousClock.now
        let stores = ["sqlite"] + (store.map { [$0] } ?? [])
        let bin = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
        var runs: [[String: Any]] = []
        var failed: [String] = []
        // Sizes in turn, each on every store, so both stores see the machine in the same state.
        for size in sizes {
            for store in stores {
                let kind = store == "sqlite" ? "sqlite" : "postgres"
                FileHandle.standardError.write(Data("national: \(size) communes on \(kind)…\n".utf8))
                let result = try Self.runChild(
                    bin,
                    [
                        "national-size", "--store", store, "--communes", "\(size)", "--children", "\(childCount)",
                        "--seed", "\(seed)",
                    ])
                if result["replicas_equal"] as? Bool != true || result["log_complete"] as? Bool != true {
                    failed.append("\(size) communes on \(kind)")
                }
                runs.append(result)
            }
        }
        func ratio(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        // How the cost grows: seconds per commune at each size against the smallest size's, on
        // the same store; and PostgreSQL against SQLite at each size.
        var growth: [String: Any] = [:]
        for kind in ["sqlite", "postgres"] {
            let mine = runs.filter { $0["store"] as? String == kind }
            guard let first = mine.first else { continue }
            func perCommune(_ run: [String: Any], _ key: String) -> Double {
                Self.number(run[key]) / max(1, Self.number(run["communes"]))
            }
            growth[kind] = mine.map { run -> [String: Any] in
                [
                    "communes": Int(Self.number(run["communes"])),
                    "initial_load_s_per_commune_vs_smallest": ratio(
                        perCommune(run, "initial_load_s") / perCommune(first, "initial_load_s")),
                    "nightly_merge_s_per_commune_vs_smallest": ratio(
                        perCommune(run, "nightly_merge_s") / perCommune(first, "nightly_merge_s")),
                    "raw_initial_s_per_commune_vs_smallest": ratio(
                        perCommune(run, "raw_initial_s") / perCommune(first, "raw_initial_s")),
                    "raw_night_s_per_commune_vs_smallest": ratio(
                        perCommune(run, "raw_night_s") / perCommune(first, "raw_night_s")),
                    "hub_store_bytes_per_commune_vs_smallest": ratio(
                        perCommune(run, "hub_store_bytes") / perCommune(first, "hub_store_bytes")),
                ]
            }
        }
        var sideBySide: [[String: Any]] = []
        for size in sizes {
            let pair = runs.filter { Int(Self.number($0["communes"])) == size }
            guard let sqlite = pair.first(where: { $0["store"] as? String == "sqlite" }),
                let postgres = pair.first(where: { $0["store"] as? String == "postgres" })
            else { continue }
            func seconds(_ run: [String: Any], _ key: String) -> Double { Self.number(run[key]) }
            sideBySide.append([
                "communes": size,
                "postgres_vs_sqlite_initial_load_s": ratio(
                    seconds(postgres, "initial_load_s") / seconds(sqlite, "initial_load_s")),
                "postgres_vs_sqlite_nightly_merge_s": ratio(
                    seconds(postgres, "nightly_merge_s") / seconds(sqlite, "nightly_merge_s")),
                "raw_postgres_vs_raw_sqlite_initial_s": ratio(
                    seconds(postgres, "raw_initial_s") / seconds(sqlite, "raw_initial_s")),
            ])
        }
        printJSONObject([
            "benchmark": "national",
            "parameters": [
                "communes": sizes, "children_per_commune": childCount, "provinces": 34, "seed": seed, "quick": quick,
                "stores": stores.map { $0 == "sqlite" ? "sqlite" : "postgres" },
            ],
            "runs": runs,
            "growth": growth,
            "postgres_vs_sqlite": sideBySide,
            "elapsed_s": ratio(Double((ContinuousClock.now - started).components.seconds)),
        ])
        guard failed.isEmpty else {
            FileHandle.standardError.write(
                Data(
                    ("national: check failed (a commune's state at the hub differs from what it pushed, or the "
                        + "hub's log lacks changes) in: \(failed.joined(separator: ", "))\n").utf8))
            throw ExitCode(1)
        }
    }

    /// Runs `tre-bench` with `arguments` and reads the JSON object it prints; its stderr passes
    /// through. Its peak memory is its own.
    static func runChild(_ bin: URL, _ arguments: [String]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = bin
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw BenchError(
                "tre-bench \(arguments.prefix(5).joined(separator: " ")) failed (exit \(process.terminationStatus))")
        }
        return object
    }

    /// A number of a parsed JSON object, whatever its type there.
    static func number(_ value: Any?) -> Double {
        (value as? NSNumber)?.doubleValue ?? (value as? Double) ?? Double(value as? Int ?? 0)
    }
}

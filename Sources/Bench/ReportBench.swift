import ArgumentParser
import Domain
import Foundation
import SyncCore

/// `tre-bench report`: the province's half-year report over the WORKLOAD's children and cases,
/// as `tre-hub report` makes it (the engine's figures for the period and the one before, laid
/// out for the province), beside hand-written SQL GROUP BY queries computing the same figures
/// from plain tables of the same rows, in the same process. The two must agree cell by cell.
///
/// The hub and the tables are built first; the report and the queries then run in a process of
/// their own, which opens the hub as `tre-hub` would: its peak memory is the report's.
struct ReportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The province's half-year report against hand-written SQL on the same rows; cross-checked.")

    @Option(help: "Districts (0: communes directly under the province).") var districts = 10
    @Option(help: "Communes per district (or in the province when --districts 0).") var communes = 20
    @Option(help: "Children per commune.") var children = 2_500
    @Option(help: "Seed of the generated data.") var seed: UInt64 = 1
    @Option(help: "Percent of children with a case (the WORKLOAD's 1 %).") var casePercent = 1
    @Option(help: "The report's year: its first half-year, beside the second half of the year before.")
    var year = 2026
    @Option(help: "Times each side runs (in turn); the best of each is compared.") var runs = 3
    @Flag(help: "2 districts × 3 communes × 300 children: a smoke run in seconds.") var quick = false
    @Option(help: "Build the province in this folder and keep it (for `--measure` runs on the same files).")
    var keep: String?
    @Option(name: .customLong("measure"), help: "Only measure the province built in this folder (`--keep`).")
    var measureFolder: String?

    var shape: (districts: Int, communes: Int, children: Int) {
        quick ? (2, 3, 300) : (districts, communes, children)
    }

    func validate() throws {
        guard districts >= 0, communes > 0, children >= 100, runs >= 1, (0...100).contains(casePercent) else {
            throw ValidationError(
                "--districts ≥ 0, --communes ≥ 1, --children ≥ 100, --runs ≥ 1, --case-percent 0–100.")
        }
    }

    /// Where a built province lives: the hub and the reference's tables.
    struct Files {
        let folder: URL
        var hub: String { folder.appendingPathComponent("hub.sqlite").path }
        var reference: String { folder.appendingPathComponent("reference.sqlite").path }
    }

    /// The province 44 (its districts 401…, communes 44001…), as a report's unit tree.
    static func tree(districts: Int, communes: Int) -> UnitTree {
        var units = [UnitTree.Unit(code: "44", name: "Tỉnh 44", parent: nil)]
        var seen = Set<String>()
        for unit in ProvinceNight.units(districts: districts, communes: communes) {
            if let district = unit.district, seen.insert(district).inserted {
                units.append(UnitTree.Unit(code: district, name: "Huyện \(district)", parent: "44"))
            }
            units.append(UnitTree.Unit(code: unit.code, name: "Xã \(unit.code)", parent: unit.district ?? "44"))
        }
        return UnitTree(units)
    }

    func run() throws {
        if let measureFolder {
            printJSONObject(
                try Self.measureReport(
                    Files(folder: URL(fileURLWithPath: measureFolder)), shape: shape, year: year, runs: runs))
            return
        }
        let (districtCount, communeCount, childCount) = shape
        let folder =
            keep.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("tre-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: folder) } }
        let files = Files(folder: folder)
        let started = ContinuousClock.now

        var built: [String: Any] = [:]
        let buildSeconds = try measure {
            built = try Self.build(files, shape: shape, casePercent: casePercent, seed: seed)
        }

        // The report and the queries, in a process of their own.
        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
        process.arguments = [
            "report", "--measure", folder.path, "--districts", "\(districtCount)", "--communes", "\(communeCount)",
            "--children", "\(childCount)", "--year", "\(year)", "--runs", "\(runs)",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let measured = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            FileHandle.standardError.write(Data("report: the measuring process failed (above)\n".utf8))
            throw ExitCode(1)
        }
        var result = measured.merging(built) { $1 }
        result["benchmark"] = "report"
        result["parameters"] = [
            "districts": districtCount, "communes_per_district": communeCount, "children_per_commune": childCount,
            "seed": seed, "quick": quick, "runs": runs, "case_percent": casePercent,
        ]
        result["build_s"] = (buildSeconds * 100).rounded() / 100
        result["elapsed_s"] = Double((ContinuousClock.now - started).components.seconds)
        printJSONObject(result)
    }

    /// Every commune made on its own replica and pushed to the hub in sets of 2,000 changes
    /// (as the province night's initial load: the hub's gate, definition check included), and
    /// its live rows written to the reference's tables; one commune in memory at a time.
    static func build(
        _ files: Files, shape: (districts: Int, communes: Int, children: Int), casePercent: Int = 1, seed: UInt64
    ) throws -> [String: Any] {
        let hub = try Replica.initialize(
            storage: try SQLiteStorage(path: files.hub),
            origin: OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x44)),
            unit: "44", time: StepClock(1_763_900_000_000))
        let reference = try ReportReference(path: files.reference, bands: .standard)
        var (children, cases, changes) = (0, 0, 0)
        for (index, unit) in ProvinceNight.units(districts: shape.districts, communes: shape.communes).enumerated() {
            let origin = OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0000 | UInt64(index + 1)))
            let commune = try ReportCommune.make(
                unit: unit.code, origin: origin, children: shape.children, casePercent: casePercent,
                seed: seed &+ UInt64(index))
            let scope = PeerScope(origin: origin, units: [unit.code], relays: false)
            var start = 0
            while start < commune.changes.count {
                let set = Array(commune.changes[start..<min(start + ProvinceNight.setSize, commune.changes.count)])
                let report = try hub.apply(set, via: origin, gate: ProvinceNight.gate(hub, scope))
                guard report.refused.isEmpty, report.parked == 0 else {
                    throw BenchError(
                        "the hub refused or parked a change: \(report.refused.first.map { "\($0)" } ?? "")")
                }
                start += ProvinceNight.setSize
            }
            try reference.insert(commune)
            children += commune.children.count
            cases += commune.cases.count
            changes += commune.changes.count
        }
        let counts = try hub.counts()
        return [
            "children": children, "cases": cases, "hub_records": counts.records, "hub_changes": changes,
            "hub_file_mb": Double(fileSize(files.hub) / 10_000) / 100,
            "reference_file_mb": Double(fileSize(files.reference) / 10_000) / 100,
        ]
    }

    /// The report and the queries in turn, `runs` times each; the figures cross-checked.
    static func measureReport(
        _ files: Files, shape: (districts: Int, communes: Int, children: Int), year: Int, runs: Int
    )
        throws -> [String: Any]
    {
        let hub = try Replica(storage: try SQLiteStorage(path: files.hub), time: SystemTimeSource())
        let reference = try ReportReference(path: files.reference, bands: .standard)
        let tree = tree(districts: shape.districts, communes: shape.communes)
        let period = ReportPeriod.halfYear(year: year, half: 1)
        let periods = [period, period.previous]
        let units = Set(tree.subtree(of: "44"))
        let builder = ReportBuilder(tree: tree, bands: .standard)
        // What the process holds before the report: the program, the hub opened, the tables.
        _ = try hub.counts()
        let openPeak = HTTPNight.peakRSS(pid: getpid())

        var reportTimes: [Double] = []
        var sqlTimes: [Double] = []
        var engine: [ReportPeriod: Figures] = [:]
        var document: ReportDocument?
        var sql: [ReportPeriod: Figures] = [:]
        var reportPeak = 0
        for run in 0..<runs {
            reportTimes.append(
                try measure {
                    engine = try IndicatorEngine().compute(from: hub, periods: periods, includes: units.contains)
                    document = builder.build(
                        unit: "44", period: period, current: engine[period] ?? Figures(),
                        previous: engine[period.previous] ?? Figures(), generated: Date())
                })
            // The report's own peak: nothing but opening the hub ran before it.
            if run == 0 { reportPeak = HTTPNight.peakRSS(pid: getpid()) }
            sqlTimes.append(try measure { sql = try reference.figures(periods: periods) })
        }
        let cells = try ReportCheck.compare(engine: engine, document: document!, sql: sql, tree: tree, unit: "44")

        func seconds(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        let best = (report: reportTimes.min()!, sql: sqlTimes.min()!)
        return [
            "report_s": seconds(best.report), "sql_s": seconds(best.sql),
            "report_s_ratio_vs_sql": (best.report / best.sql * 100).rounded() / 100,
            "report_runs_s": reportTimes.map(seconds), "sql_runs_s": sqlTimes.map(seconds),
            "report_peak_rss_mb": reportPeak, "opened_hub_peak_rss_mb": openPeak,
            "measure_process_peak_rss_mb": HTTPNight.peakRSS(pid: getpid()),
            "cells_checked": cells, "figures_equal": true, "period": period.description,
            "previous": period.previous.description,
        ]
    }

}

import ArgumentParser
import Domain
import Foundation
import PostgresNIO
import PostgresStore
import SyncCore

/// `tre-bench report`: the province's half-year report over the WORKLOAD's children and cases,
/// as `tre-hub report` makes it (the engine's figures for the period and the one before, laid
/// out for the province), beside hand-written SQL GROUP BY queries computing the same figures
/// from plain tables of the same rows, in the same process. The two must agree cell by cell.
///
/// The hub and the tables are built first; the report and the queries then run in a process of
/// their own, which opens the hub as `tre-hub` would: its peak memory is the report's. The hub
/// is an SQLite file, or with `--store postgres://…` a fresh schema on that server (dropped at
/// the end unless `--keep`); `--protect` seals it at rest as a protected hub is. Besides the
/// province, a district's and a commune's reports are measured, each read both ways: the
/// store selecting the subtree's records (`RecordSelection`, what `tre-hub report` does) and
/// every record read and filtered in the hub (before the selection), beside the SQL over the
/// same subtree's rows.
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
    @Option(
        help:
            "Keep the hub on this PostgreSQL server (postgres://USER@HOST:PORT/DB, the password in PGPASSWORD), in a new schema unless ?schema= names one."
    )
    var store: String?
    @Flag(help: "Protect the hub at rest (its values sealed, as `init --protect-with-…` does).") var protect = false

    var shape: (districts: Int, communes: Int, children: Int) {
        quick ? (2, 3, 300) : (districts, communes, children)
    }

    func validate() throws {
        guard districts >= 0, communes > 0, children >= 100, runs >= 1, (0...100).contains(casePercent) else {
            throw ValidationError(
                "--districts ≥ 0, --communes ≥ 1, --children ≥ 100, --runs ≥ 1, --case-percent 0–100.")
        }
    }

    /// Where a built province lives: the hub (a file in the folder, or a PostgreSQL store) and
    /// the reference's tables.
    struct Files {
        let folder: URL
        /// The hub's PostgreSQL address with its schema; nil: the hub is `hub`, an SQLite file.
        var store: String? = nil
        /// Whether the hub is sealed at rest (under a passphrase of the bench's own).
        var protect = false
        var hub: String { folder.appendingPathComponent("hub.sqlite").path }
        var reference: String { folder.appendingPathComponent("reference.sqlite").path }

        static let passphrase = ReplicaSecret.passphrase("tre-bench report")

        /// The hub's storage, made (`create`) or opened.
        func hubStorage(create: Bool) throws -> any ReplicaStorage {
            let secret = protect ? Self.passphrase : nil
            if let store {
                return try PostgresStorage(address: try PostgresAddress(store), secret: secret, create: create)
            }
            return try SQLiteStorage(path: hub, secret: secret)
        }

        /// The hub's size: its file, or its schema's tables and indexes on the server.
        func hubMegabytes(_ storage: any ReplicaStorage) throws -> Double {
            guard let postgres = storage as? PostgresStorage else { return Double(fileSize(hub) / 10_000) / 100 }
            let bytes = try postgres.transaction(writing: false) { session in
                try session.query(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c "
                        + "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                ).first?[0].decode(Int64.self) ?? 0
            }
            return Double(bytes / 10_000) / 100
        }
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
                    Files(folder: URL(fileURLWithPath: measureFolder), store: store, protect: protect), shape: shape,
                    year: year, runs: runs))
            return
        }
        let (districtCount, communeCount, childCount) = shape
        let folder =
            keep.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("tre-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: folder) } }
        var files = Files(folder: folder, protect: protect)
        if let store {
            let address = try PostgresAddress(store)
            files.store =
                address.schema == nil
                ? store + (store.contains("?") ? "&" : "?") + "schema=tre_bench_"
                    + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
                : store
        }
        defer { if keep == nil, store != nil, let address = files.store { Self.dropSchema(address) } }
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
        process.arguments =
            [
                "report", "--measure", folder.path, "--districts", "\(districtCount)", "--communes", "\(communeCount)",
                "--children", "\(childCount)", "--year", "\(year)", "--runs", "\(runs)",
            ] + (files.store.map { ["--store", $0] } ?? []) + (protect ? ["--protect"] : [])
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
            "store": files.store == nil ? "sqlite" : "postgres", "protected": protect,
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
        let storage = try files.hubStorage(create: true)
        let hub = try Replica.initialize(
            storage: storage,
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
            "hub_file_mb": try files.hubMegabytes(storage),
            "reference_file_mb": Double(fileSize(files.reference) / 10_000) / 100,
        ]
    }

    /// Drops a schema the bench made (`--store` without `--keep`).
    static func dropSchema(_ store: String) {
        guard let address = try? PostgresAddress(store), let schema = address.schema,
            let storage = try? PostgresStorage(address: address)
        else { return }
        _ = try? storage.transaction(writing: true) { session in
            try session.execute("DROP SCHEMA \(schema) CASCADE")
        }
    }

    /// The report and the queries in turn, `runs` times each, for the province, its first
    /// district and its first commune; the figures cross-checked every way.
    static func measureReport(
        _ files: Files, shape: (districts: Int, communes: Int, children: Int), year: Int, runs: Int
    )
        throws -> [String: Any]
    {
        let hub = try Replica(storage: try files.hubStorage(create: false), time: SystemTimeSource())
        let reference = try ReportReference(path: files.reference, bands: .standard)
        let tree = tree(districts: shape.districts, communes: shape.communes)
        let period = ReportPeriod.halfYear(year: year, half: 1)
        let periods = [period, period.previous]
        let builder = ReportBuilder(tree: tree, bands: .standard)
        // What the process holds before the report: the program, the hub opened, the tables.
        _ = try hub.counts()
        let openPeak = HTTPNight.peakRSS(pid: getpid())

        let communes = ProvinceNight.units(districts: shape.districts, communes: shape.communes)
        var scopes = [("province", "44")]
        if let district = communes.first?.district { scopes.append(("district", district)) }
        if let commune = communes.first?.code { scopes.append(("commune", commune)) }

        func seconds(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        func ratio(_ a: Double, _ b: Double) -> Double { (a / b * 100).rounded() / 100 }
        var measured: [[String: Any]] = []
        var reportPeak = 0
        var cells = 0
        for (index, (level, unit)) in scopes.enumerated() {
            let units = Set(tree.subtree(of: unit))
            var (selectedTimes, everyTimes, sqlTimes) = ([Double](), [Double](), [Double]())
            var (selected, every) = ([ReportPeriod: Figures](), [ReportPeriod: Figures]())
            var sql: [ReportPeriod: Figures] = [:]
            var document: ReportDocument?
            for run in 0..<runs {
                selectedTimes.append(
                    try measure {
                        selected = try IndicatorEngine().compute(from: hub, periods: periods, units: units)
                        document = builder.build(
                            unit: unit, period: period, current: selected[period] ?? Figures(),
                            previous: selected[period.previous] ?? Figures(), generated: Date())
                    })
                // The report's own peak: nothing but opening the hub ran before it.
                if run == 0, index == 0 { reportPeak = HTTPNight.peakRSS(pid: getpid()) }
                everyTimes.append(
                    try measure {
                        every = try IndicatorEngine().compute(from: hub, periods: periods, includes: units.contains)
                        _ = builder.build(
                            unit: unit, period: period, current: every[period] ?? Figures(),
                            previous: every[period.previous] ?? Figures(), generated: Date())
                    })
                sqlTimes.append(try measure { sql = try reference.figures(periods: periods, units: units) })
            }
            guard selected == every else {
                throw BenchError("\(unit): the selection's figures differ from reading every record")
            }
            cells += try ReportCheck.compare(engine: selected, document: document!, sql: sql, tree: tree, unit: unit)
            let best = (selected: selectedTimes.min()!, every: everyTimes.min()!, sql: sqlTimes.min()!)
            measured.append([
                "level": level, "unit": unit, "units": units.count,
                "report_s": seconds(best.selected), "report_every_record_s": seconds(best.every),
                "sql_s": seconds(best.sql), "report_s_ratio_vs_sql": ratio(best.selected, best.sql),
                "report_every_record_s_ratio_vs_sql": ratio(best.every, best.sql),
                "selection_speedup": ratio(best.every, best.selected),
                "report_runs_s": selectedTimes.map(seconds), "report_every_record_runs_s": everyTimes.map(seconds),
                "sql_runs_s": sqlTimes.map(seconds),
            ])
        }
        let province = measured[0]
        return [
            "report_s": province["report_s"]!, "sql_s": province["sql_s"]!,
            "report_s_ratio_vs_sql": province["report_s_ratio_vs_sql"]!,
            "report_runs_s": province["report_runs_s"]!, "sql_runs_s": province["sql_runs_s"]!,
            "scopes": measured,
            "report_peak_rss_mb": reportPeak, "opened_hub_peak_rss_mb": openPeak,
            "measure_process_peak_rss_mb": HTTPNight.peakRSS(pid: getpid()),
            "cells_checked": cells, "figures_equal": true, "period": period.description,
            "previous": period.previous.description,
        ]
    }
}

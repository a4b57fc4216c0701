import ArgumentParser
import Foundation
import SyncCore

/// One size of `tre-bench national` on one store, in a process of its own (the command runs it):
/// `communes` communes of 34 provinces, each generated in turn (one commune's data in memory at
/// a time, so the process's peak memory is the hub's), its first push merged by the national
/// hub in sets of 2,000 changes and written as plain SQL by the raw reference; then every
/// commune's night, one transaction each. It checks that every commune's state at the hub
/// hashes as what it pushed, and that the hub's log holds every change once.
struct NationalRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "national-size",
        abstract: "One size of the national run on one store (tre-bench national runs it).",
        shouldDisplay: false)

    @Option(help: "sqlite or postgres://USER@HOST:PORT/DATABASE.") var store = "sqlite"
    @Option(help: "Communes.") var communes: Int
    @Option(help: "Children per commune.") var children = 150
    @Option(help: "Seed of the generated data.") var seed: UInt64 = 1

    func validate() throws {
        guard communes >= 1, children >= 100 else {
            throw ValidationError("--communes must be ≥ 1 and --children ≥ 100.")
        }
        _ = try BenchStore.parse(store)
    }

    /// The communes, spread over 34 provinces (codes 01–34) in turn: commune `index` is number
    /// `index / 34 + 1` of province `index % 34 + 1`, e.g. 01001, 02001, … 34001, 01002.
    static func unit(_ index: Int) -> String {
        String(format: "%02d%03d", index % 34 + 1, index / 34 + 1)
    }

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tre-national-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let hubStore = try BenchStore.parse(store)
        defer { hubStore.cleanUp() }
        let hub = try Replica.initialize(
            storage: try hubStore.hubStorage("hub", in: directory),
            origin: OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x84)), unit: "VN",
            time: StepClock(1_763_900_000_000))
        let raw = try hubStore.rawReference("raw", in: directory)

        struct Pending {
            let unit: String
            let origin: OriginID
            let night: [Change]
            let rawNight: [RawOperation]
            /// What the commune holds after its night, hashed on a replica of its own in memory.
            let expectedHash: String
            let records: Int
        }
        var pending: [Pending] = []
        var generateSeconds = 0.0
        var initialSeconds = 0.0
        var rawInitialSeconds = 0.0
        var initialChanges = 0
        var expectedRecords = 0
        for index in 0..<communes {
            var night: CommuneNight!
            var expected = ""
            var records = 0
            generateSeconds += try measure {
                night = try CommuneNight.make(
                    unit: Self.unit(index),
                    origin: OriginID(
                        UUID128(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0000 | UInt64(index + 1))),
                    children: children, seed: seed &+ UInt64(index))
                let own = try Replica.initialize(
                    storage: MemoryStorage(), origin: night.origin, unit: night.unit,
                    time: StepClock(1_764_000_000_000))
                try own.apply(night.initial + night.night)
                expected = try own.stateHash(unit: { $0 == night.unit })
                records = try own.counts().records
            }
            let scope = PeerScope(origin: night.origin, units: [night.unit], relays: false)
            var sizes: [Int] = []
            initialSeconds += try measure {
                var start = 0
                while start < night.initial.count {
                    let set = Array(night.initial[start..<min(start + ProvinceNight.setSize, night.initial.count)])
                    let report = try hub.apply(set, via: night.origin, gate: ProvinceNight.gate(hub, scope))
                    guard report.refused.isEmpty else { throw BenchError("the hub refused \(report.refused[0])") }
                    sizes.append(set.count)
                    start += ProvinceNight.setSize
                }
            }
            rawInitialSeconds += try measure { try raw.run(night.rawInitial, unit: night.unit, commits: sizes) }
            initialChanges += night.initial.count
            expectedRecords += records
            pending.append(
                Pending(
                    unit: night.unit, origin: night.origin, night: night.night, rawNight: night.rawNight,
                    expectedHash: expected, records: records))
        }

        var nightChanges = 0
        let nightSeconds = try measure {
            for commune in pending {
                let scope = PeerScope(origin: commune.origin, units: [commune.unit], relays: false)
                let report = try hub.apply(commune.night, via: commune.origin, gate: ProvinceNight.gate(hub, scope))
                guard report.refused.isEmpty else { throw BenchError("the hub refused \(report.refused[0])") }
                nightChanges += commune.night.count
            }
        }
        var rawNightOperations = 0
        let rawNightSeconds = try measure {
            for commune in pending {
                try raw.run(commune.rawNight, unit: commune.unit, commits: [commune.rawNight.count])
                rawNightOperations += commune.rawNight.count
            }
        }

        let hubStoreBytes = try hubStore.storedBytes("hub", in: directory)
        let rawStoreBytes = try raw.storedBytes()
        let peak = peakRSSMegabytes()
        // The checks: every commune's part of the hub as it pushed it; every change logged once.
        let hashes = try hub.stateHashesByUnit()
        let equal = pending.filter { hashes[$0.unit] == $0.expectedHash }.count
        let counts = try hub.counts()
        let logComplete = counts.lastSequence == UInt64(initialChanges + nightChanges)
        func ratio(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        let initialRate = Double(initialChanges) / initialSeconds
        let rawInitialRate = Double(initialChanges) / rawInitialSeconds
        let nightRate = Double(nightChanges) / nightSeconds
        let rawNightRate = Double(rawNightOperations) / rawNightSeconds
        printJSONObject([
            "store": hubStore.name, "communes": communes, "children_per_commune": children, "seed": seed,
            "records": counts.records, "records_expected": expectedRecords,
            "initial_changes": initialChanges, "night_changes": nightChanges,
            "generate_s": ratio(generateSeconds),
            "initial_load_s": ratio(initialSeconds),
            "initial_load_records_per_s": Int(initialRate),
            "raw_initial_s": ratio(rawInitialSeconds),
            "raw_initial_insert_rows_per_s": Int(rawInitialRate),
            "initial_load_vs_raw": ratio(initialRate / rawInitialRate),
            "nightly_merge_s": ratio(nightSeconds),
            "nightly_merge_changes_per_s": Int(nightRate),
            "raw_night_s": ratio(rawNightSeconds),
            "raw_night_operations_per_s": Int(rawNightRate),
            "nightly_merge_vs_raw_night": ratio(nightRate / rawNightRate),
            "hub_store_bytes": hubStoreBytes,
            "raw_store_bytes": rawStoreBytes,
            "hub_store_bytes_per_record": counts.records == 0 ? 0 : hubStoreBytes / counts.records,
            "hub_process_peak_rss_mb": Int(peak),
            "communes_equal": equal,
            "replicas_equal": equal == communes && counts.records == expectedRecords,
            "log_entries": Int(counts.lastSequence),
            "log_complete": logComplete,
        ])
        guard equal == communes, counts.records == expectedRecords, logComplete else {
            FileHandle.standardError.write(
                Data(
                    ("national-size: check failed on \(hubStore.name): \(equal) of \(communes) communes equal, "
                        + "\(counts.records) records of \(expectedRecords), \(counts.lastSequence) log entries of "
                        + "\(initialChanges + nightChanges)\n").utf8))
            throw ExitCode(1)
        }
    }
}

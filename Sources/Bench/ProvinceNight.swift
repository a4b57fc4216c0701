import ArgumentParser
import Domain
import Foundation
import GRDB
import GRDBSQLite
import SyncCore

/// The province-night workload of shared/WORKLOAD.md, in-process: a hub store merging every
/// commune's change sets (as a hub does after decoding), against plain SQL doing the same
/// inserts, updates and deletes with the same commits. With `--store postgres://…` the hub's
/// store is on PostgreSQL and the plain SQL too (the ratios are against PostgreSQL), with the
/// plain-SQLite reference measured beside them.
struct ProvinceNight: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "night",
        abstract: "The province-night workload: initial load, one night's merge, conflicts, equality, node writes.")

    @Option(help: "Districts (0: communes directly under the province).") var districts = 10
    @Option(help: "Communes per district (or in the province when --districts 0).") var communes = 20
    @Option(help: "Children per commune.") var children = 2_500
    @Option(help: "Seed of the generated data.") var seed: UInt64 = 1
    @Flag(help: "2 districts × 5 communes × 500 children: a smoke run in well under a minute.") var quick = false
    @Option(help: "Local edits timed on one commune node for the write latency.") var writes = 300
    @Flag(help: "Skip the end-to-end part over HTTP (real tre-hub serve and tre-node sync).") var noHTTP = false
    @Option(
        help: """
            An SQLite PRAGMA run on the in-process hub's connection before the load, to measure what a setting of \
            the store costs (e.g. "cache_size = -262144", "mmap_size = 1073741824"); repeatable. SQLite hub only.
            """)
    var hubPragma: [String] = []
    @Option(
        help: """
            The hub's store: sqlite (the default) or postgres://USER@HOST:PORT/DATABASE (password in PGPASSWORD; \
            the run makes schemas of its own there and drops them). scripts/bench --store postgres starts a server.
            """)
    var store: String?

    var shape: (districts: Int, communes: Int, children: Int) {
        quick ? (2, 5, 500) : (districts, communes, children)
    }

    func validate() throws {
        guard districts >= 0, communes > 0, children >= 100, writes >= 10 else {
            throw ValidationError("--districts ≥ 0, --communes ≥ 1, --children ≥ 100 and --writes ≥ 10.")
        }
        if case .postgres = try BenchStore.parse(store), !hubPragma.isEmpty {
            throw ValidationError("--hub-pragma sets the SQLite hub; it does not go with --store postgres://….")
        }
        for pragma in hubPragma
        where pragma.isEmpty || !pragma.allSatisfy({ $0.isLetter || $0.isNumber || " _=-".contains($0) }) {
            throw ValidationError(
                "--hub-pragma takes NAME = VALUE (letters, digits, _, -), e.g. \"cache_size = -262144\", "
                    + "not \"\(pragma.prefix(40))\".")
        }
    }

    /// Commune `index` of the run: its data and night, the same for the same seed every time it
    /// is made (the in-process run makes a commune again rather than hold the province's data).
    static func commune(_ index: Int, unit: String, children: Int, seed: UInt64) throws -> CommuneNight {
        try CommuneNight.make(
            unit: unit,
            origin: OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0000 | UInt64(index + 1))),
            children: children, seed: seed &+ UInt64(index))
    }

    /// The sample province 44: districts 401…, communes 44001….
    static func units(districts: Int, communes: Int) -> [(code: String, district: String?)] {
        var result: [(String, String?)] = []
        var number = 1
        for district in 0..<max(districts, 1) {
            for _ in 0..<communes {
                result.append(
                    (String(format: "44%03d", number), districts == 0 ? nil : String(format: "%03d", 401 + district)))
                number += 1
            }
        }
        return result
    }

    static let setSize = 2_000

    /// The gate a hub judges one commune's sets with, as `HubService.push` does: the write rule
    /// and the definition's check of every value, for the version a node of this release declares.
    static func gate(_ hub: Replica, _ scope: PeerScope) -> DefinitionGate<PeerGate> {
        DefinitionGate(
            PeerGate(receiver: hub.origin, nowMillis: hub.time.nowMillis()) { $0 == scope.origin ? scope : nil }
        ) { _ in DomainDefinition.current.version }
    }

    /// Fields district staff fill in on a child a commune is also editing, when not the same one.
    static let otherFields = ["village", "address", "notes", "guardian_phone"]

    /// Whether district staff can write `field` concurrently with the commune and make a true
    /// conflict: three different values are needed (the one the hub holds, the commune's and the
    /// district's), which a yes/no field does not have; at risk goes with its reason.
    static func conflictable(_ field: String) -> Bool { field != "health_insurance" && !field.hasPrefix("at_risk") }

    /// What district staff write into `field`: a value the definition accepts, neither the one
    /// the hub holds (`Replica.put` drops an edit that changes nothing) nor the one the commune
    /// wrote (equal concurrent values are not a conflict).
    static func districtValue(_ field: String, avoiding taken: [FieldValue?], _ random: inout SplitMix64)
        -> FieldValue
    {
        switch field {
        case "guardian_phone":
            var phone: FieldValue
            repeat {
                phone = .string("09" + (0..<8).map { _ in String(random.next() % 10) }.joined())
            } while taken.contains(phone)
            return phone
        case "school_status":
            let others = ChildGenerator.schoolStatuses.filter { !taken.contains(.string($0)) }
            return .string(others[Int(random.next() % UInt64(others.count))])
        default:
            return .string("huyện sửa \(random.next() % 1000)")
        }
    }

    func run() async throws {
        let (districtCount, communeCount, childCount) = shape
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tre-night-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let started = ContinuousClock.now
        let hubStore = try BenchStore.parse(store)
        defer { hubStore.cleanUp() }

        let hubClock = StepClock(1_763_900_000_000)
        let hubStorage = try hubStore.hubStorage("hub", in: directory)
        if let sqlite = hubStorage as? SQLiteStorage {
            for pragma in hubPragma {
                try await sqlite.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA \(pragma)") }
            }
        }
        let hub = try Replica.initialize(
            storage: hubStorage, origin: OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x44)),
            unit: "44", time: hubClock)
        // Plain SQL on the hub's kind of store; on PostgreSQL, plain SQLite beside it as well.
        let raw = try hubStore.rawReference("raw", in: directory)
        let rawSQLite: RawReference? =
            if case .postgres = hubStore {
                try RawReference(path: directory.appendingPathComponent("raw-sqlite.sqlite").path)
            } else { nil }

        // Each commune in turn: its data and night made on its own replica, the definition check
        // timed over its changes (what a hub's gate adds a change), then its first push merged
        // in sets of 2,000 changes, one transaction each, and the same rows written as plain SQL
        // with the same commits. The HTTP part needs every commune's data; without it only the
        // night is kept (and the first commune whole, for the node's writes), so the process
        // holds the hub, the raw references and one commune's data, not the province's.
        let units = Self.units(districts: districtCount, communes: communeCount)
        let keepsData = !noHTTP
        let validator = Validator()
        var nights: [CommuneNight] = []
        var checkedChanges = 0
        var checkSeconds = 0.0
        var generateSeconds = 0.0
        var initialRecords = 0
        var initialSeconds = 0.0
        var rawInitialSeconds = 0.0
        var rawSQLiteInitialSeconds = 0.0
        for (index, unit) in units.enumerated() {
            var made: CommuneNight?
            generateSeconds += try measure {
                made = try Self.commune(index, unit: unit.code, children: childCount, seed: seed)
            }
            guard let night = made else { throw BenchError("commune \(unit.code) was not made") }
            checkSeconds += try measure {
                for changes in [night.initial, night.night] {
                    for change in changes {
                        if let problem = validator.checkIncoming(
                            collection: change.collection, set: change.set,
                            peerVersion: DomainDefinition.current.version)
                        {
                            throw BenchError("the hub would refuse a generated change: \(problem)")
                        }
                        checkedChanges += 1
                    }
                }
            }
            let scope = PeerScope(origin: night.origin, units: [night.unit], relays: false)
            var sizes: [Int] = []
            initialSeconds += try measure {
                var start = 0
                while start < night.initial.count {
                    let set = Array(night.initial[start..<min(start + Self.setSize, night.initial.count)])
                    let report = try hub.apply(set, via: night.origin, gate: Self.gate(hub, scope))
                    guard report.refused.isEmpty else { throw BenchError("the hub refused \(report.refused[0])") }
                    sizes.append(set.count)
                    start += Self.setSize
                }
            }
            initialRecords += night.initial.count
            rawInitialSeconds += try measure { try raw.run(night.rawInitial, unit: night.unit, commits: sizes) }
            if let rawSQLite {
                rawSQLiteInitialSeconds += try measure {
                    try rawSQLite.run(night.rawInitial, unit: night.unit, commits: sizes)
                }
            }
            nights.append(keepsData || index == 0 ? night : night.withoutInitialData())
        }
        let afterInitial = try hub.counts().lastSequence

        // District staff edit 1 % of the children each commune updates tonight, concurrently:
        // half on a field the commune wrote (a true conflict), half on another (a clean merge).
        var expectedConflicts = 0
        var plantedClean = 0
        var hubEdits: [(commune: String, id: RecordID, field: String, value: FieldValue)] = []
        var random = SplitMix64(seed: seed ^ 0xd15)
        for night in nights {
            // Among children under 12 on the data's day: the HTTP part makes these edits with
            // `tre-hub record put`, which checks the whole record against today's date (an active
            // child of 16 must first be marked so), and they stay under 16 until 2030.
            for update in night.updated where random.next() % 100 == 0 && update.age < 12 {
                let fields = update.written.keys.sorted()
                let held = try hub.record("children", id: update.id)
                if (expectedConflicts + plantedClean) % 2 == 0 {
                    guard let field = fields.first(where: Self.conflictable) else { continue }
                    let value = Self.districtValue(
                        field, avoiding: [held?.value(field), update.written[field]], &random)
                    guard try hub.put("children", id: update.id, set: [field: value]) != nil else {
                        throw BenchError("the district's planted edit of \(field) changed nothing")
                    }
                    hubEdits.append((night.unit, update.id, field, value))
                    expectedConflicts += 1
                } else if let other = Self.otherFields.first(where: { !fields.contains($0) }) {
                    let value: FieldValue =
                        other == "guardian_phone"
                        ? Self.districtValue(other, avoiding: [held?.value(other)], &random) : "huyện bổ sung"
                    guard try hub.put("children", id: update.id, set: [other: value]) != nil else {
                        throw BenchError("the district's planted edit of \(other) changed nothing")
                    }
                    hubEdits.append((night.unit, update.id, other, value))
                    plantedClean += 1
                }
            }
        }

        // The night: every commune's set, one transaction each, and the raw night likewise,
        // commune by commune in turn (as the initial load), so that a burst of load on this
        // shared machine falls on both sides of the ratio rather than on one second-long block.
        var nightChanges = 0
        var rawNightOperations = 0
        var nightSeconds = 0.0
        var rawNightSeconds = 0.0
        var rawSQLiteNightSeconds = 0.0
        for night in nights {
            nightSeconds += try measure {
                let scope = PeerScope(origin: night.origin, units: [night.unit], relays: false)
                let report = try hub.apply(night.night, via: night.origin, gate: Self.gate(hub, scope))
                guard report.refused.isEmpty else { throw BenchError("the hub refused \(report.refused[0])") }
            }
            nightChanges += night.night.count
            rawNightSeconds += try measure {
                try raw.run(night.rawNight, unit: night.unit, commits: [night.rawNight.count])
            }
            rawNightOperations += night.rawNight.count
            if let rawSQLite {
                rawSQLiteNightSeconds += try measure {
                    try rawSQLite.run(night.rawNight, unit: night.unit, commits: [night.rawNight.count])
                }
            }
        }
        // Through the merge the process held the hub, the raw references and one commune's data.
        let mergePeakRSS = peakRSSMegabytes()
        let sqliteHighwater = Double(sqlite3_memory_highwater(0)) / 1_048_576
        let conflictsDetected = try hub.counts().conflictedRecords
        let hubStoreBytes = try hubStore.storedBytes("hub", in: directory)
        let rawStoreBytes = try raw.storedBytes()

        // Pull and equality: each commune receives the hub's changes in its scope; its replica
        // (initial, its night, what it pulled) must hash like the hub's part for that commune.
        let key = PeerKey.random()
        var wireBytes = 0
        var wireChanges = 0
        let hubHashes = try hub.stateHashesByUnit()
        var equal = true
        for (index, kept) in nights.enumerated() {
            let night =
                keepsData || index == 0
                ? kept : try Self.commune(index, unit: kept.unit, children: childCount, seed: seed)
            let push = ChangeSet(
                kind: .push, sender: night.origin, from: UInt64(night.initial.count),
                to: UInt64(night.initial.count + night.night.count), changes: night.night)
            let page = try hub.outgoingPage(
                after: afterInitial, filter: LogFilter(units: [night.unit], excludingVia: night.origin),
                maxEntries: 20_000,
                maxBytes: 1 << 22)
            let pulled = page.entries.map(\.change)
            let pull = ChangeSet(kind: .pull, sender: hub.origin, from: afterInitial, to: page.through, changes: pulled)
            // The push as a hub of this release receives it: its records named by reference.
            wireBytes +=
                push.encode(key: key, dictionary: WireVocabulary.dictionary, referencing: RecordReferences()).count
                + pull.encode(key: key, dictionary: WireVocabulary.dictionary).count
            wireChanges += night.night.count + pulled.count
            let node = try Replica.initialize(
                storage: MemoryStorage(), origin: night.origin, unit: night.unit, time: hubClock)
            try node.apply(night.initial + night.night + pulled)
            if try node.stateHash(unit: { $0 == night.unit }) != hubHashes[night.unit] { equal = false }
        }

        // A durable local edit on one commune node holding its full replica, against a raw
        // single-row UPDATE on a file holding the same rows. The node is protected at rest, as
        // every real node is (a key file's key: unlocking by passphrase is measured apart).
        let sample = nights[0]
        let node = try Replica.initialize(
            storage: try SQLiteStorage(
                path: directory.appendingPathComponent("node.sqlite").path, secret: .key(.random())),
            origin: sample.origin,
            unit: sample.unit, time: StepClock(1_764_000_000_000))
        try node.apply(sample.initial + sample.night)
        // The same node unprotected, written in turn with it: what sealing costs a durable edit.
        let clearNode = try Replica.initialize(
            storage: try SQLiteStorage(path: directory.appendingPathComponent("node-clear.sqlite").path),
            origin: sample.origin, unit: sample.unit, time: StepClock(1_764_000_000_000))
        try clearNode.apply(sample.initial + sample.night)
        let rawNode = try RawReference(path: directory.appendingPathComponent("raw-node.sqlite").path)
        try rawNode.run(sample.rawInitial, unit: sample.unit, commits: [sample.rawInitial.count])
        let ids = sample.rawInitial.compactMap { operation -> RecordID? in
            if case .insert("children", let id, _) = operation { return id }
            return nil
        }
        var nodeWrites: [Double] = []
        var clearWrites: [Double] = []
        var rawWrites: [Double] = []
        for index in 0..<writes {
            let id = ids[(index * 7919) % ids.count]
            let value = FieldValue.string("Ghi chú lần \(index)")
            if try node.record("children", id: id)?.isDeleted == true { continue }
            // In turn, each first every other time: the first write of a pair is the slower.
            for sealed in index % 2 == 0 ? [true, false] : [false, true] {
                let target = sealed ? node : clearNode
                let time = try measure { try target.put("children", id: id, set: ["notes": value]) }
                if sealed { nodeWrites.append(time) } else { clearWrites.append(time) }
            }
            rawWrites.append(
                try measure {
                    try rawNode.run(.update(table: "children", id: id, fields: ["notes": value]), unit: sample.unit)
                })
        }
        let nodeP99 = percentile99(nodeWrites)
        let clearP99 = percentile99(clearWrites)
        let rawP99 = percentile99(rawWrites)
        func median(_ seconds: [Double]) -> Double {
            seconds.isEmpty ? 0 : (seconds.sorted()[seconds.count / 2] * 1_000_000).rounded() / 1000
        }
        // What a command on a passphrase-protected node pays once to open it: scrypt at init's
        // parameters (the file made first, then opened as a command opens it).
        let unlockPath = directory.appendingPathComponent("unlock.sqlite").path
        let passphrase = ReplicaSecret.passphrase("mùa xuân trên bản Mường Lống")
        _ = try SQLiteStorage(path: unlockPath, secret: passphrase)
        let unlockSeconds = try measure { _ = try SQLiteStorage(path: unlockPath, secret: passphrase) }

        func ratio(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        var http: HTTPNight.Result?
        if !noHTTP {
            let bin = URL(
                fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                    ?? CommandLine.arguments[0]
            ).deletingLastPathComponent()
            let districtOf = Dictionary(
                uniqueKeysWithValues: units.compactMap { unit in unit.district.map { (unit.code, $0) } })
            http = try await HTTPNight(
                nights: nights, districtOf: districtOf, directory: directory, bin: bin, store: hubStore
            )
            .runNight(hubEdits: hubEdits)
        }
        let initialRate = Double(initialRecords) / initialSeconds
        let rawInitialRate = Double(initialRecords) / rawInitialSeconds
        let nightRate = Double(nightChanges) / nightSeconds
        let rawNightRate = Double(rawNightOperations) / rawNightSeconds
        let setAside = http?.setAside ?? 0
        let allEqual = equal && (http?.replicasEqual ?? true)
        var report: [String: Any] = [
            "benchmark": "province-night", "parts": noHTTP ? "in-process" : "in-process, http",
            "store": hubStore.name,
            "hub_store_bytes": hubStoreBytes,
            "raw_store_bytes": rawStoreBytes,
            "parameters": [
                "districts": districtCount, "communes_per_district": communeCount, "children_per_commune": childCount,
                "communes": nights.count, "seed": seed, "quick": quick,
            ],
            "initial_load_records_per_s": Int(initialRate),
            "raw_initial_insert_rows_per_s": Int(rawInitialRate),
            "initial_load_vs_raw": ratio(initialRate / rawInitialRate),
            "generate_s": ratio(generateSeconds),
            "initial_load_s": ratio(initialSeconds),
            "raw_initial_s": ratio(rawInitialSeconds),
            "raw_night_s": ratio(rawNightSeconds),
            "process_peak_rss_mb_through_merge": Int(mergePeakRSS),
            "sqlite_memory_highwater_mb": Int(sqliteHighwater),
            "hub_pragmas": hubPragma,
            "nightly_merge_changes_per_s": Int(nightRate),
            "nightly_merge_s": ratio(nightSeconds),
            "raw_night_operations_per_s": Int(rawNightRate),
            "nightly_merge_vs_raw_night": ratio(nightRate / rawNightRate),
            "definition_check_us_per_change": ratio(checkSeconds / Double(max(checkedChanges, 1)) * 1e6),
            "wire_bytes_per_change": ratio(http?.wireBytesPerChange ?? Double(wireBytes) / Double(max(wireChanges, 1))),
            "night_bytes_per_commune": http?.nightBytesPerCommune ?? wireBytes / nights.count,
            "in_process_wire_bytes_per_change": ratio(Double(wireBytes) / Double(max(wireChanges, 1))),
            "hub_peak_rss_mb": http?.hubPeakRSSMegabytes ?? -1,
            "node_peak_rss_mb": http?.nodePeakRSSMegabytes ?? -1,
            "http_night_wall_s": ratio(http?.nightWallSeconds ?? -1),
            "http_initial_sync_wall_s": ratio(http?.initialWallSeconds ?? -1),
            "http_pushed": http?.pushed ?? -1,
            "http_pulled": http?.pulled ?? -1,
            "node_write_p99_ms": nodeP99,
            "raw_update_p99_ms": rawP99,
            "node_write_p99_vs_raw": ratio(nodeP99 / rawP99),
            "node_passphrase_unlock_ms": ratio(unlockSeconds * 1000),
            "node_write_p99_unprotected_ms": clearP99,
            "node_write_median_ms": median(nodeWrites),
            "node_write_median_unprotected_ms": median(clearWrites),
            "bench_process_peak_rss_mb": Int(peakRSSMegabytes()),
            "conflicts_detected": conflictsDetected,
            "conflicts_expected": expectedConflicts,
            "clean_concurrent_edits": plantedClean,
            "replicas_equal": allEqual,
            "set_aside": setAside,
            "night_changes": nightChanges,
            "elapsed_s": ratio(Double((ContinuousClock.now - started).components.seconds)),
        ]
        if rawSQLite != nil {
            // The store on PostgreSQL against plain SQLite too: what moving the hub costs.
            let rawSQLiteInitialRate = Double(initialRecords) / rawSQLiteInitialSeconds
            let rawSQLiteNightRate = Double(rawNightOperations) / rawSQLiteNightSeconds
            report["raw_sqlite_initial_insert_rows_per_s"] = Int(rawSQLiteInitialRate)
            report["initial_load_vs_raw_sqlite"] = ratio(initialRate / rawSQLiteInitialRate)
            report["raw_sqlite_night_operations_per_s"] = Int(rawSQLiteNightRate)
            report["nightly_merge_vs_raw_sqlite_night"] = ratio(nightRate / rawSQLiteNightRate)
            report["raw_postgres_vs_raw_sqlite_initial"] = ratio(rawInitialRate / rawSQLiteInitialRate)
            report["raw_postgres_vs_raw_sqlite_night"] = ratio(rawNightRate / rawSQLiteNightRate)
        }
        printJSONObject(report)
        guard allEqual, conflictsDetected == expectedConflicts, setAside == 0 else {
            FileHandle.standardError.write(
                Data(
                    ("night: check failed: replicas_equal \(allEqual), conflicts \(conflictsDetected) of "
                        + "\(expectedConflicts), set aside at the hub \(setAside)\n").utf8))
            throw ExitCode(1)
        }
    }
}

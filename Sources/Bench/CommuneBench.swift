import ArgumentParser
import Domain
import Foundation
import GRDBSQLite
import SyncCore

/// `tre-bench commune`: a commune node as a worker uses it — 15,000 children and their cases —
/// timing a name search, the overdue list and a child's profile through the domain layer, each
/// beside the same question asked in raw SQL of plain, unencrypted rows in the same run.
struct CommuneBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commune",
        abstract: "A commune node's reads (search, overdue, profile) against raw SQL on the same rows.")

    @Option(help: "Children in the commune.") var children = 15_000
    @Option(help: "Percent of children with a case.") var casePercent = 2
    @Option(help: "Queries of each kind timed.") var queries = 200
    @Option(help: "The seed of the generated data.") var seed: UInt64 = 20_261_202
    @Flag(help: "Leave the node unprotected (no at-rest encryption), to see what protection costs.")
    var unprotected = false

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tre-commune-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let built = try CommuneData.build(
            in: folder.path, children: children, casePercent: casePercent, seed: seed, protected: !unprotected)
        let store = built.store
        let raw = try RawCommune(path: folder.appendingPathComponent("raw.sqlite").path, from: built)

        var generator = SplitMix64(seed: seed ^ 0x5eed)
        let names = built.names
        // Queries as typed: without diacritics, lower case, the given name cut short.
        let typed = (0..<queries).map { _ -> String in
            let syllables = foldForSearch(names[Int(generator.next() % UInt64(names.count))]).split(separator: " ")
            var parts = syllables.map(String.init)
            if let last = parts.popLast() { parts.append(String(last.prefix(max(1, last.count - 1)))) }
            return parts.joined(separator: " ")
        }

        var searchCold: [Double] = []
        var searchWarm: [Double] = []
        var searchRaw: [Double] = []
        var found = 0
        var index = NameIndex<RecordID>()
        let indexBuild = try measure {
            for child in try store.records("children") {
                if let name = child.string("full_name") { index.insert(child.id, text: name) }
            }
        }
        // The first search after a node is filled builds the sealed name cache (then each
        // search catches it up from the log): timed apart, as the one-off it is.
        let cacheBuild = try measure { _ = try store.findChildren("a") }
        for query in typed {
            searchCold.append(try measure { found += try store.findChildren(query).isEmpty ? 0 : 1 })
            searchWarm.append(measure { _ = index.search(query, limit: 20) })
            searchRaw.append(try measure { _ = try raw.search(query) })
        }

        var overdue: [Double] = []
        var overdueRaw: [Double] = []
        var due = 0
        var dueRaw = 0
        for _ in 0..<max(10, queries / 10) {
            overdue.append(try measure { due = try store.overdue().count })
            overdueRaw.append(try measure { dueRaw = try raw.overdue(now: built.now) })
        }

        var profile: [Double] = []
        var profileRaw: [Double] = []
        for round in 0..<queries {
            let child = built.childrenWithCases[round % built.childrenWithCases.count]
            profile.append(
                try measure {
                    _ = try store.record("children", id: child)
                    for record in try store.cases(ofChild: child) { _ = try store.filedUnderCase(record.id) }
                })
            profileRaw.append(try measure { _ = try raw.profile(child.description) })
        }

        // Where a cold search's time goes: reading and opening the records, making the
        // worker's view of them, folding the names.
        var states: [(RecordID, RecordState)] = []
        let decode = try measure { states = try store.replica.records(in: "children") }
        var views: [DomainRecord] = []
        let view = measure { views = states.map { DomainRecord(collection: "children", id: $0.0, state: $0.1) } }
        let fold = measure { for child in views { _ = foldForSearch(child.string("full_name") ?? "") } }

        var cacheText = ""
        let cacheRead = try measure { cacheText = try store.replica.setting("domain.search.children.v2") ?? "" }

        func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? (a / b * 100).rounded() / 100 : 0 }
        let figures: [String: Any] = [
            "children": children, "cases": built.caseCount, "protected": !unprotected,
            "search_matched": found, "search_queries": typed.count,
            "search_p99_ms": percentile99(searchCold), "search_median_ms": median(searchCold),
            "overdue_median_ms": median(overdue), "search_warm_p99_ms": percentile99(searchWarm),
            "search_raw_like_p99_ms": percentile99(searchRaw),
            "search_vs_raw": ratio(percentile99(searchCold), percentile99(searchRaw)),
            "search_warm_vs_raw": ratio(percentile99(searchWarm), percentile99(searchRaw)),
            "search_index_build_ms": (indexBuild * 1000).rounded(),
            "children_read_ms": (decode * 1000).rounded(), "children_view_ms": (view * 1000).rounded(),
            "children_fold_ms": (fold * 1000).rounded(),
            "search_cache_build_ms": (cacheBuild * 1000).rounded(),
            "search_cache_read_ms": (cacheRead * 1000 * 10).rounded() / 10,
            "search_cache_kb": cacheText.utf8.count / 1024,
            "overdue_items": due, "overdue_raw_items": dueRaw,
            "overdue_p99_ms": percentile99(overdue), "overdue_raw_p99_ms": percentile99(overdueRaw),
            "overdue_vs_raw": ratio(percentile99(overdue), percentile99(overdueRaw)),
            "profile_p99_ms": percentile99(profile), "profile_raw_p99_ms": percentile99(profileRaw),
            "profile_vs_raw": ratio(percentile99(profile), percentile99(profileRaw)),
            "node_peak_rss_mb": Int(peakRSSMegabytes()),
            "node_file_mb": Double(fileSize(built.path) / 10_000) / 100,
        ]
        printJSONObject(figures)
        guard due == dueRaw else { throw BenchError("the overdue lists differ: \(due) against raw \(dueRaw)") }
    }
}

/// The median of a list of durations, in milliseconds.
func median(_ seconds: [Double]) -> Double {
    let sorted = seconds.sorted()
    return sorted.isEmpty ? 0 : (sorted[sorted.count / 2] * 1000 * 1000).rounded() / 1000
}

/// A commune node filled through the domain layer, and what the raw reference needs of it.
struct CommuneData {
    let store: DomainStore
    let path: String
    let names: [String]
    let childrenWithCases: [RecordID]
    let caseCount: Int
    let now: Date

    static func build(in folder: String, children: Int, casePercent: Int, seed: UInt64, protected: Bool) throws
        -> CommuneData
    {
        let path = folder + "/replica.sqlite"
        let storage = try benchNodeStorage(path: path, protected: protected)
        var originGenerator = SplitMix64(seed: seed)
        let replica = try Replica.initialize(
            storage: storage, origin: OriginID(.version7(unixMillis: 1_790_000_000_000, using: &originGenerator)),
            unit: "17605", time: SystemTimeSource())
        let now = Date()
        let store = DomainStore(replica: replica, now: { now })
        var generator = ChildGenerator(seed: seed)
        let villages = generator.villages()
        var names: [String] = []
        var ids: [RecordID] = []
        // Entered in batches of a thousand (as a bootstrap from the hub would bring them).
        var made = 0
        while made < children {
            let count = min(1_000, children - made)
            try replica.transaction { editor in
                for _ in 0..<count {
                    var fields = generator.child(villages: villages)
                    fields["lifecycle"] = .string("active")
                    let id = replica.newRecordID()
                    try editor.put("children", id: id, unit: replica.unit, set: fields)
                    names.append(fields["full_name"]?.stringValue ?? "")
                    ids.append(id)
                }
            }
            made += count
        }
        // Cases through the real steps: opened from a report, assessed, planned; some late.
        var withCases: [RecordID] = []
        let sources = ["hotline_111", "police", "school", "family", "village_collaborator"]
        for (position, child) in ids.enumerated() where Int(generator.random.next() % 100) < casePercent {
            let daysAgo = Double(generator.int(0...40))
            let received = now.addingTimeInterval(-daysAgo * 86_400 - 3_600)
            let intake = try store.create(
                "intakes",
                fields: [
                    "received_at": .string(Instant.format(received)), "received_by": .string("Cán bộ xã"),
                    "source": .string(generator.pick(sources)), "abuse_types": .array([.string("violence")]),
                    "child_id": .string(child.description), "description": .string(generator.notes()),
                ])
            let caseID = try store.openCase(intake: intake, child: child, by: "Cán bộ xã")
            let step = position % 4
            try store.act(
                on: caseID, .assessInitial,
                input: CaseStepInput(at: received.addingTimeInterval(1_800), by: "Cán bộ xã", seriousDanger: step == 0))
            if step >= 2 {
                try store.act(
                    on: caseID, .assessDetailed,
                    input: CaseStepInput(at: received.addingTimeInterval(3_600), by: "Cán bộ xã"))
                try store.act(
                    on: caseID, .draftPlan,
                    input: CaseStepInput(at: received.addingTimeInterval(7_200), by: "Cán bộ xã"),
                    filing: StepRecord(
                        goals: generator.notes(),
                        actions: [PlanAction(service: "Tư vấn tâm lý", responsible: "Trạm y tế", due: "2026-12-31")]))
            }
            if step == 3 {
                try store.act(
                    on: caseID, .submitPlan,
                    input: CaseStepInput(at: received.addingTimeInterval(10_800), by: "Cán bộ xã"))
            }
            withCases.append(child)
        }
        return CommuneData(
            store: store, path: path, names: names, childrenWithCases: withCases, caseCount: withCases.count, now: now)
    }
}

/// The same rows, plain: columns for what the queries read, no encryption, indexes where a
/// careful hand would put them.
final class RawCommune {
    let db: RawSQLite
    let searchStatement: OpaquePointer
    let overdueStatement: OpaquePointer
    let childStatement: OpaquePointer
    let casesStatement: OpaquePointer
    let eventsStatement: OpaquePointer

    init(path: String, from data: CommuneData) throws {
        db = try RawSQLite(path: path)
        try db.exec(
            """
            CREATE TABLE children (id TEXT PRIMARY KEY, full_name TEXT, folded TEXT, fields TEXT);
            CREATE TABLE cases (id TEXT PRIMARY KEY, child_id TEXT, status TEXT, due TEXT, met TEXT, fields TEXT);
            CREATE TABLE filed (id TEXT PRIMARY KEY, case_id TEXT, at TEXT, fields TEXT);
            CREATE INDEX cases_child ON cases (child_id);
            CREATE INDEX cases_due ON cases (due) WHERE met IS NULL;
            CREATE INDEX filed_case ON filed (case_id, at);
            """)
        try db.exec("BEGIN")
        let insertChild = try db.prepare("INSERT INTO children VALUES (?, ?, ?, ?)")
        for child in try data.store.records("children") {
            RawSQLite.bind(insertChild, 1, child.id.description)
            RawSQLite.bind(insertChild, 2, child.string("full_name"))
            RawSQLite.bind(insertChild, 3, foldForSearch(child.string("full_name") ?? ""))
            RawSQLite.bind(insertChild, 4, FieldValue.object(child.values).json)
            try db.step(insertChild)
        }
        let insertCase = try db.prepare("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?)")
        for record in try data.store.records("cases") {
            let facts = try data.store.facts(of: record)
            // One row per owed deadline, as a plain design would index them.
            for deadline in facts.deadlines {
                RawSQLite.bind(insertCase, 1, record.id.description + deadline.kind.rawValue)
                RawSQLite.bind(insertCase, 2, record.string("child_id"))
                RawSQLite.bind(insertCase, 3, record.string("status"))
                RawSQLite.bind(insertCase, 4, Instant.format(deadline.due))
                RawSQLite.bind(insertCase, 5, deadline.met.map(Instant.format))
                RawSQLite.bind(insertCase, 6, FieldValue.object(record.values).json)
                try db.step(insertCase)
            }
        }
        let insertFiled = try db.prepare("INSERT INTO filed VALUES (?, ?, ?, ?)")
        for collection in ["case_events", "assessments", "plans", "referrals", "visits"] {
            for record in try data.store.records(collection) {
                RawSQLite.bind(insertFiled, 1, record.id.description)
                RawSQLite.bind(insertFiled, 2, record.string("case_id"))
                RawSQLite.bind(insertFiled, 3, record.string("at") ?? record.string("drafted_at"))
                RawSQLite.bind(insertFiled, 4, FieldValue.object(record.values).json)
                try db.step(insertFiled)
            }
        }
        try db.exec("COMMIT")
        searchStatement = try db.prepare("SELECT id, full_name FROM children WHERE folded LIKE ? LIMIT 20")
        overdueStatement = try db.prepare(
            """
            SELECT cases.id, children.full_name FROM cases JOIN children ON children.id = cases.child_id
            WHERE met IS NULL AND due < ? AND status NOT IN ('closed', 'not_substantiated', 'transferred') ORDER BY due
            """)
        childStatement = try db.prepare("SELECT fields FROM children WHERE id = ?")
        casesStatement = try db.prepare("SELECT DISTINCT substr(id, 1, 36), fields FROM cases WHERE child_id = ?")
        eventsStatement = try db.prepare("SELECT fields FROM filed WHERE case_id = ? ORDER BY at")
    }

    private func rows(_ statement: OpaquePointer, _ bind: (OpaquePointer) -> Void) throws -> [String] {
        sqlite3_reset(statement)
        bind(statement)
        var result: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            result.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "")
        }
        return result
    }

    /// Each syllable typed, as a prefix anywhere in the folded name, in order.
    func search(_ query: String) throws -> Int {
        let pattern = "%" + query.split(separator: " ").joined(separator: "%") + "%"
        return try rows(searchStatement) { RawSQLite.bind($0, 1, pattern) }.count
    }

    func overdue(now: Date) throws -> Int {
        try rows(overdueStatement) { RawSQLite.bind($0, 1, Instant.format(now.addingTimeInterval(48 * 3600))) }.count
    }

    func profile(_ child: String) throws -> Int {
        var count = try rows(childStatement) { RawSQLite.bind($0, 1, child) }.count
        for caseID in try rows(casesStatement, { RawSQLite.bind($0, 1, child) }) {
            count += try rows(eventsStatement) { RawSQLite.bind($0, 1, caseID) }.count
        }
        return count
    }
}

/// The commune node's storage: sealed at rest with a key, as a real node is (a key file's key:
/// the passphrase's scrypt cost is paid once per command, not per query, and is timed apart).
func benchNodeStorage(path: String, protected: Bool) throws -> any ReplicaStorage {
    try SQLiteStorage(path: path, role: .node, secret: protected ? .key(ReplicaKey.random()) : nil)
}

import Domain
import GRDBSQLite
import SyncCore

/// The report's reference: the same rows in plain SQLite tables (a column per field, the
/// circumstance group and its dates as columns, booleans as 0/1, dates and moments as the text
/// the records hold) and hand-written GROUP BY queries computing the figures of the catalogue
/// from them, written from what `Catalogue` says each indicator counts, not from the engine.
///
/// A child counts at a period's end when born by then, under 16 then and not moved away or
/// deceased; a case's moments count on their day in Vietnam (UTC+7); a case stands at its
/// status from the moment of that step (else its closing, else its receiving) and at
/// `received` before; it ended on that day if its status is an end. The workload's cases come
/// from no report (intake), so every abused child's setting is `unknown`.
final class ReportReference {
    let db: RawSQLite
    let bands: AgeBands
    private let insertChild: OpaquePointer
    private let insertCase: OpaquePointer
    private var queries: (children: OpaquePointer, cases: OpaquePointer, abused: OpaquePointer, types: OpaquePointer)

    static let childColumns = [
        "full_name", "sex", "date_of_birth", "ethnicity", "village", "address", "guardian_name", "guardian_phone",
        "school_status", "circumstance_group", "circumstance_since", "circumstance_until", "at_risk",
        "at_risk_reason", "disability", "birth_registered", "health_insurance", "notes", "lifecycle",
    ]
    static let caseColumns = [
        "child_id", "case_type", "received_at", "source", "risk_level", "status", "status_at", "assigned_worker",
        "plan", "next_review", "closure_reason", "closed_at", "transferred_to",
    ]
    static let flags: Set<String> = ["at_risk", "birth_registered", "health_insurance"]

    init(path: String, bands: AgeBands) throws {
        let db = try RawSQLite(path: path)
        self.db = db
        self.bands = bands
        try db.exec(
            """
            CREATE TABLE IF NOT EXISTS children (id TEXT PRIMARY KEY, unit TEXT NOT NULL, \
            \(Self.childColumns.map { "\($0) \(Self.flags.contains($0) ? "INTEGER" : "TEXT")" }.joined(separator: ", ")));
            CREATE TABLE IF NOT EXISTS cases (id TEXT PRIMARY KEY, unit TEXT NOT NULL, \
            \(Self.caseColumns.map { "\($0) TEXT" }.joined(separator: ", ")));
            """)
        func insert(_ table: String, _ columns: [String]) throws -> OpaquePointer {
            try db.prepare(
                "INSERT INTO \(table) (id, unit, \(columns.joined(separator: ", "))) VALUES (?, ?"
                    + String(repeating: ", ?", count: columns.count) + ")")
        }
        insertChild = try insert("children", Self.childColumns)
        insertCase = try insert("cases", Self.caseColumns)
        queries = (
            try db.prepare(Self.childrenSQL), try db.prepare(Self.casesSQL),
            try db.prepare(Self.abusedSQL(bands)), try db.prepare(Self.typesSQL)
        )
    }

    deinit {
        for statement in [insertChild, insertCase, queries.children, queries.cases, queries.abused, queries.types] {
            sqlite3_finalize(statement)
        }
    }

    // MARK: The rows

    /// Adds one commune's live records, in one transaction.
    func insert(_ commune: ReportCommune) throws {
        try db.exec("BEGIN")
        for (id, fields) in commune.children {
            var values = fields
            if case .array(let entries)? = fields["circumstances"], case .object(let entry)? = entries.first {
                values["circumstance_group"] = entry["group"]
                values["circumstance_since"] = entry["since"]
                values["circumstance_until"] = entry["until"]
            }
            try row(insertChild, id: id, unit: commune.unit, Self.childColumns, values)
        }
        for (id, fields) in commune.cases { try row(insertCase, id: id, unit: commune.unit, Self.caseColumns, fields) }
        try db.exec("COMMIT")
    }

    private func row(
        _ statement: OpaquePointer, id: RecordID, unit: String, _ columns: [String], _ values: [String: FieldValue]
    ) throws {
        RawSQLite.bind(statement, 1, id.description)
        RawSQLite.bind(statement, 2, unit)
        for (offset, column) in columns.enumerated() {
            RawReference.bind(statement, Int32(offset + 3), values[column])
        }
        try db.step(statement)
    }

    // MARK: The queries

    /// Whole years from the date in `born` to the date in `on` (both `YYYY-MM-DD` text), as its
    /// age band's code, or NULL outside 0–15.
    static func band(_ bands: AgeBands, born: String, on day: String) -> String {
        let age =
            "(CAST(substr(\(day), 1, 4) AS INTEGER) - CAST(substr(\(born), 1, 4) AS INTEGER)"
            + " - (substr(\(day), 6, 5) < substr(\(born), 6, 5)))"
        return "CASE"
            + bands.bands.map {
                " WHEN \(age) BETWEEN \($0.lowerBound) AND \($0.upperBound) THEN '\(AgeBands.code($0))'"
            }
            .joined() + " END"
    }

    /// ?1 the period's first day, ?2 its last (`YYYY-MM-DD`), ?3 the units reported on (a JSON
    /// array: a report's subtree; a child a case names is looked up wherever they live).
    static let ended = "('closed', 'not_substantiated', 'transferred')"

    /// Children at the period's end by unit, sex, age in whole years (from the date's text: the
    /// years between, one less before the birthday), circumstance group (when in one then) and
    /// whether such a child had a case handled in the period (received by its end and not ended
    /// before its start), with how many are registered, insured and at risk. Grouped by age, each
    /// expression computed once a row; ages outside 0–15 are left out when rolled into bands.
    static let childrenSQL = """
        SELECT unit, sex, age, grp, CASE WHEN grp IS NOT NULL THEN id IN (
                SELECT child_id FROM cases
                WHERE unit IN (SELECT value FROM json_each(?3)) AND date(received_at, '+7 hours') <= ?2
                  AND NOT (coalesce(status, 'received') IN \(ended)
                           AND date(coalesce(status_at, closed_at, received_at), '+7 hours') < ?1)) END,
            count(*), sum(birth_registered = 1), sum(health_insurance = 1), sum(at_risk = 1)
        FROM (SELECT id, unit, coalesce(sex, 'unknown') AS sex,
                  CAST(substr(?2, 1, 4) AS INTEGER) - CAST(substr(date_of_birth, 1, 4) AS INTEGER)
                      - (substr(?2, 6, 5) < substr(date_of_birth, 6, 5)) AS age,
                  CASE WHEN coalesce(circumstance_since, '') <= ?2 AND coalesce(circumstance_until, '9999') >= ?2
                       THEN circumstance_group END AS grp,
                  birth_registered, health_insurance, at_risk
              FROM children
              WHERE unit IN (SELECT value FROM json_each(?3)) AND date_of_birth <= ?2
                  AND coalesce(lifecycle, '') NOT IN ('moved_away', 'deceased'))
        GROUP BY 1, 2, 3, 4, 5
        """

    /// Cases by unit, type, whether received in the period, the step they stood at by its end
    /// (NULL: not received yet), whether that step was taken within the period, and the
    /// closure reason.
    static let casesSQL = """
        SELECT unit, type, received BETWEEN ?1 AND ?2,
            CASE WHEN received > ?2 THEN NULL WHEN since <= ?2 THEN status ELSE 'received' END,
            since >= ?1, reason, count(*)
        FROM (SELECT unit, coalesce(case_type, 'other') AS type, coalesce(status, 'received') AS status,
                  date(received_at, '+7 hours') AS received,
                  date(coalesce(status_at, closed_at, received_at), '+7 hours') AS since,
                  CASE WHEN status = 'closed' THEN coalesce(closure_reason, 'other') ELSE 'other' END AS reason
              FROM cases WHERE unit IN (SELECT value FROM json_each(?3)))
        WHERE received IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6
        """

    /// Children with a case received in the period, once per unit, by sex and age band on the
    /// day their first such case was received (`unknown` when the child is not on the register).
    static func abusedSQL(_ bands: AgeBands) -> String {
        """
        SELECT abused.unit, coalesce(children.sex, 'unknown'),
            coalesce(\(band(bands, born: "children.date_of_birth", on: "abused.first")), 'unknown'), count(*)
        FROM (SELECT unit, child_id, min(date(received_at, '+7 hours')) AS first FROM cases
              WHERE unit IN (SELECT value FROM json_each(?3)) AND child_id IS NOT NULL
                  AND date(received_at, '+7 hours') BETWEEN ?1 AND ?2
              GROUP BY unit, child_id) AS abused
        LEFT JOIN children ON children.id = abused.child_id
        GROUP BY 1, 2, 3
        """
    }

    /// The same children by the kinds of abuse of their cases received in the period.
    static let typesSQL = """
        SELECT unit, coalesce(case_type, 'other'), count(DISTINCT child_id) FROM cases
        WHERE unit IN (SELECT value FROM json_each(?3)) AND child_id IS NOT NULL
            AND date(received_at, '+7 hours') BETWEEN ?1 AND ?2
        GROUP BY 1, 2
        """

    /// The figures of each period for the records of `units`, by unit: every cell of every
    /// indicator above.
    func figures(periods: [ReportPeriod], units: Set<String>) throws -> [ReportPeriod: Figures] {
        var result: [ReportPeriod: Figures] = [:]
        let unitList = "[" + units.sorted().map { "\"\($0)\"" }.joined(separator: ",") + "]"
        for period in periods {
            let (start, end) = (period.start.description, period.end.description)
            func rows(_ statement: OpaquePointer, _ start: String, _ end: String, _ body: (Row) -> Void) throws {
                try self.rows(statement, start, end, unitList, body)
            }
            var figures = Figures()
            func add(_ count: Int, _ unit: String, _ code: String, _ values: [Dimension: [String]]) {
                figures.addCells(count, unit: unit, indicator: code, values)
            }
            try rows(queries.children, start, end) { row in
                guard let band = bands.code(age: row.int(2)) else { return }
                let (unit, sex, count) = (row.text(0), row.text(1), row.int(5))
                add(count, unit, "0201", [.sex: [sex], .age: [band]])
                add(row.int(6), unit, "0202", [.sex: [sex]])
                add(row.int(7), unit, "0204", [.sex: [sex]])
                add(row.int(8), unit, "0106", [.sex: [sex], .age: [band]])
                if let group = row.optionalText(3) {
                    add(count, unit, "0103", [.sex: [sex], .age: [band], .group: [group]])
                    if row.int(4) == 1 { add(count, unit, "0104", [.sex: [sex]]) }
                }
            }
            try rows(queries.cases, start, end) { row in
                let (unit, type, count) = (row.text(0), row.text(1), row.int(6))
                if row.int(2) == 1 { add(count, unit, "0110", [.type: [type]]) }
                guard let step = row.optionalText(3) else { return }
                if ReportCommune.ended.contains(step) {
                    if row.int(4) == 1 { add(count, unit, "0113", [.reason: [row.text(5)]]) }
                } else {
                    add(count, unit, "0111", [.step: [step]])
                }
            }
            try rows(queries.abused, start, end) { row in
                add(row.int(3), row.text(0), "0101", [.sex: [row.text(1)], .age: [row.text(2)], .setting: ["unknown"]])
            }
            // The kinds overlap (a child with two cases of different kinds is in both cells):
            // they add to their own cells only, never to the total.
            try rows(queries.types, start, end) { row in
                figures.add(
                    row.int(2), unit: row.text(0), indicator: "0101", key: Indicator.key([(.type, row.text(1))]))
            }
            result[period] = figures
        }
        return result
    }

    struct Row {
        let statement: OpaquePointer
        func text(_ column: Int32) -> String { optionalText(column) ?? "" }
        func optionalText(_ column: Int32) -> String? {
            sqlite3_column_text(statement, column).map { String(cString: $0) }
        }
        func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(statement, column)) }
    }

    private func rows(
        _ statement: OpaquePointer, _ start: String, _ end: String, _ units: String, _ body: (Row) -> Void
    ) throws {
        sqlite3_reset(statement)
        RawSQLite.bind(statement, 1, start)
        RawSQLite.bind(statement, 2, end)
        RawSQLite.bind(statement, 3, units)
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW: body(Row(statement: statement))
            case SQLITE_DONE:
                sqlite3_reset(statement)
                return
            default: throw BenchError("SQLite: \(String(cString: sqlite3_errmsg(db.handle)))")
            }
        }
    }
}

extension Figures {
    /// Adds `count` things to the total of `indicator` and to each cell of its breakdowns (as
    /// the catalogue lists them) that `values` names; a dimension given no value is left out.
    mutating func addCells(_ count: Int, unit: String, indicator code: String, _ values: [Dimension: [String]]) {
        guard count != 0, let indicator = Catalogue.indicator(code) else { return }
        add(count, unit: unit, indicator: code, key: "")
        for breakdown in indicator.breakdowns {
            var keys: [[(Dimension, String)]] = [[]]
            for dimension in breakdown {
                let codes = values[dimension] ?? []
                keys = keys.flatMap { key in codes.map { key + [(dimension, $0)] } }
            }
            for key in keys where !key.isEmpty { add(count, unit: unit, indicator: code, key: Indicator.key(key)) }
        }
    }
}

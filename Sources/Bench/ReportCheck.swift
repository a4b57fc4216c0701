import Domain
import Foundation

/// The report's cross-check: the engine's figures against the SQL reference's, cell by cell for
/// every unit, indicator and period, and the laid-out document (the unit's rows and its units
/// below) against the reference's sums over the same subtrees.
enum ReportCheck {
    struct Mismatch: Error, CustomStringConvertible {
        let differences: [String]
        var description: String {
            "the report and the SQL reference differ in \(differences.count) cells:\n"
                + differences.prefix(40).joined(separator: "\n")
        }
    }

    /// The differences, empty when every cell is equal; `cells` counts those compared.
    static func differences(
        engine: [ReportPeriod: Figures], document: ReportDocument, sql: [ReportPeriod: Figures], tree: UnitTree,
        unit: String, cells: inout Int
    ) -> [String] {
        var found: [String] = []
        func check(_ what: @autoclosure () -> String, _ report: Int, _ reference: Int) {
            cells += 1
            if report != reference { found.append("\(what()): report \(report), SQL \(reference)") }
        }
        let periods = [document.period, document.previous]
        for period in periods {
            let mine = engine[period]?.units ?? [:]
            let theirs = sql[period]?.units ?? [:]
            for code in Set(mine.keys).union(theirs.keys).sorted() {
                let (a, b) = (mine[code] ?? [:], theirs[code] ?? [:])
                for indicator in Set(a.keys).union(b.keys).sorted() {
                    let (x, y) = (a[indicator] ?? [:], b[indicator] ?? [:])
                    for key in Set(x.keys).union(y.keys).sorted() {
                        check("\(period) \(code) \(indicator) [\(key)]", x[key] ?? 0, y[key] ?? 0)
                    }
                }
            }
        }
        // The document: each count's rows for the unit's subtree, and its units below.
        for section in document.sections where !section.indicator.isShare {
            let code = section.indicator.code
            for (period, value) in [(document.period, \ReportDocument.Row.value), (document.previous, \.previous)] {
                let sums = sql[period]?.sum(over: tree.subtree(of: unit))[code] ?? [:]
                var shown = Set<String>()
                for row in section.rows {
                    shown.insert(row.key)
                    check(
                        "document \(period) \(code) [\(row.key)]", row[keyPath: value].count ?? -1, sums[row.key] ?? 0)
                }
                for (key, count) in sums where !shown.contains(key) {
                    check("document \(period) \(code) [\(key)] (no row)", 0, count)
                }
                for figure in section.byUnit {
                    let below = sql[period]?.sum(over: tree.subtree(of: figure.unit.code))[code]?[""] ?? 0
                    let cell = period == document.period ? figure.value : figure.previous
                    check("document \(period) \(code) unit \(figure.unit.code)", cell.count ?? -1, below)
                }
            }
        }
        return found
    }

    /// Throws, listing them, when any cell differs; returns how many were compared.
    static func compare(
        engine: [ReportPeriod: Figures], document: ReportDocument, sql: [ReportPeriod: Figures], tree: UnitTree,
        unit: String
    ) throws -> Int {
        var cells = 0
        let found = differences(engine: engine, document: document, sql: sql, tree: tree, unit: unit, cells: &cells)
        guard found.isEmpty else { throw Mismatch(differences: found) }
        return cells
    }
}

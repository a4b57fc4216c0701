import Domain
import Foundation
import SyncCore
import TestSupport
import Testing

@testable import TreBench

/// The bench's cross-check at small sizes: a province hub of generated children and cases,
/// pushed by its communes, reported on by the engine as `tre-hub report` does, against the
/// hand-written SQL reference over plain tables of the same rows — equal cell by cell, for the
/// communes, for the document's rows and for its units below. More cases than the WORKLOAD's
/// 1 %, so a small province meets every kind (ended, reopened, transferred, undated steps).
@Suite struct ReportCrossCheckTests {
    @Test(arguments: [(2, 2, 2026), (0, 3, 2026), (2, 2, 2025)])
    func theReportEqualsTheSQLReferenceCellByCell(districts: Int, communes: Int, year: Int) throws {
        let folder = try TemporaryDirectory()
        let files = ReportBench.Files(folder: folder.url)
        let shape = (districts: districts, communes: communes, children: 400)
        let built = try ReportBench.build(files, shape: shape, casePercent: 25, seed: 7)
        #expect((built["cases"] as? Int ?? 0) > 300)
        let measured = try ReportBench.measureReport(files, shape: shape, year: year, runs: 1)
        #expect(measured["figures_equal"] as? Bool == true)
        #expect((measured["cells_checked"] as? Int ?? 0) > 500)
    }

    /// The check itself: one cell off, in the figures or in the document, is found.
    @Test func aSingleCellOffIsFound() throws {
        let folder = try TemporaryDirectory()
        let files = ReportBench.Files(folder: folder.url)
        _ = try ReportBench.build(files, shape: (0, 2, 300), casePercent: 25, seed: 3)
        let hub = try Replica(storage: try SQLiteStorage(path: files.hub), time: SystemTimeSource())
        let tree = ReportBench.tree(districts: 0, communes: 2)
        let period = ReportPeriod.halfYear(year: 2026, half: 1)
        let engine = try IndicatorEngine().compute(from: hub, periods: [period, period.previous])
        let document = ReportBuilder(tree: tree, bands: .standard).build(
            unit: "44", period: period, current: engine[period] ?? Figures(),
            previous: engine[period.previous] ?? Figures(), generated: Date())
        var sql = try ReportReference(path: files.reference, bands: .standard).figures(
            periods: [period, period.previous], units: Set(tree.subtree(of: "44")))
        var cells = 0
        #expect(
            ReportCheck.differences(
                engine: engine, document: document, sql: sql, tree: tree, unit: "44", cells: &cells
            ).isEmpty)
        sql[period]?.add(1, unit: "44002", indicator: "0111", key: "step=received")
        let found = ReportCheck.differences(
            engine: engine, document: document, sql: sql, tree: tree, unit: "44", cells: &cells)
        #expect(found.count == 2)
        #expect(found.contains { $0.hasPrefix("2026-H1 44002 0111 [step=received]") })
        #expect(found.contains { $0.hasPrefix("document 2026-H1 0111 [step=received]") })
    }
}

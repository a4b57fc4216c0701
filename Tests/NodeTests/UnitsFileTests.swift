import Foundation
import TestSupport
import Testing

/// The units file that ships (`packaging/units/units-2025.csv`, installed as
/// `share/tre/units-2025.csv`) imported by the real `tre-hub`, and a district level added by an
/// office as data: extra rows that re-parent communes under a unit of its own.
@Suite struct UnitsFileTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("packaging/units/units-2025.csv").path

    /// The file's rows, read here without the hub's parser: no name in it needs quoting.
    static func rows() throws -> [(code: String, name: String, level: String, parent: String)] {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(!text.contains("\""))
        return text.split(separator: "\n").dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return (cells[0], cells[1], cells[2], cells.count > 3 ? cells[3] : "")
        }
    }

    static func list(_ database: String, _ arguments: String...) throws -> [[String: String]] {
        try #require(
            try json(try Executables.hub(["units", "list", "--db", database, "--json"] + arguments).ok())
                as? [[String: String]])
    }

    @Test func theShippedFileHoldsThe34ProvincesAnd3321CommunesAndImportsWhole() throws {
        let rows = try Self.rows()
        let provinces = Set(rows.filter { $0.level == "province" }.map(\.code))
        #expect(provinces.count == 34)
        #expect(rows.filter { $0.level == "commune" }.count == 3321)
        #expect(Set(rows.map(\.code)).count == rows.count)
        #expect(rows.allSatisfy { $0.level == "province" ? $0.parent.isEmpty : provinces.contains($0.parent) })
        #expect(rows.allSatisfy { $0.name == $0.name.precomposedStringWithCanonicalMapping })

        let directory = try TemporaryDirectory()
        let database = directory.path("province.sqlite")
        try Executables.hub("init", "--db", database, "--unit", "40", "--name", "Tỉnh Nghệ An").ok()
        let imported = try Executables.hub("units", "import", "--db", database, Self.file).ok().line
        let underNgheAn = rows.filter { $0.parent == "40" }.count
        #expect(underNgheAn == 130)
        #expect(imported == "imported 3355 units; \(underNgheAn) are under this hub (40)")

        let units = try Self.list(database)
        #expect(units.filter { $0["level"] == "province" }.count == 34)
        #expect(units.filter { $0["level"] == "commune" }.count == 3321)
        let stored = Dictionary(uniqueKeysWithValues: units.map { ($0["code"] ?? "", $0) })
        for row in rows {
            #expect(stored[row.code]?["name"] == row.name && stored[row.code]?["parent_code"] == row.parent)
        }
        #expect(try Self.list(database, "--under", "40").count == 1 + underNgheAn)
    }

    @Test func anOfficeAddsADistrictByReParentingCommunesAndEnrolsOnlyThose() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("district.sqlite")
        try Executables.hub("init", "--db", database, "--unit", "417", "--name", "Kỳ Sơn").ok()
        try Executables.hub("units", "import", "--db", database, Self.file).ok()
        // The official file has no districts: 417 is unknown, and so is any commune under it.
        #expect(try Executables.hub("units", "list", "--db", database, "--under", "417").status == 1)
        #expect(try Executables.hub("enroll", "--db", database, "--unit", "16831").status == 1)

        let extra = directory.path("ky-son.csv")
        try """
        code,name,level,parent_code
        417,Kỳ Sơn (huyện cũ),district,40
        16828,Xã Huồi Tụ,commune,417
        16831,Xã Mường Lống,commune,417

        """.write(toFile: extra, atomically: true, encoding: .utf8)
        try Executables.hub("units", "import", "--db", database, extra).ok()
        let district = try Self.list(database, "--under", "417")
        #expect(district.map { $0["code"] } == ["16828", "16831", "417"])
        #expect(district.first { $0["code"] == "16831" }?["parent_code"] == "417")
        // Still in the province's tree, through the district; nothing else moved.
        let province = try Self.list(database, "--under", "40")
        #expect(province.count == 1 + 130 + 1)
        #expect(try Self.list(database, "--level", "district").count == 1)
        #expect(try Self.list(database).count == 3355 + 1)

        let code = try Executables.hub("enroll", "--db", database, "--unit", "16831").ok().line
        #expect(!code.isEmpty)
        // A commune of Nghệ An outside the district stays outside it.
        let outside = try Executables.hub("enroll", "--db", database, "--unit", "16744")
        #expect(outside.status == 1, "\(outside.stdout)")
    }

    @Test func listingUnderAUnitTheHubDoesNotKnowSaysSo() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("hub.sqlite")
        try Executables.hub("init", "--db", database, "--unit", "40", "--name", "Tỉnh Nghệ An").ok()
        let result = try Executables.run("tre-hub", ["units", "list", "--db", database, "--under", "99999"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("99999"), "\(result.stderr)")
    }
}

import Foundation
import TestSupport
import Testing

/// The `tre-node` and `tre-hub` commands, run as built executables.
@Suite struct NodeCommandTests {
    @Test func recordRoundTripThroughTheCommandLine() throws {
        let directory = try TemporaryDirectory()
        let dir = directory.path("node")
        let created = try Executables.node("init", "--dir", dir, "--unit", "17605", "--name", "Xã Mường Lống", "--json")
        #expect(created.status == 0, "\(created.stderr)")
        let put = try Executables.node(
            "record", "put", "--dir", dir, "children", "--unit", "17605", "full_name=Lò Thị Mai", "sex=F",
            "date_of_birth=05/09/2019", "village=Bản Mòn", "at_risk=true", "at_risk_reason=Cha mẹ đi làm ăn xa",
            "school_status=\"primary\"")
        #expect(put.status == 0, "\(put.stderr)")
        let id = put.line
        #expect(id.count == 36)
        let got = try Executables.node("record", "get", "--dir", dir, "children", id, "--json")
        let record = try #require(try json(got) as? [String: Any])
        let fields = try #require(record["fields"] as? [String: Any])
        #expect(fields["full_name"] as? String == "Lò Thị Mai")
        #expect(fields["at_risk"] as? Bool == true)
        #expect(fields["date_of_birth"] as? String == "2019-09-05")
        #expect(fields["school_status"] as? String == "primary")
        #expect(record["unit"] as? String == "17605")

        #expect(try Executables.node("record", "delete", "--dir", dir, "children", id).status == 0)
        #expect(try Executables.node("record", "list", "--dir", dir, "children").line.isEmpty)
        #expect(
            try Executables.node("record", "list", "--dir", dir, "children", "--deleted").line.contains("[deleted]"))
        let refused = try Executables.node("record", "put", "--dir", dir, "children", "--id", id, "sex=M")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("hint: Restore the record first"))
        #expect(try Executables.node("record", "restore", "--dir", dir, "children", id).status == 0)
        #expect(try Executables.node("record", "list", "--dir", dir, "children").line.hasPrefix(id))
    }

    @Test func conflictTravelsInChangeFilesAndIsResolved() throws {
        let directory = try TemporaryDirectory()
        let node = directory.path("node")
        // Enrolled once while the link was up; files only from then on.
        let (district, process) = try DistrictHub.start(in: directory)
        try district.node("17605", in: node, url: process.url)
        process.stop()
        let hub = district.database
        let id = try Executables.node(["record", "put", "--dir", node, "children"] + Sample.child(village: "Bản A"))
            .line
        let nodeFile = directory.path("node.changes")
        let hubFile = directory.path("hub.changes")
        #expect(try Executables.node("changes", "export", "--dir", node, "--out", nodeFile).status == 0)
        #expect(try Executables.hub("changes", "import", "--db", hub, nodeFile).status == 0)
        #expect(
            try Executables.node("record", "put", "--dir", node, "children", "--id", id, "village=Bản B").status == 0)
        #expect(try Executables.hub("record", "put", "--db", hub, "children", "--id", id, "village=Bản C").status == 0)
        #expect(try Executables.node("changes", "export", "--dir", node, "--out", nodeFile).status == 0)
        #expect(
            try Executables.hub("changes", "export", "--db", hub, "--unit", "17605", "--out", hubFile).status == 0)
        let imported = try Executables.hub("changes", "import", "--db", hub, nodeFile, "--json")
        let report = try #require(try json(imported) as? [String: Int])
        #expect(report == ["acknowledged": 2, "applied": 1, "duplicates": 1, "parked": 0, "set_aside": 0])
        #expect(try Executables.node("changes", "import", "--dir", node, hubFile).status == 0)

        let listed = try #require(
            try json(try Executables.node("conflicts", "--dir", node, "--json")) as? [[String: Any]])
        #expect(listed.count == 1)
        #expect(listed.first?["field"] as? String == "village")
        #expect(
            (listed.first?["values"] as? [[String: Any]])?.compactMap { $0["value"] as? String }.sorted() == [
                "Bản B", "Bản C",
            ])
        let nodeHash = try Executables.node("state-hash", "--dir", node).line
        #expect(nodeHash.count == 64)
        #expect(try Executables.hub("state-hash", "--db", hub).line == nodeHash)
        #expect(try Executables.hub("state-hash", "--db", hub, "--unit", "17605").line == nodeHash)

        // Resolving is a write like any other: checked against the definition (a village is required).
        let emptied = try Executables.node("conflicts", "resolve", "--dir", node, id, "village", "--value", "")
        #expect(emptied.status == 1)
        #expect(emptied.stderr.contains("village (Thôn, bản, tổ dân phố): không được để trống"), "\(emptied.stderr)")
        #expect(try Executables.node("conflicts", "--dir", node).line != "no open conflicts")
        let resolved = try Executables.node("conflicts", "resolve", "--dir", node, id, "village", "--value", "Bản B")
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(try Executables.node("conflicts", "--dir", node).line == "no open conflicts")
        #expect(try Executables.node("changes", "export", "--dir", node, "--out", nodeFile).status == 0)
        #expect(try Executables.hub("changes", "import", "--db", hub, nodeFile).status == 0)
        #expect(try Executables.hub("conflicts", "--db", hub, "--json").line == "[]")
        #expect(
            try Executables.hub("state-hash", "--db", hub).line == Executables.node("state-hash", "--dir", node).line)
    }

    @Test func badInputIsRefusedWithAHintAndExitCodeOne() throws {
        let directory = try TemporaryDirectory()
        let missing = try Executables.node("status", "--dir", directory.path("nowhere"))
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("there is no replica here"))
        #expect(missing.stderr.contains("hint: Run `init` first."))
        #expect(!FileManager.default.fileExists(atPath: directory.path("nowhere")))

        let node = directory.path("node")
        #expect(try Executables.node("init", "--dir", node, "--unit", "17605").status == 0)
        let again = try Executables.node("init", "--dir", node, "--unit", "17605")
        #expect(again.status == 1)
        #expect(again.stderr.contains("a replica exists already"))

        // A node's new record belongs to its own commune; a hub must be told.
        let own = try Executables.node(["record", "put", "--dir", node, "children"] + Sample.child())
        #expect(own.status == 0)
        #expect(try Executables.node("record", "get", "--dir", node, "children", own.line).line.contains("unit 17605"))
        let hub = directory.path("hub.sqlite")
        #expect(try Executables.hub("init", "--db", hub, "--unit", "415", "--name", "Kỳ Sơn").status == 0)
        let usage = try Executables.hub("record", "put", "--db", hub, "children", "sex=F")
        #expect(usage.status == 1)
        #expect(usage.stderr.contains("A new record needs --unit"))
        let badField = try Executables.node(
            "record", "put", "--dir", node, "children", "--unit", "17605", "@unit=x", "--json")
        #expect(badField.status == 1)
        let error = try #require(try json(badField) as? [String: String])
        #expect(error["error"] == "edit_invalid_field")

        // Change files are sealed with the key a hub gives at enrolment: a node without one has none.
        let garbage = directory.path("garbage.changes")
        try Data("not changes at all, just words".utf8).write(to: URL(fileURLWithPath: garbage))
        let imported = try Executables.node("changes", "import", "--dir", node, garbage)
        #expect(imported.status == 1)
        #expect(imported.stderr.contains("not enrolled at a hub"))

        let text = directory.path("list.csv")
        try Data("code,name\n17605,Mường Lống\n".utf8).write(to: URL(fileURLWithPath: text))
        let foreign = try Executables.hub("status", "--db", text)
        #expect(foreign.status == 1)
        #expect(foreign.stderr.contains("not an SQLite database"))
        #expect(try String(contentsOfFile: text, encoding: .utf8) == "code,name\n17605,Mường Lống\n")
    }
}

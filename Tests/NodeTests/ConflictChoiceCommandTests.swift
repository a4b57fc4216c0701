import Foundation
import TestSupport
import Testing

/// `conflicts resolve` on the command line asks the same rule as the page (`ConflictChoice`): a
/// conflict on a field the case workflow writes is decided by keeping one of its values, never by
/// a typed one, so a case cannot be closed (or a plan approved) by resolving a conflict.
@Suite struct ConflictChoiceCommandTests {
    @Test func aCaseStepConflictTakesOneOfItsValuesOnly() throws {
        let directory = try TemporaryDirectory()
        let node = directory.path("node")
        let (district, process) = try DistrictHub.start(in: directory)
        try district.node("17605", in: node, url: process.url)
        process.stop()
        let hub = district.database
        let child = try Executables.node(["record", "put", "--dir", node, "children"] + Sample.child()).line
        let put = try Executables.node(
            "record", "put", "--dir", node, "cases", "child_id=\(child)", "received_at=2026-12-01T08:00:00Z",
            "status=received")
        #expect(put.status == 0, "\(put.stderr)")
        let caseID = put.line
        let nodeFile = directory.path("node.changes")
        let hubFile = directory.path("hub.changes")
        #expect(try Executables.node("changes", "export", "--dir", node, "--out", nodeFile).status == 0)
        #expect(try Executables.hub("changes", "import", "--db", hub, nodeFile).status == 0)
        // Both sides move the step on apart: a conflict on `status`.
        #expect(
            try Executables.node("record", "put", "--dir", node, "cases", "--id", caseID, "status=detailed_assessment")
                .status == 0)
        #expect(
            try Executables.hub("record", "put", "--db", hub, "cases", "--id", caseID, "status=initial_assessment")
                .status == 0)
        #expect(
            try Executables.hub("changes", "export", "--db", hub, "--unit", "17605", "--out", hubFile).status == 0)
        #expect(try Executables.node("changes", "import", "--dir", node, hubFile).status == 0)
        #expect(try Executables.node("conflicts", "--dir", node).line.contains("status"))

        // A typed step is refused, in Vietnamese by default and in English on request.
        let closed = try Executables.node("conflicts", "resolve", "--dir", node, caseID, "status", "--value", "closed")
        #expect(closed.status == 1)
        #expect(closed.stderr.contains("thực hiện bước đó từ trang của hồ sơ vụ việc"), "\(closed.stderr)")
        let english = try Executables.node(
            "conflicts", "resolve", "--dir", node, caseID, "status", "--value", "implementing", "--lang", "en")
        #expect(english.status == 1)
        #expect(english.stderr.contains("take the step from the case's page"), "\(english.stderr)")
        let shown = try Executables.node("record", "get", "--dir", node, "cases", caseID, "--json")
        let record = try #require(try json(shown) as? [String: Any])
        #expect((record["fields"] as? [String: Any])?["status"] as? String != "closed")
        #expect(try Executables.node("conflicts", "--dir", node).line.contains("status"))

        // One of its values is kept.
        let kept = try Executables.node(
            "conflicts", "resolve", "--dir", node, caseID, "status", "--value", "initial_assessment")
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(try Executables.node("conflicts", "--dir", node).line == "no open conflicts")
    }
}

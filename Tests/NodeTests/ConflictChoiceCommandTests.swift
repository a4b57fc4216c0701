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
        let (_, caseID) = try WorkerAttackTests.openCase(node)
        let nodeFile = directory.path("node.changes")
        let hubFile = directory.path("hub.changes")
        #expect(try Executables.node("changes", "export", "--dir", node, "--out", nodeFile).status == 0)
        #expect(try Executables.hub("changes", "import", "--db", hub, nodeFile).status == 0)
        // Both sides move the step on apart: a conflict on `status` (the node through the
        // workflow, the district by correcting the record).
        try Executables.node(
            "case", "advance", caseID, "--to", "initial_assessment", "--danger", "no", "--at", "24/04/2026 11:00",
            "--dir", node
        ).ok("advance")
        #expect(
            try Executables.hub("record", "put", "--db", hub, "cases", "--id", caseID, "status=detailed_assessment")
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

    /// On a node the generic `record put` writes no field the workflow keeps: a worker cannot close
    /// a case, approve a plan or add a step to the history by typing it; nothing is stored.
    @Test func recordPutOnANodeRefusesTheWorkflowsFields() throws {
        let directory = try TemporaryDirectory()
        let node = try WorkerDayTests.node(in: directory)
        let (child, caseID) = try WorkerAttackTests.openCase(node)
        let before = try WorkerAttackTests.hash(node)
        let attempts: [[String]] = [
            ["cases", "--id", caseID, "status=closed"],
            ["cases", "--id", caseID, "closure_approved_by=Chủ tịch", "notes=x"],
            ["cases", "child_id=\(child)", "received_at=2026-04-24T03:00:00Z", "status=closed"],
            ["plans", "case_id=\(caseID)", "status=approved"],
            ["case_events", "action=approve_plan"],
        ]
        for fields in attempts {
            let put = try Executables.node(["record", "put", "--dir", node] + fields)
            #expect(put.status == 1, "\(fields): \(put.status) \(put.stderr)")
            #expect(put.stderr.contains("quy trình xử lý vụ việc"), "\(put.stderr)")
            #expect(put.stderr.contains("Không có gì được lưu"), "\(put.stderr)")
        }
        let english = try Executables.node(
            "record", "put", "--dir", node, "cases", "--id", caseID, "status=closed", "--lang", "en")
        #expect(english.status == 1)
        #expect(english.stderr.contains("written by the case workflow"), "\(english.stderr)")
        #expect(try WorkerAttackTests.hash(node) == before)
        #expect(try WorkerDayTests.caseJSON(node, caseID)["status"] as? String == "received")
        // Fields the workflow does not keep stay open to `record put`.
        try Executables.node("record", "put", "--dir", node, "children", "--id", child, "village=Bản Mòn").ok("put")
    }
}

import Foundation
import TestSupport
import Testing

/// A case is a legal record of a child at risk: on a commune's node the workflow closes it, and
/// no generic command deletes or restores it (nor its history); a case entered by mistake is the
/// district's to remove, at the hub, and the node takes the removal as any change.
@Suite struct CaseDeletionCommandTests {
    static func waiting(_ node: String) throws -> String? {
        let shown = try Executables.node("status", "--dir", node, "--json").ok("status")
        return (try json(shown) as? [String: Any])?["changes_waiting"] as? String
    }

    static func record(_ node: String, _ collection: String, _ id: String) throws -> [String: Any] {
        let shown = try Executables.node("record", "get", "--dir", node, collection, id, "--json").ok("record get")
        return try #require(try json(shown) as? [String: Any])
    }

    @Test func aNodeRefusesToDeleteACaseAndTheDistrictRemovesOneEnteredByMistake() throws {
        let directory = try TemporaryDirectory()
        let node = directory.path("node")
        let (district, process) = try DistrictHub.start(in: directory)
        try district.node("17605", in: node, url: process.url)
        process.stop()
        let hub = district.database
        let (_, caseID) = try WorkerAttackTests.openCase(node)
        let events = try #require(
            try json(Executables.node("record", "list", "--dir", node, "case_events", "--json").ok("list"))
                as? [[String: Any]])
        let eventID = try #require(events.first?["id"] as? String)
        let before = try WorkerAttackTests.hash(node)
        let waitingBefore = try Self.waiting(node)
        #expect(waitingBefore != nil && waitingBefore != "0")

        let attempts: [[String]] = [
            ["record", "delete", "--dir", node, "cases", caseID],
            ["record", "put", "--dir", node, "cases", "--id", caseID, "@deleted=true"],
            ["record", "put", "--dir", node, "cases", "--id", caseID, "@deleted=false"],
            ["record", "restore", "--dir", node, "cases", caseID],
            ["record", "delete", "--dir", node, "case_events", eventID],
            ["record", "delete", "--dir", node, "plans", caseID],
        ]
        for arguments in attempts {
            let refused = try Executables.node(arguments)
            #expect(refused.status == 1, "\(arguments): \(refused.status) \(refused.stderr)")
            #expect(refused.stderr.contains("máy của xã không xoá hay khôi phục"), "\(refused.stderr)")
            #expect(refused.stderr.contains("tre-hub record delete cases"), "\(refused.stderr)")
            #expect(refused.stderr.contains("Không có gì được lưu"), "\(refused.stderr)")
        }
        let english = try Executables.node("record", "delete", "--dir", node, "cases", caseID, "--lang", "en")
        #expect(english.status == 1)
        #expect(english.stderr.contains("a commune's node does not delete or restore it"), "\(english.stderr)")
        #expect(english.stderr.contains("tell the district. Nothing was stored."), "\(english.stderr)")
        let coded = try Executables.node("record", "delete", "--dir", node, "cases", caseID, "--json")
        #expect(coded.status == 1, "\(coded.stderr)")
        #expect((try json(coded) as? [String: Any])?["error"] as? String == "workflow_record", "\(coded.stdout)")

        // Nothing stored, nothing added to the log the hub will receive.
        #expect(try WorkerAttackTests.hash(node) == before)
        #expect(try Self.waiting(node) == waitingBefore)
        #expect(try Self.record(node, "cases", caseID)["deleted"] as? Bool == false)
        #expect(try Self.record(node, "case_events", eventID)["deleted"] as? Bool == false)
        #expect(try WorkerDayTests.caseJSON(node, caseID)["status"] as? String == "received")
        // A record outside the workflow is still the worker's to delete.
        let child = try WorkerDayTests.add(
            node, "child", "add", "--name", "Lò Thị Mai", "--sex", "F", "--born", "03/02/2019", "--village", "Bản Pha")
        try Executables.node("record", "delete", "--dir", node, "children", child).ok("delete a child")
        #expect(try Self.record(node, "children", child)["deleted"] as? Bool == true)

        // The district's correction: the hub deletes the case entered by mistake, and the node
        // takes the deletion with the district's changes.
        let nodeFile = directory.path("node.changes")
        let hubFile = directory.path("hub.changes")
        try Executables.node("changes", "export", "--dir", node, "--out", nodeFile).ok("export")
        try Executables.hub("changes", "import", "--db", hub, nodeFile).ok("import at the hub")
        try Executables.hub("record", "delete", "--db", hub, "cases", caseID).ok("the district deletes")
        try Executables.hub("changes", "export", "--db", hub, "--unit", "17605", "--out", hubFile).ok("export")
        try Executables.node("changes", "import", "--dir", node, hubFile).ok("import at the node")
        #expect(try Self.record(node, "cases", caseID)["deleted"] as? Bool == true)
    }
}

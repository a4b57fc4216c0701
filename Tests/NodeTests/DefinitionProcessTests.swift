import Foundation
import SyncCore
import TestSupport
import Testing

/// The domain definition as a user meets it with the real binaries: the generic `record put` of
/// both programs checks every write (and stores text in NFC), and a value that reaches the hub
/// from a node that did not check it is set aside there, explained on the node, and never
/// written to the hub's log or records.
@Suite(.serialized) struct DefinitionProcessTests {
    /// A child as a worker types one: a name, sex, date of birth (dd/mm/yyyy) and village.
    static let child = ["full_name=Lò Thị Mai", "sex=F", "date_of_birth=05/09/2019", "village=Bản Mòn"]

    static func put(_ tool: String, _ location: [String], _ fields: [String], _ extra: [String] = []) throws
        -> CommandResult
    {
        try Executables.run(tool, ["record", "put"] + location + ["children"] + extra + fields)
    }

    static func replica(_ path: String) throws -> Replica {
        try openReplica(path)
    }

    @Test func recordPutRefusesWhatTheDefinitionDoesNotAllowAndStoresTextInNFC() throws {
        let directory = try TemporaryDirectory()
        let dir = directory.path("node")
        try Executables.node("init", "--dir", dir, "--unit", "17605").ok()
        let node = ["--dir", dir]

        // sex=X: refused in Vietnamese, naming the field and what is accepted; nothing stored.
        let sexX = Self.child.filter { !$0.hasPrefix("sex=") } + ["sex=X"]
        let refused = try Self.put("tre-node", node, sexX)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("sex (Giới tính): \"X\" không phải một lựa chọn hợp lệ"), "\(refused.stderr)")
        #expect(refused.stderr.contains("M (Nam), F (Nữ)"))
        #expect(refused.stderr.contains("Không có gì được lưu."))
        let english = try Self.put("tre-node", node, sexX, ["--lang", "en"])
        #expect(english.status == 1)
        #expect(english.stderr.contains("sex (Sex): \"X\" is not an accepted choice"), "\(english.stderr)")
        let json = try #require(
            try NodeTests.json(try Self.put("tre-node", node, sexX, ["--json"])) as? [String: String])
        #expect(json["error"] == "bad_value")

        // The other examples: each refused with the field named, nothing stored.
        let wrong: [(fields: [String], collection: String, says: String)] = [
            (Self.child, "chidren", "chidren: không có loại hồ sơ này"),
            (
                Self.child.filter { !$0.hasPrefix("date_of_birth=") } + ["date_of_birth=2030-13-45"], "children",
                "date_of_birth (Ngày sinh): \"2030-13-45\" không phải một ngày có thật"
            ),
            (Self.child + ["favourite_colour=xanh"], "children", "favourite_colour: không có trường này trong Trẻ em"),
            (
                Self.child + ["guardian_phone=091234567"], "children",
                "guardian_phone (Điện thoại người chăm sóc): \"091234567\" không phải số điện thoại 10 chữ số"
            ),
            (Self.child + ["at_risk=true"], "children", "at_risk_reason"),
        ]
        for (fields, collection, says) in wrong {
            let result = try Executables.run("tre-node", ["record", "put"] + node + [collection] + fields)
            #expect(result.status == 1, "\(collection) \(fields)")
            #expect(result.stderr.contains(says), "\(result.stderr)")
        }
        let replica = try Self.replica(dir + "/replica.sqlite")
        #expect(try replica.counts().records == 0)
        #expect(try replica.counts().lastSequence == 0)

        // A name typed decomposed (NFD, as some keyboards send it) is stored composed (NFC),
        // codes by their alias and dates as YYYY-MM-DD.
        let decomposed = "Nguyễn Thị Ánh Tuyết".decomposedStringWithCanonicalMapping
        let composed = "Nguyễn Thị Ánh Tuyết".precomposedStringWithCanonicalMapping
        #expect(Array(decomposed.utf8) != Array(composed.utf8))
        let fields = ["full_name=\(decomposed)", "sex=nữ", "date_of_birth=05/09/2019", "village=Bản Mòn"]
        let id = try #require(RecordID(string: try Self.put("tre-node", node, fields).ok().line))
        let stored = try #require(try replica.record("children", id: id))
        #expect(stored.value("full_name")?.stringValue.map { Array($0.utf8) } == Array(composed.utf8))
        #expect(stored.value("sex") == "F")
        #expect(stored.value("date_of_birth") == "2019-09-05")
        // An edit is checked against the record as it is: clearing a required field is refused.
        let cleared = try Executables.node(
            "record", "put", "--dir", dir, "children", "--id", id.description, "village=")
        #expect(cleared.status == 1)
        #expect(try replica.record("children", id: id)?.value("village") == "Bản Mòn")

        // The hub operator's own `record put` is checked the same way.
        let hub = directory.path("hub.sqlite")
        try Executables.hub("init", "--db", hub, "--unit", "415", "--name", "Kỳ Sơn").ok()
        let onHub = try Self.put("tre-hub", ["--db", hub], sexX, ["--unit", "17605"])
        #expect(onHub.status == 1)
        #expect(onHub.stderr.contains("sex (Giới tính)"))
        #expect(try Self.replica(hub).counts().records == 0)
        try Self.put("tre-hub", ["--db", hub], Self.child, ["--unit", "17605"]).ok()
        #expect(try Self.replica(hub).counts().records == 1)
    }

    @Test func aValueANodeDidNotCheckIsSetAsideAtTheHubAndExplainedOnTheNode() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let a = directory.path("a")
        try district.node("17605", in: a, url: hub.url)
        let valid = try Self.put("tre-node", ["--dir", a], Self.child).ok().line

        // What a node of a release that did not check writes (here straight into its file).
        let planted = "Bí Mật Riêng 4242"
        let older = try Self.replica(a + "/replica.sqlite")
        try older.put(
            "children", id: older.newRecordID(), unit: "17605",
            set: ["full_name": .string(planted), "sex": "X", "date_of_birth": "2018-02-01", "village": "Bản Mòn"])
        let synced = try #require(
            try NodeTests.json(try Executables.node("sync", "--dir", a, "--json").ok()) as? [String: Int])
        #expect(synced["pushed"] == 2)

        // The node tells its worker what happened and what to do, in both languages.
        let rows = try #require(
            try NodeTests.json(try Executables.node("rejected", "--dir", a, "--json").ok()) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["code"] as? String == "invalid_value")
        #expect(rows.first?["reason"] as? String == "children.sex: not a code of sex")
        let explanation = try #require(rows.first?["explanation"] as? [String: String])
        #expect(explanation["what"]?.contains("Huyện không nhận giá trị này") == true)
        #expect(explanation["todo_en"]?.contains("accept the old change") == true)
        #expect(try Executables.node("rejected", "--dir", a).ok().stdout.contains("Dòng \"hub\" cho biết trường nào"))

        // The hub's operator sees it, by field and problem; the valid child landed.
        let listed = try #require(
            try NodeTests.json(try Executables.hub("set-aside", "list", "--db", district.database, "--json").ok())
                as? [[String: Any]])
        #expect(listed.map { $0["code"] as? String } == ["invalid_value"])
        #expect(listed.first?["reason"] as? String == "children.sex: not a code of sex")
        let records = try Executables.hub("record", "list", "--db", district.database, "children").ok().stdout
        #expect(records.contains(valid))
        #expect(!records.contains(planted))

        // Its log names the change, never the value; neither does anything `set-aside list` prints.
        let log = (try? String(contentsOfFile: district.log, encoding: .utf8)) ?? ""
        #expect(log.contains("invalid_value"))
        #expect(!log.contains(planted))
        #expect(!(try Executables.hub("set-aside", "list", "--db", district.database).ok().stdout.contains(planted)))
        // Judged again it stays refused; discarded, it is gone.
        let retried = try Executables.hub("set-aside", "retry", "--db", district.database, "--all", "--json").ok()
        #expect((try NodeTests.json(retried) as? [String: Int])?["still_set_aside"] == 1)
        try Executables.hub("set-aside", "discard", "--db", district.database, "--all").ok()
        #expect(try Executables.hub("set-aside", "list", "--db", district.database).ok().line == "no changes set aside")
    }
}

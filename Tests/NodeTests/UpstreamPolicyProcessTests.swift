import Domain
import Foundation
import SyncCore
import TestSupport
import Testing

/// A district's upstream policy through the built `tre-node` and `tre-hub`: a province (not
/// protected at rest, its default, so its file shows whatever it holds), a district enrolled at
/// it through a recording proxy, and a commune whose worker registers a child, takes a report
/// naming its reporter and opens a case. Under `redacted` and `aggregates` no planted personal
/// value is anywhere the province keeps or says — its database and WAL, its log, its HTTP
/// answers, its records as `record list` prints them — while under `full` the same values are
/// in its file (so the scan can fail). Every server is on 127.0.0.1 and stopped by the test.
@Suite(.serialized) struct UpstreamPolicyProcessTests {
    static let units = """
        code,name,level,parent_code
        40,Tỉnh Nghệ An,province,
        415,Huyện Kỳ Sơn,district,40
        17605,Xã Mường Lống,commune,415

        """

    /// The commune's personal values, each distinctive enough to be found in a file.
    static let name = "Vàng Thị Xuân Mỷ"
    static let village = "Bản Huồi Pủ Xẻ"
    static let address = "Nhà số 7, đội 3, bản Huồi Pủ"
    static let caregiver = "Vàng A Chớ Lầu"
    static let caregiverPhone = "0912345673"
    static let notes = "Mẹ bỏ đi từ năm 2023, sống với bà nội"
    static let reporter = "Lầu Bá Thái Dơ"
    static let reporterPhone = "0987654322"
    static let told = "Hàng xóm nghe cháu kêu khóc nhiều đêm"
    static let abuser = "Vàng A Sùng Páo"
    static let reason = "Thiếu số liệu tháng sáu của Huồi Pủ"
    static let planted = [
        name, village, address, caregiver, caregiverPhone, notes, reporter, reporterPhone, told, abuser, reason,
    ]

    final class World {
        let directory: TemporaryDirectory
        let province: HubProcess
        let district: HubProcess
        let proxy: FaultProxy
        let node: String
        var provinceDB: String { province.database }
        var districtDB: String { district.database }
        var provinceLog: String { directory.path("province.log") }

        init(policy: String) throws {
            directory = try TemporaryDirectory()
            let csv = directory.path("units.csv")
            try UpstreamPolicyProcessTests.units.write(toFile: csv, atomically: true, encoding: .utf8)
            let provinceDB = directory.path("province.sqlite")
            let created = try Executables.hub("init", "--db", provinceDB, "--unit", "40", "--name", "Nghệ An", "--json")
                .ok("province init")
            #expect((try json(created) as? [String: String])?["protection"] == "none")
            try Executables.hub("units", "import", "--db", provinceDB, csv).ok()
            province = try HubProcess(database: provinceDB, logFile: directory.path("province.log"))
            proxy = try FaultProxy(targetPort: province.port, seed: 11)
            let code = try Executables.hub("enroll", "--db", provinceDB, "--unit", "415", "--kind", "hub").ok().line
            let districtDB = directory.path("district.sqlite")
            // A policy that does not exist is refused before the code is used.
            let wrong = try Executables.hub(
                "init", "--db", districtDB, "--name", "Kỳ Sơn", "--upstream", proxy.url, "--enrolment", code,
                "--policy", "names_only")
            #expect(wrong.status == 1)
            #expect(wrong.stderr.contains("\"names_only\" is not an upstream policy"), "\(wrong.stderr)")
            #expect(wrong.stderr.contains("full"), "\(wrong.stderr)")
            #expect(!FileManager.default.fileExists(atPath: districtDB))
            let made = try Executables.hub(
                "init", "--db", districtDB, "--name", "Kỳ Sơn", "--upstream", proxy.url, "--enrolment", code,
                "--policy", policy, "--json"
            ).ok("district init")
            #expect((try json(made) as? [String: String])?["upstream_policy"] == policy)
            try Executables.hub("units", "import", "--db", districtDB, csv).ok()
            district = try HubProcess(database: districtDB, logFile: directory.path("district.log"))
            node = directory.path("node")
            let nodeCode = try Executables.hub("enroll", "--db", districtDB, "--unit", "17605").ok().line
            try Executables.node("init", "--dir", node, "--hub", district.url, "--enrolment", nodeCode).ok("node init")
        }

        func stop() {
            #expect(district.stop() == 0)
            #expect(province.stop() == 0)
            proxy.stop()
        }

        /// A worker's command on the node; its output's last line (an id).
        func worker(_ arguments: String...) throws -> String {
            try Executables.run("tre-node", arguments + ["--dir", node]).ok(arguments.prefix(2).joined(separator: " "))
                .line
        }

        func hub(_ db: String, _ arguments: String...) throws -> CommandResult {
            try Executables.run("tre-hub", arguments + ["--db", db]).ok(arguments.prefix(2).joined(separator: " "))
        }

        @discardableResult
        func syncUp() throws -> [String: Int] {
            try #require(try json(try hub(districtDB, "sync-upstream", "--json")) as? [String: Int])
        }

        /// The province's records of `collection`, as `record list --json` prints them.
        func provinceRecords(_ collection: String) throws -> (text: String, records: [[String: Any]]) {
            let result = try hub(provinceDB, "record", "list", collection, "--json")
            return (result.stdout, try #require(try json(result) as? [[String: Any]]))
        }

        /// Everything the province has said: its log, its standard output, and every byte that
        /// crossed the link to the district, both ways.
        func provinceSaid() throws -> Data {
            try Data(contentsOf: URL(fileURLWithPath: provinceLog)) + Data(province.standardOutput.utf8)
                + Data(proxy.capturedBytes)
        }
    }

    /// The commune's day: a child, a report of violence naming its reporter, a case; and the
    /// district's figures and a report returned with a reason. Returns the child's id and how
    /// many changes the commune pushed to the district (its own count).
    static func work(in world: World) throws -> (child: String, communeChanges: Int) {
        let child = try world.worker(
            "child", "add", "--name", name, "--sex", "F", "--born", "05/09/2016", "--village", village, "--address",
            address, "--caregiver", "\(caregiver);mother;\(caregiverPhone)", "--notes", notes, "--school", "primary")
        let intake = try world.worker(
            "intake", "add", "--at", "24/04/2026 10:00", "--source", "111", "--abuse", "violence", "--setting",
            "family",
            "--child", child, "--consent", "--reporter-name", reporter, "--reporter-phone", reporterPhone,
            "--description", told, "--alleged-abuser", abuser, "--by", "Lò Văn Sáng")
        _ = try world.worker("case", "open", "--intake", intake, "--by", "Lò Văn Sáng", "--at", "24/04/2026 10:05")
        let pushed = try #require(
            try json(try Executables.node("sync", "--dir", world.node, "--json").ok("node sync")) as? [String: Int])
        _ = try world.hub(
            world.districtDB, "record", "put", "report_approvals", "--id", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02",
            "--unit", "415", "unit=\"415\"", "period=2026-H1", "status=returned", "reason=\(reason)")
        return (child, try #require(pushed["pushed"]))
    }

    @Test(arguments: ["redacted", "aggregates", "full"])
    func whatTheProvinceHoldsAndSaysUnderEachPolicy(policy: String) throws {
        let world = try World(policy: policy)
        defer { world.stop() }
        let (child, communeChanges) = try Self.work(in: world)
        // The child, the report, the case, its first step, the report's link to the case.
        #expect(communeChanges >= 4)
        let shown = try #require(
            try json(try world.hub(world.districtDB, "policy", "show", "--json")) as? [String: String])
        #expect(shown["policy"] == policy)
        let status = try #require(try json(try world.hub(world.districtDB, "status", "--json")) as? [String: String])
        #expect(status["upstream_policy"] == policy)
        // The commune's changes and the district's approval record: under `aggregates` only the
        // approval (the district's indicator values are computed when the push starts).
        let going = policy == "aggregates" ? 1 : communeChanges + 1
        #expect(status["waiting_upstream"] == String(going))
        #expect(try world.hub(world.districtDB, "status").stdout.contains("policy    \(policy)"))

        world.proxy.capture(true)
        let report = try world.syncUp()
        let computed = try #require(
            try json(try world.hub(world.districtDB, "record", "list", "aggregates", "--json")) as? [[String: Any]]
        ).count
        #expect((computed > 0) == (policy != "full"), "aggregates computed under \(policy)")
        #expect(report["pushed"] == going + computed)
        let link = String(decoding: world.proxy.capturedBytes, as: UTF8.self)
        #expect(link.contains("POST /v1/push") && link.contains("GET /v1/pull"), "the proxy saw the sync")

        let file = try fileBytes(world.provinceDB)
        let records = try ["children", "intakes", "cases", "aggregates", "report_approvals"].map {
            try world.provinceRecords($0)
        }
        let printed = records.map(\.text).joined()
        if policy == "full" {
            // The scans can fail: the province's file and its records show every value.
            #expect(revealed(Self.planted, in: file) == Self.planted)
            #expect(revealed(Self.planted, in: Data(printed.utf8)) == Self.planted)
        } else {
            #expect(revealed(Self.planted, in: file) == [], "the province's file or WAL")
            #expect(revealed(Self.planted, in: Data(printed.utf8)) == [], "record list at the province")
        }
        #expect(revealed(Self.planted, in: try world.provinceSaid()) == [], "the province's log or HTTP answers")
        #expect(try world.setAsideAtProvince() == 0)

        let (children, intakes, cases, aggregates, approvals) = (
            records[0].records, records[1].records, records[2].records, records[3].records, records[4].records
        )
        #expect(aggregates.count == computed && approvals.count == 1)
        if policy != "full" {
            // The commune's one child (born 2016), counted by the district for the first half.
            let children = aggregates.compactMap { $0["fields"] as? [String: Any] }.first {
                $0["indicator"] as? String == "0201" && $0["unit"] as? String == "17605"
                    && $0["period"] as? String == "2026-H1" && $0["breakdown"] == nil
            }
            #expect(children?["value"] as? Int == 1)
        }
        let approval = approvals.first?["fields"] as? [String: Any]
        #expect(approval?["status"] as? String == "returned")
        #expect((approval?["reason"] as? String == Self.reason) == (policy == "full"))
        switch policy {
        case "aggregates":
            #expect(children.isEmpty && intakes.isEmpty && cases.isEmpty)
        default:
            #expect(children.count == 1 && intakes.count == 1 && cases.count == 1)
            let fields = try #require(children.first?["fields"] as? [String: Any])
            #expect(fields["sex"] as? String == "F" && fields["school_status"] as? String == "primary")
            #expect((fields["full_name"] as? String == Self.name) == (policy == "full"))
            let report = intakes.first?["fields"] as? [String: Any]
            #expect(report?["source"] as? String == "hotline_111" && report?["child_id"] as? String == child)
            #expect((cases.first?["fields"] as? [String: Any])?["status"] as? String == "received")
        }

        let carried = try Self.theUSBPushFollowsThePolicyToo(world, policy: policy)
        if policy == "redacted" {
            try Self.aProvinceEditReachesTheCommuneWithItsPersonalValues(world, child: child)
        }
        if policy == "aggregates" {
            // Now full: what was left out goes up (the children's values with it).
            let set = try world.hub(world.districtDB, "policy", "set", "full")
            #expect(set.stdout.contains("(was aggregates)"), "\(set.stdout)")
            let waiting = try #require(
                try json(try world.hub(world.districtDB, "status", "--json")) as? [String: String])
            // The commune's changes, the carried ones, the approval, and the aggregates (made,
            // updated, and now deleted: records count again).
            #expect(
                Int(waiting["waiting_upstream"] ?? "") ?? 0 > communeChanges + carried + 1 + computed
                    && waiting["upstream_policy"] == "full")
            try world.syncUp()
            let now = try world.provinceRecords("children")
            #expect(now.records.count == 2)
            #expect(now.text.contains(Self.name) && now.text.contains(Self.carriedName))
        }
    }

    /// The province edits a field of the redacted child that is not personal: the edit reaches
    /// the district and the commune, and merges with the personal values they hold.
    static func aProvinceEditReachesTheCommuneWithItsPersonalValues(_ world: World, child: String) throws {
        _ = try world.hub(world.provinceDB, "record", "put", "children", "--id", child, "school_status=out_of_school")
        try world.syncUp()
        try Executables.node("sync", "--dir", world.node).ok("node sync")
        let atNode = try #require(
            try json(try Executables.node("record", "get", "--dir", world.node, "children", child, "--json").ok())
                as? [String: Any])
        let atDistrict = try #require(
            try json(try world.hub(world.districtDB, "record", "get", "children", child, "--json")) as? [String: Any])
        for record in [atNode, atDistrict] {
            let fields = record["fields"] as? [String: Any]
            #expect(fields?["school_status"] as? String == "out_of_school")
            #expect(fields?["full_name"] as? String == name)
            #expect(fields?["address"] as? String == address)
            #expect(fields?["notes"] as? String == notes)
        }
        #expect(
            try Executables.node("state-hash", "--dir", world.node).ok().line
                == world.hub(world.districtDB, "state-hash", "--unit", "17605").line)
        let conflicts = try #require(
            try json(try Executables.node("conflicts", "--dir", world.node, "--json").ok()) as? [Any])
        #expect(conflicts.isEmpty)
    }
}

extension UpstreamPolicyProcessTests {
    static let carriedName = "Lò Thị Bích Phượng Xa"
    static let carriedVillage = "Bản Xa Mạc Lìn"

    /// `changes export --upstream`, the push carried on a USB stick, is what a sync would push:
    /// its sets, opened with the link's key, hold the same collections and values; and a child
    /// registered after the night's sync reaches the province that way, through its definition
    /// check. Returns how many changes the commune made for it.
    static func theUSBPushFollowsThePolicyToo(_ world: World, policy: String) throws -> Int {
        let out = world.directory.path("upstream.trechg")
        _ = try world.hub(world.districtDB, "changes", "export", "--upstream", "--after", "0", "--out", out)
        let district = try Replica(
            storage: try SQLiteStorage(path: world.districtDB, role: .hub), time: SystemTimeSource())
        let key = try #require(try district.setting("upstream.key").flatMap(PeerKey.init(hex:)))
        let file = try ChangeFile(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: out))))
        var changes: [Change] = []
        for set in file.sets {
            changes += try ChangeSet.decode(
                set, expecting: .push, from: district.origin, dictionaries: [WireVocabulary.dictionary]
            ) { _ in key }.changes
        }
        let collections = Set(changes.map(\.collection))
        #expect(
            collections
                == (policy == "aggregates"
                    ? ["aggregates", "report_approvals"]
                    : policy == "full"
                        ? ["children", "intakes", "cases", "case_events", "report_approvals"]
                        : ["children", "intakes", "cases", "case_events", "aggregates", "report_approvals"]))
        let values = changes.map(\.set.dictionary.description).joined()
        #expect(
            Self.planted.filter { values.contains($0) } == (policy == "full" ? Self.planted : []),
            "the export under \(policy)")
        if policy != "full" {
            for change in changes where change.collection == "children" {
                #expect(change.set["full_name"].map { $0 == .null } ?? true)
            }
        }

        // A new child, carried: only its changes are in the file (after the push cursor), and
        // the province takes a lower hub's nulls on this path too.
        let child = try world.worker(
            "child", "add", "--name", carriedName, "--sex", "M", "--born", "01/02/2018", "--village", carriedVillage)
        let pushed = try #require(
            try json(try Executables.node("sync", "--dir", world.node, "--json").ok("node sync")) as? [String: Int])
        let later = world.directory.path("later.trechg")
        _ = try world.hub(world.districtDB, "changes", "export", "--upstream", "--out", later)
        _ = try world.hub(world.provinceDB, "changes", "import", later)
        #expect(try world.setAsideAtProvince() == 0)
        let held = try world.provinceRecords("children")
        let arrived = held.records.first { $0["id"] as? String == child }?["fields"] as? [String: Any]
        let carriedValues = [carriedName, carriedVillage]
        switch policy {
        case "full":
            #expect(arrived?["full_name"] as? String == carriedName)
            #expect(revealed(carriedValues, in: try fileBytes(world.provinceDB)) == carriedValues)
        case "redacted":
            #expect(arrived?["sex"] as? String == "M" && arrived?["full_name"] is NSNull)
            #expect(revealed(carriedValues, in: try fileBytes(world.provinceDB)) == [])
        default:
            #expect(arrived == nil)
            #expect(revealed(carriedValues, in: try fileBytes(world.provinceDB)) == [])
        }
        return try #require(pushed["pushed"])
    }
}

extension UpstreamPolicyProcessTests.World {
    /// How many changes wait set aside at the province (none should: every relayed change is valid).
    func setAsideAtProvince() throws -> Int {
        let listed = try hub(provinceDB, "set-aside", "list", "--json")
        return (try json(listed) as? [Any])?.count ?? -1
    }
}

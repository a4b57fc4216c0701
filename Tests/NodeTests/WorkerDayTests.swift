import Foundation
import TestSupport
import Testing

/// A commune worker's commands, through the built `tre-node`: a case from a 111 call to its
/// closure with every deadline checked against dates worked out by hand from the law and the
/// 2026 calendar (not by the code under test), search as people type, refusals a worker
/// understands, and a child moving between communes.
@Suite struct WorkerDayTests {
    /// A standalone node of commune 17605 in a fresh folder.
    static func node(in directory: TemporaryDirectory, unit: String = "17605") throws -> String {
        let dir = directory.path("node-\(unit)")
        try Executables.node("init", "--dir", dir, "--unit", unit, "--name", "Xã Mường Lống").ok("init")
        return dir
    }

    static func add(_ dir: String, _ arguments: String...) throws -> String {
        try Executables.run("tre-node", arguments + ["--dir", dir]).ok(arguments.joined(separator: " ")).line
    }

    static func caseJSON(_ dir: String, _ id: String) throws -> [String: Any] {
        try #require(try json(Executables.node("case", "show", id, "--dir", dir, "--json").ok()) as? [String: Any])
    }

    /// The deadline `kind` of a case as `{due, met}` (RFC 3339, UTC).
    static func deadline(_ record: [String: Any], _ kind: String) -> [String: String] {
        (record["deadline_\(kind)"] as? [String: String]) ?? [:]
    }

    @Test func caseFromA111CallToClosureWithEveryDeadline() throws {
        let directory = try TemporaryDirectory()
        let dir = try Self.node(in: directory)
        let child = try Self.add(
            dir, "child", "add", "--name", "Đặng Văn Đức", "--sex", "M", "--born", "05/09/2016", "--village", "Bản Pha",
            "--caregiver", "Đặng Thị Hoa;mother;0912345678")
        // Friday 24 April 2026, 10:00 in Vietnam: a call to the 111 hotline.
        let intake = try Self.add(
            dir, "intake", "add", "--at", "24/04/2026 10:00", "--source", "111", "--abuse", "violence", "--setting",
            "family", "--child", child, "--description", "Hàng xóm báo cháu bị cha đánh nhiều lần", "--by",
            "Lò Văn Sáng")
        let caseID = try Self.add(
            dir, "case", "open", "--intake", intake, "--by", "Lò Văn Sáng", "--at", "24/04/2026 10:05")

        // Steps that skip ahead or belong to the chairman's decision are refused, nothing stored.
        let before = try Executables.node("state-hash", "--dir", dir).ok().line
        let skipped = try Executables.node(
            "case", "advance", caseID, "--to", "reassessment", "--dir", dir, "--residual-harm", "low",
            "--abuser-access", "low", "--care-environment", "low")
        #expect(skipped.status == 1)
        #expect(skipped.stderr.contains("Tiếp nhận"), "\(skipped.stderr)")
        let early = try Executables.node("case", "approve", caseID, "--dir", dir)
        #expect(early.status == 1, "\(early.stderr)")
        let unfinished = try Executables.node("case", "close", caseID, "--reason", "safe", "--dir", dir)
        #expect(unfinished.status == 1, "\(unfinished.stderr)")
        #expect(try Executables.node("state-hash", "--dir", dir).ok().line == before)

        // Initial assessment at 15:00 finds serious danger: emergency action within 12 hours of
        // receipt (22:00), and the plan within 5 working days of receipt — Mon 27/4 (Giỗ Tổ
        // Hùng Vương moved from Sunday), Thu 30/4 and Fri 1/5 are days off: Tue 28, Wed 29,
        // Mon 4, Tue 5, Wed 6 May → end of Wednesday 6 May (16:59:59 UTC).
        try Executables.node(
            "case", "advance", caseID, "--to", "initial_assessment", "--danger", "yes", "--risk", "high", "--at",
            "24/04/2026 15:00", "--dir", dir, "--by", "Lò Văn Sáng"
        ).ok()
        var record = try Self.caseJSON(dir, caseID)
        #expect(record["status"] as? String == "initial_assessment")
        #expect(Self.deadline(record, "emergency") == ["due": "2026-04-24T15:00:00Z"])
        #expect(Self.deadline(record, "plan") == ["due": "2026-05-06T16:59:59Z"])

        // Emergency placement at 20:00: action in time; at most 15 days, the first counting:
        // through Friday 8 May.
        try Executables.node(
            "case", "advance", caseID, "--to", "emergency", "--placement-start", "24/04/2026 20:00", "--at",
            "24/04/2026 20:00", "--dir", dir
        ).ok()
        record = try Self.caseJSON(dir, caseID)
        #expect(Self.deadline(record, "emergency") == ["due": "2026-04-24T15:00:00Z", "met": "2026-04-24T13:00:00Z"])
        #expect(Self.deadline(record, "placement") == ["due": "2026-05-08T16:59:59Z"])

        try Executables.node(
            "case", "advance", caseID, "--to", "detailed_assessment", "--findings", "Cha nghiện rượu", "--at",
            "28/04/2026 09:00", "--dir", dir
        ).ok()
        // The plan, submitted Wednesday 29 April 10:00: the chairman has 2 working days — 30/4
        // and 1/5 are days off, then the weekend: Mon 4 and Tue 5 May.
        try Executables.node(
            "case", "plan", caseID, "--goals", "Bảo đảm an toàn cho trẻ", "--action",
            "Tư vấn tâm lý;Trạm y tế xã;15/05/2026", "--submit", "--at", "29/04/2026 10:00", "--by", "Lò Văn Sáng",
            "--dir", dir
        ).ok()
        // Who submitted cannot decide (however the name is typed).
        let own = try Executables.node("case", "approve", caseID, "--by", "lo van sang", "--dir", dir)
        #expect(own.status == 1, "\(own.stderr)")
        record = try Self.caseJSON(dir, caseID)
        #expect(record["status"] as? String == "plan_submitted")
        #expect(Self.deadline(record, "plan") == ["due": "2026-05-06T16:59:59Z", "met": "2026-04-29T03:00:00Z"])
        #expect(Self.deadline(record, "decision") == ["due": "2026-05-05T16:59:59Z"])

        // The chairman returns it (Monday 4 May 09:00): in time; back to drafting.
        try Executables.node(
            "case", "return", caseID, "--reason", "Thiếu hoạt động hỗ trợ học tập", "--at", "04/05/2026 09:00",
            "--by", "Giàng A Pao", "--dir", dir
        ).ok()
        record = try Self.caseJSON(dir, caseID)
        #expect(record["status"] as? String == "plan_drafting")
        #expect(record["return_reason"] as? String == "Thiếu hoạt động hỗ trợ học tập")
        #expect(Self.deadline(record, "decision") == ["due": "2026-05-05T16:59:59Z", "met": "2026-05-04T02:00:00Z"])

        // Resubmitted Tuesday 5 May 10:00: a new decision due by the end of Thursday 7 May.
        try Executables.node(
            "case", "plan", caseID, "--action", "Hỗ trợ sách vở;Trường TH Bản Pha;30/05/2026", "--submit", "--at",
            "05/05/2026 10:00", "--dir", dir
        ).ok()
        record = try Self.caseJSON(dir, caseID)
        #expect(Self.deadline(record, "decision") == ["due": "2026-05-07T16:59:59Z"])
        try Executables.node("case", "approve", caseID, "--at", "06/05/2026 14:00", "--by", "Giàng A Pao", "--dir", dir)
            .ok()
        record = try Self.caseJSON(dir, caseID)
        #expect(record["status"] as? String == "implementing")
        #expect(Self.deadline(record, "decision") == ["due": "2026-05-07T16:59:59Z", "met": "2026-05-06T07:00:00Z"])

        // The placement ends on 7 May, in time.
        try Executables.node("case", "advance", caseID, "--end-placement", "--at", "07/05/2026 08:00", "--dir", dir)
            .ok()
        record = try Self.caseJSON(dir, caseID)
        #expect(Self.deadline(record, "placement") == ["due": "2026-05-08T16:59:59Z", "met": "2026-05-07T01:00:00Z"])
        try Executables.node(
            "case", "visit", caseID, "--child-seen", "--notes", "Cháu đi học đều", "--at", "20/05/2026 09:00", "--dir",
            dir
        ).ok()

        // Reassessment (Mẫu 06) with a risk still high: closure is refused; a new plan cycle.
        try Executables.node(
            "case", "advance", caseID, "--to", "reassessment", "--residual-harm", "high", "--abuser-access", "medium",
            "--care-environment", "low", "--at", "15/06/2026 09:00", "--dir", dir
        ).ok()
        let risky = try Executables.node("case", "close", caseID, "--reason", "safe", "--dir", dir)
        #expect(risky.status == 1)
        #expect(risky.stderr.contains("kế hoạch"), "\(risky.stderr)")
        try Executables.node(
            "case", "plan", caseID, "--goals", "Tiếp tục hỗ trợ tâm lý", "--action", "Tham vấn;Cán bộ xã;30/06/2026",
            "--submit", "--at", "16/06/2026 09:00", "--dir", dir
        ).ok()
        record = try Self.caseJSON(dir, caseID)
        #expect(record["plan_cycle"] as? Int == 2)
        // Submitted Tuesday 16 June: decision by the end of Thursday 18 June.
        #expect(Self.deadline(record, "decision") == ["due": "2026-06-18T16:59:59Z"])
        try Executables.node("case", "approve", caseID, "--at", "17/06/2026 10:00", "--by", "Giàng A Pao", "--dir", dir)
            .ok()
        try Executables.node(
            "case", "advance", caseID, "--to", "reassessment", "--residual-harm", "low", "--abuser-access", "low",
            "--care-environment", "low", "--at", "20/07/2026 09:00", "--dir", dir
        ).ok()
        // Closure proposed Monday 20 July 10:00, decided Tuesday 21 July (due end of Wed 22).
        try Executables.node("case", "close", caseID, "--reason", "safe", "--at", "20/07/2026 10:00", "--dir", dir).ok()
        record = try Self.caseJSON(dir, caseID)
        #expect(record["status"] as? String == "closure_submitted")
        #expect(Self.deadline(record, "decision") == ["due": "2026-07-22T16:59:59Z"])
        try Executables.node("case", "approve", caseID, "--at", "21/07/2026 09:00", "--by", "Giàng A Pao", "--dir", dir)
            .ok()
        record = try Self.caseJSON(dir, caseID)
        #expect(record["status"] as? String == "closed")
        #expect(record["closure_reason"] as? String == "safe")
        #expect(record["closure_approved_by"] as? String == "Giàng A Pao")
        #expect(record["closed_at"] as? String == "2026-07-21T02:00:00Z")

        // The history: every step, in order, with who took it.
        let events = try #require(record["case_events"] as? [[String: Any]])
        #expect(
            events.compactMap { $0["action"] as? String } == [
                "open", "assess_initial", "emergency", "assess_detailed", "draft_plan", "submit_plan", "return_plan",
                "draft_plan", "submit_plan", "approve_plan", "end_placement", "reassess", "draft_plan", "submit_plan",
                "approve_plan", "reassess", "propose_closure", "approve_closure",
            ])
        #expect(events.first { $0["action"] as? String == "return_plan" }?["by"] as? String == "Giàng A Pao")
        let assessments = try #require(record["assessments"] as? [[String: Any]])
        #expect(
            assessments.compactMap { $0["kind"] as? String } == ["initial", "detailed", "reassessment", "reassessment"])
        let plans = try #require(record["plans"] as? [[String: Any]])
        #expect(plans.compactMap { $0["cycle"] as? Int }.sorted() == [1, 2])
        #expect(plans.allSatisfy { $0["status"] as? String == "approved" })

        // A closed case owes nothing: the overdue list is empty.
        let overdue = try #require(try json(Executables.node("overdue", "--dir", dir, "--json").ok()) as? [Any])
        #expect(overdue.isEmpty)
        let shown = try Executables.node("case", "show", caseID, "--dir", dir).ok().stdout
        #expect(shown.contains("✓ Tiếp nhận"))
        #expect(shown.contains("● Đã đóng"))
    }

    @Test func overdueListsPassedAndCloseDeadlinesMostUrgentFirst() throws {
        let directory = try TemporaryDirectory()
        let dir = try Self.node(in: directory)
        let formatter = DateFormatter()
        formatter.dateFormat = "dd/MM/yyyy HH:mm"
        formatter.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        let now = Date()
        func open(_ name: String, receivedHoursAgo hours: Double, danger: Bool) throws -> String {
            let child = try Self.add(
                dir, "child", "add", "--name", name, "--sex", "F", "--born", "01/01/2018", "--village", "Bản Pha")
            let received = formatter.string(from: now.addingTimeInterval(-hours * 3600))
            let intake = try Self.add(
                dir, "intake", "add", "--at", received, "--source", "school", "--abuse", "neglect", "--child", child)
            let id = try Self.add(dir, "case", "open", "--intake", intake)
            try Executables.node(
                "case", "advance", id, "--to", "initial_assessment", "--danger", danger ? "yes" : "no", "--at",
                received,
                "--dir", dir
            ).ok()
            return id
        }
        // Received 30 days ago, no plan: 5 working days are long gone.
        let late = try open("Vừ Thị Mỷ", receivedHoursAgo: 30 * 24, danger: false)
        // Received 2 hours ago with serious danger: emergency action due in 10 hours.
        let urgent = try open("Sùng Thị Dua", receivedHoursAgo: 2, danger: true)
        let items = try #require(
            try json(Executables.node("overdue", "--dir", dir, "--json").ok()) as? [[String: String]])
        #expect(items.map { $0["case"] ?? "" } == [late, urgent])
        #expect(items.map { $0["kind"] ?? "" } == ["plan", "emergency"])
        #expect(items.map { $0["overdue"] ?? "" } == ["true", "false"])
        let text = try Executables.node("overdue", "--dir", dir).ok().stdout
        #expect(text.contains("QUÁ HẠN"))
        #expect(text.contains("Sùng Thị Dua"))
    }

    @Test func searchFindsVietnameseNamesAsPeopleTypeThem() throws {
        let directory = try TemporaryDirectory()
        let dir = try Self.node(in: directory)
        var ids: [String: String] = [:]
        for name in ["Đặng Văn Đức", "Nguyễn Thị Lan", "Nguyễn Thị Lành", "Dương Văn Dũng", "Lò Thị Mai"] {
            ids[name] = try Self.add(
                dir, "child", "add", "--name", name, "--sex", name.contains("Thị") ? "F" : "M", "--born", "02/03/2015",
                "--village", "Bản Pha")
        }
        func first(_ query: String...) throws -> String? {
            let found = try #require(
                try json(Executables.run("tre-node", ["child", "find"] + query + ["--dir", dir, "--json"]).ok())
                    as? [[String: Any]])
            return found.first?["full_name"] as? String
        }
        #expect(try first("nguyen", "thi", "lan") == "Nguyễn Thị Lan")
        #expect(try first("DANG VAN DUC") == "Đặng Văn Đức")
        #expect(try first("dang van đuc") == "Đặng Văn Đức")
        #expect(try first("ng th lanh") == "Nguyễn Thị Lành")
        #expect(try first("duong dung") == "Dương Văn Dũng")
        // Decomposed input (as some keyboards send it) is the same name.
        #expect(try first("Nguye\u{0302}\u{0303}n Thi\u{0323} Lan") == "Nguyễn Thị Lan")
        let none = try #require(
            try json(Executables.node("child", "find", "tran", "--dir", dir, "--json").ok()) as? [Any])
        #expect(none.isEmpty)
        // A name typed decomposed is stored composed (NFC).
        let decomposed = try Self.add(
            dir, "child", "add", "--name", "Ho\u{0302}\u{0300} Thi\u{0323} Hoa", "--sex", "F", "--born", "02/03/2015",
            "--village", "Bản Pha")
        let shown = try #require(
            try json(Executables.node("child", "show", decomposed, "--dir", dir, "--json").ok()) as? [String: Any])
        #expect((shown["full_name"] as? String).map { Array($0.unicodeScalars) } == Array("Hồ Thị Hoa".unicodeScalars))
    }

    @Test func refusalsNameTheFieldSayWhatIsAcceptedAndStoreNothing() throws {
        let directory = try TemporaryDirectory()
        let dir = try Self.node(in: directory)
        let child = try Self.add(
            dir, "child", "add", "--name", "Lò Thị Mai", "--sex", "F", "--born", "01/01/2017", "--village", "Bản Pha")
        let before = try Executables.node("state-hash", "--dir", dir).ok().line
        let cases: [([String], String)] = [
            (
                ["child", "add", "--name", "Lò Văn A", "--sex", "M", "--born", "01/12/2009", "--village", "Bản Pha"],
                "Ngày sinh"
            ),
            (
                ["child", "add", "--name", "Lò Văn A", "--sex", "X", "--born", "01/12/2019", "--village", "Bản Pha"],
                "Giới tính"
            ),
            (
                ["child", "add", "--name", "Lò Văn A", "--sex", "M", "--born", "45/13/2019", "--village", "Bản Pha"],
                "Ngày sinh"
            ),
            (["child", "edit", child, "--group", "z:01/01/2024"], "Hoàn cảnh đặc biệt"),
            (["child", "edit", child, "--caregiver", "Lò Văn Páo;father;091234567"], "Điện thoại"),
            (["child", "edit", child, "--set", "favourite_colour=blue"], "favourite_colour"),
            (["record", "put", "chidren", "full_name=X"], "chidren"),
            (
                [
                    "intake", "add", "--source", "111", "--abuse", "violence", "--child", child, "--reporter-name",
                    "Bà Lan",
                ], "người báo tin"
            ),
        ]
        for (arguments, field) in cases {
            let result = try Executables.run("tre-node", arguments + ["--dir", dir])
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(field), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("hint:"), "\(arguments): \(result.stderr)")
        }
        #expect(try Executables.node("state-hash", "--dir", dir).ok().line == before)
        let english = try Executables.node(
            "child", "add", "--name", "Lò Văn A", "--sex", "M", "--born", "01/12/2009", "--village", "Bản Pha",
            "--lang", "en", "--dir", dir)
        #expect(english.status == 1)
        #expect(english.stderr.contains("Date of birth"), "\(english.stderr)")
        #expect(english.stderr.contains("16"), "\(english.stderr)")
    }

    @Test func aChildWhoMovesTakesTheOpenCaseToTheNewCommune() throws {
        let directory = try TemporaryDirectory()
        let (district, process) = try DistrictHub.start(in: directory)
        defer { _ = process.stop() }
        let old = directory.path("muong-long")
        let new = directory.path("huoi-tu")
        try district.node("17605", in: old, url: process.url)
        try district.node("17608", in: new, url: process.url)
        let child = try Self.add(
            old, "child", "add", "--name", "Mùa A Chứ", "--sex", "M", "--born", "03/04/2014", "--village", "Bản Pha")
        let intake = try Self.add(
            old, "intake", "add", "--source", "police", "--abuse", "exploitation", "--child", child)
        let caseID = try Self.add(old, "case", "open", "--intake", intake)
        try Executables.node("case", "advance", caseID, "--to", "initial_assessment", "--danger", "yes", "--dir", old)
            .ok()
        #expect(try Executables.node("overdue", "--dir", old, "--json").ok().stdout.contains(caseID))
        try Executables.node("sync", "--dir", old).ok("first sync")

        let moved = try #require(
            try json(Executables.node("child", "move", child, "--to", "17608", "--dir", old, "--json").ok())
                as? [String: Int])
        // The child, the case, its history (2 events), the initial assessment and the report.
        #expect(moved["moved"] == 6)
        try Executables.node("sync", "--dir", old).ok("sync after the move")
        try Executables.node("sync", "--dir", new).ok("the new commune's sync")

        // The new commune has the child and the open case, with its deadlines.
        let found = try #require(
            try json(Executables.node("child", "find", "mua a chu", "--dir", new, "--json").ok()) as? [[String: Any]])
        #expect(found.first?["id"] as? String == child)
        #expect(try Executables.node("case", "list", "--dir", new).ok().stdout.contains(caseID))
        #expect(try Executables.node("overdue", "--dir", new, "--json").ok().stdout.contains(caseID))
        try Executables.node("case", "advance", caseID, "--to", "emergency", "--dir", new).ok("the new commune acts")
        try Executables.node("sync", "--dir", new).ok()

        // The old commune keeps a read-only trace and no longer gets the deadlines.
        #expect(try Executables.node("overdue", "--dir", old, "--json").ok().stdout.contains(caseID) == false)
        #expect(try Executables.node("child", "show", child, "--dir", old).ok().stdout.contains("17608"))
        let edit = try Executables.node("child", "edit", child, "--notes", "x", "--dir", old)
        #expect(edit.status == 1)
        #expect(edit.stderr.contains("17608"), "\(edit.stderr)")
        #expect(try Executables.node("child", "list", "--dir", old).ok().stdout.contains(child) == false)
        #expect(try Executables.node("child", "list", "--include-moved", "--dir", old).ok().stdout.contains(child))
    }
}

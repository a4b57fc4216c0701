import Foundation
import TestSupport
import Testing

/// An outside review of the worker's commands, each attack mounted through the built
/// `tre-node`: every one was first seen to trap the command (exit 132) or to store what the law
/// forbids, and each must now be refused with nothing stored, or be shown without a trap.
@Suite struct WorkerAttackTests {
    static func hash(_ dir: String) throws -> String {
        try Executables.node("state-hash", "--dir", dir).ok("state-hash").line
    }

    /// A registered child, a 111 call about them received Friday 24 April 2026 at 10:00, and its
    /// case opened at 10:05.
    static func openCase(_ dir: String) throws -> (child: String, caseID: String) {
        let child = try WorkerDayTests.add(
            dir, "child", "add", "--name", "Đặng Văn Đức", "--sex", "M", "--born", "05/09/2016", "--village",
            "Bản Pha")
        let intake = try WorkerDayTests.add(
            dir, "intake", "add", "--at", "24/04/2026 10:00", "--source", "111", "--abuse", "violence", "--child",
            child, "--by", "Lò Văn Sáng")
        let caseID = try WorkerDayTests.add(
            dir, "case", "open", "--intake", intake, "--by", "Lò Văn Sáng", "--at", "24/04/2026 10:05")
        return (child, caseID)
    }

    /// `--group ""` and `--group ":"` split into no part at all, and `parts[0]` trapped.
    @Test func anEmptySpecialCircumstanceGroupIsRefusedNotATrap() throws {
        let directory = try TemporaryDirectory()
        let dir = try WorkerDayTests.node(in: directory)
        let child = try WorkerDayTests.add(
            dir, "child", "add", "--name", "Lò Thị Mai", "--sex", "F", "--born", "01/02/2018", "--village", "Bản Pha")
        let before = try Self.hash(dir)
        for group in ["", ":", "::"] {
            let added = try Executables.node(
                "child", "add", "--dir", dir, "--name", "Lò Văn A", "--sex", "M", "--born", "01/01/2020", "--village",
                "Bản Pha", "--group", group)
            #expect(added.status == 1, "--group \"\(group)\": \(added.status) \(added.stderr)")
            #expect(added.stderr.contains("Hoàn cảnh đặc biệt"), "\(added.stderr)")
            let edited = try Executables.node("child", "edit", child, "--dir", dir, "--group", group)
            #expect(edited.status == 1, "edit --group \"\(group)\": \(edited.status) \(edited.stderr)")
        }
        #expect(try Self.hash(dir) == before)
    }

    /// The command refused a referral without consent only when typed "no" or "không"; the
    /// stored yes/no field also reads "false", "0", "NO", "khong" as a no, and those referrals
    /// were stored without consent (Nghị định 56/2017: a referral needs it).
    @Test func aReferralWithoutConsentIsRefusedHoweverTheNoIsTyped() throws {
        let directory = try TemporaryDirectory()
        let dir = try WorkerDayTests.node(in: directory)
        let (_, caseID) = try Self.openCase(dir)
        let before = try Self.hash(dir)
        for no in ["false", "NO", "0", "khong", "Không", " no "] {
            let referred = try Executables.node(
                "case", "refer", caseID, "--dir", dir, "--target", "police", "--organisation", "Công an xã",
                "--consent", no)
            #expect(referred.status == 1, "--consent \"\(no)\": \(referred.stdout) \(referred.stderr)")
        }
        #expect(try Self.hash(dir) == before)
        try Executables.node(
            "case", "refer", caseID, "--dir", dir, "--target", "police", "--organisation", "Công an xã", "--consent",
            "yes"
        ).ok("a referral with consent")
    }

    /// A step dated before the report was received marked the plan deadline met years early,
    /// so a timeliness report would count a late plan as on time.
    @Test func aStepDatedBeforeTheReportWasReceivedIsRefused() throws {
        let directory = try TemporaryDirectory()
        let dir = try WorkerDayTests.node(in: directory)
        let child = try WorkerDayTests.add(
            dir, "child", "add", "--name", "Đặng Văn Đức", "--sex", "M", "--born", "05/09/2016", "--village",
            "Bản Pha")
        let intake = try WorkerDayTests.add(
            dir, "intake", "add", "--at", "24/04/2026 10:00", "--source", "111", "--abuse", "violence", "--child",
            child)
        var before = try Self.hash(dir)
        let early = try Executables.node("case", "open", "--intake", intake, "--at", "24/04/2026 09:59", "--dir", dir)
        #expect(early.status == 1, "\(early.stdout) \(early.stderr)")
        #expect(try Self.hash(dir) == before)
        let caseID = try WorkerDayTests.add(dir, "case", "open", "--intake", intake, "--at", "24/04/2026 10:05")

        before = try Self.hash(dir)
        let backdated = try Executables.node(
            "case", "advance", caseID, "--to", "initial_assessment", "--danger", "yes", "--at", "01/01/2020 08:00",
            "--dir", dir)
        #expect(backdated.status == 1, "\(backdated.stdout) \(backdated.stderr)")
        #expect(backdated.stderr.contains("24/04/2026 10:00"), "\(backdated.stderr)")
        #expect(try Self.hash(dir) == before)

        try Executables.node(
            "case", "advance", caseID, "--to", "initial_assessment", "--danger", "yes", "--at", "24/04/2026 15:00",
            "--dir", dir
        ).ok()
        before = try Self.hash(dir)
        let placedBefore = try Executables.node(
            "case", "advance", caseID, "--to", "emergency", "--placement-start", "23/04/2026 20:00", "--at",
            "24/04/2026 20:00", "--dir", dir)
        #expect(placedBefore.status == 1, "\(placedBefore.stdout) \(placedBefore.stderr)")
        #expect(try Self.hash(dir) == before)
        try Executables.node(
            "case", "advance", caseID, "--to", "emergency", "--placement-start", "24/04/2026 20:00", "--at",
            "24/04/2026 20:00", "--dir", dir
        ).ok()
        before = try Self.hash(dir)
        let endedBefore = try Executables.node(
            "case", "advance", caseID, "--end-placement", "--at", "24/04/2026 19:00", "--dir", dir)
        #expect(endedBefore.status == 1, "\(endedBefore.stdout) \(endedBefore.stderr)")
        #expect(try Self.hash(dir) == before)
    }

    /// Counts no definition allows (written by `record put`, which is not validated yet, or
    /// arriving from a peer, which the node does not check) overflowed `activity list`'s
    /// totals: the command trapped on every run.
    @Test func activityListSurvivesCountsTheDefinitionDoesNotAllow() throws {
        let directory = try TemporaryDirectory()
        let dir = try WorkerDayTests.node(in: directory)
        for day in ["2026-01-01", "2026-01-02"] {
            let put = try Executables.node(
                "record", "put", "activities", "--dir", dir, "date=\(day)", "kind=training", "topic=Kỹ năng",
                "children_male=9223372036854775807", "adults_female=-9223372036854775808")
            // Once `record put` is validated it refuses these; nothing is left to list then.
            if put.status != 0 { return }
        }
        let listed = try Executables.node("activity", "list", "--dir", dir, "--lang", "en")
        #expect(listed.status == 0, "\(listed.status) \(listed.stderr)")
        #expect(listed.stdout.contains("boys 9223372036854775807"), "\(listed.stdout)")
    }

    /// A case at the last plan cycle the definition allows, from a peer: `case plan` (`cycle + 1`,
    /// which trapped on `Int.max` when `record put` could write it) is refused, nothing stored,
    /// and the case still shows.
    @Test func aCaseWithAnImpossiblePlanCycleIsRefusedNotATrap() throws {
        let directory = try TemporaryDirectory()
        let dir = directory.path("node")
        let (district, process) = try DistrictHub.start(in: directory)
        try district.node("17605", in: dir, url: process.url)
        process.stop()
        let (_, caseID) = try Self.openCase(dir)
        try Executables.node(
            "case", "advance", caseID, "--to", "initial_assessment", "--danger", "no", "--at", "24/04/2026 11:00",
            "--dir", dir
        ).ok()
        try Executables.node(
            "case", "advance", caseID, "--to", "detailed_assessment", "--at", "24/04/2026 12:00", "--dir", dir
        ).ok()
        // A node's own `record put` writes no workflow field; the last cycle the definition allows
        // (100: beyond it, the hub refuses the value and a node sets it aside) arrives from the
        // district, and the next plan would be cycle 101.
        let own = try Executables.node(
            "record", "put", "cases", "--id", caseID, "--dir", dir, "plan_cycle=9223372036854775807")
        #expect(own.status == 1, "\(own.stderr)")
        let toHub = directory.path("node.changes")
        let toNode = directory.path("hub.changes")
        try Executables.node("changes", "export", "--dir", dir, "--out", toHub).ok("export")
        try Executables.hub("changes", "import", "--db", district.database, toHub).ok("import")
        try Executables.hub(
            "record", "put", "--db", district.database, "cases", "--id", caseID, "plan_cycle=100"
        ).ok("the district's put")
        try Executables.hub("changes", "export", "--db", district.database, "--unit", "17605", "--out", toNode).ok()
        try Executables.node("changes", "import", "--dir", dir, toNode).ok("import at the node")
        #expect(try WorkerDayTests.caseJSON(dir, caseID)["plan_cycle"] as? Int == 100)
        let before = try Self.hash(dir)
        let planned = try Executables.node(
            "case", "plan", caseID, "--goals", "An toàn", "--action", "Tư vấn;Trạm y tế;15/05/2026", "--at",
            "27/04/2026 10:00", "--dir", dir)
        #expect(planned.status == 1, "\(planned.status) \(planned.stderr)")
        #expect(try Self.hash(dir) == before)
        try Executables.node("case", "show", caseID, "--dir", dir).ok("case show")
        try Executables.node("overdue", "--dir", dir).ok("overdue")
        try Executables.node("case", "list", "--all", "--dir", dir).ok("case list")
    }
}

import Domain
import Foundation
import SyncCore
import TestSupport
import Testing

/// The domain store's transactions: what goes together is written together or not at all.
@Suite struct DomainStoreTests {
    static let received = Instant.parse("2026-11-30T02:00:00Z")!

    func store() throws -> DomainStore {
        let replica = try makeReplica(.sqlite, origin: 1, unit: "17605")
        return DomainStore(replica: replica, now: { Instant.parse("2026-12-02T02:00:00Z")! })
    }

    func openCase(_ store: DomainStore) throws -> (child: RecordID, case: RecordID) {
        let child = try store.create(
            "children",
            fields: [
                "full_name": .string("Vừ Thị Mỷ"), "sex": .string("F"), "date_of_birth": .string("2015-03-02"),
                "village": .string("Bản Pha"), "lifecycle": .string("active"),
            ])
        let intake = try store.create(
            "intakes",
            fields: [
                "received_at": .string(Instant.format(Self.received)), "received_by": .string("Cán bộ"),
                "source": .string("school"), "abuse_types": .string("neglect"), "child_id": .string(child.description),
            ])
        return (child, try store.openCase(intake: intake, child: nil, by: "Cán bộ", at: Self.received))
    }

    /// Every record of every collection, for comparing before and after.
    func snapshot(_ store: DomainStore) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for collection in DomainDefinition.current.collections {
            result[collection.name] = try store.records(collection.name).map { FieldValue.object($0.values).json }
                .sorted()
        }
        return result
    }

    @Test func aRefusedStepStoresNothing() throws {
        let store = try store()
        let (_, caseID) = try openCase(store)
        let at = Self.received.addingTimeInterval(3_600)
        try store.act(on: caseID, .assessInitial, input: CaseStepInput(at: at, by: "A", seriousDanger: false))
        try store.act(on: caseID, .assessDetailed, input: CaseStepInput(at: at, by: "A"))
        let before = try snapshot(store)
        // A first draft without goals: the plan cannot be filed, so the step is not taken either.
        #expect(throws: DomainRefusal.self) {
            try store.act(
                on: caseID, .draftPlan, input: CaseStepInput(at: at, by: "A"),
                filing: StepRecord(actions: [PlanAction(service: "Tư vấn", responsible: "Trạm y tế", due: "2026-12-20")]
                ))
        }
        // An action due on a date that does not exist.
        #expect(throws: DomainRefusal.self) {
            try store.act(
                on: caseID, .draftPlan, input: CaseStepInput(at: at, by: "A"),
                filing: StepRecord(
                    goals: "An toàn",
                    actions: [PlanAction(service: "Tư vấn", responsible: "Trạm y tế", due: "2026-02-30")]))
        }
        #expect(try snapshot(store) == before)
        let record = try #require(try store.record("cases", id: caseID))
        #expect(record.string("status") == "detailed_assessment")
    }

    @Test func aCaseIsOpenedOncePerReportAndStepsAreFiled() throws {
        let store = try store()
        let (child, caseID) = try openCase(store)
        let intake = try #require(try store.records("intakes").first)
        #expect(intake.string("case_id") == caseID.description)
        #expect(throws: DomainRefusal.self) { try store.openCase(intake: intake.id, child: child, by: "A") }
        #expect(try store.records("cases").count == 1)
        let events = try store.filed("case_events", underCase: caseID)
        #expect(events.map { $0.string("action") } == ["open"])
        #expect(events.first?.string("at") == "2026-11-30T02:00:00Z")
    }

    @Test func movingAChildTakesOpenCasesAndLeavesClosedOnes() throws {
        let store = try store()
        let (child, open) = try openCase(store)
        // A second, closed case of the same child stays with this commune's history.
        let intake = try store.create(
            "intakes",
            fields: [
                "received_at": .string(Instant.format(Self.received)), "received_by": .string("Cán bộ"),
                "source": .string("police"), "abuse_types": .string("violence"), "child_id": .string(child.description),
            ])
        let closed = try store.openCase(intake: intake, child: nil, by: "A", at: Self.received)
        try store.act(
            on: closed, .notSubstantiated,
            input: CaseStepInput(at: Self.received.addingTimeInterval(60), by: "A", reason: "Không đúng sự thật"))
        let moved = try store.moveChild(child, to: "17608")
        // The child, the open case, its opening event and its report.
        #expect(moved == 4)
        #expect(try store.record("children", id: child)?.unit == "17608")
        #expect(try store.record("cases", id: open)?.unit == "17608")
        #expect(try store.record("cases", id: closed)?.unit == "17605")
        #expect(try store.filed("case_events", underCase: closed).allSatisfy { $0.unit == "17605" })
        // Now a read-only trace here.
        #expect(throws: DomainRefusal.self) { try store.update("children", id: child, fields: ["notes": .string("x")]) }
        #expect(throws: DomainRefusal.self) {
            try store.act(on: open, .assessInitial, input: CaseStepInput(at: Date(), by: "A", seriousDanger: true))
        }
        #expect(throws: DomainRefusal.self) { try store.moveChild(child, to: "17609") }
        #expect(try store.overdue(horizon: 365 * 86_400).isEmpty)
        #expect(try store.listChildren().isEmpty)
        #expect(try store.listChildren(includeTraces: true).count == 1)
    }
}

/// The sealed cache of folded names a search starts from follows every change: a rename, a
/// delete, a move, and changes that came by sync (straight into the replica, not through the
/// domain store).
@Suite struct NameCacheTests {
    @Test func searchFollowsEveryChangeThroughTheCache() throws {
        let replica = try makeReplica(.sqlite, origin: 1, unit: "17605")
        let store = DomainStore(replica: replica, now: { Instant.parse("2026-12-02T02:00:00Z")! })
        func add(_ name: String) throws -> RecordID {
            try store.create(
                "children",
                fields: [
                    "full_name": .string(name), "sex": .string("F"), "date_of_birth": .string("2015-03-02"),
                    "village": .string("Bản Pha"),
                ])
        }
        func find(_ query: String) throws -> [String] {
            try store.findChildren(query).compactMap { $0.string("full_name") }
        }
        let lan = try add("Nguyễn Thị Lan")
        let duc = try add("Đặng Văn Đức")
        #expect(try find("nguyen thi lan") == ["Nguyễn Thị Lan"])
        #expect(try replica.setting("domain.search.children.v2") != nil)
        try store.update("children", id: lan, fields: ["full_name": .string("Nguyễn Thị Lành")])
        #expect(try find("nguyen thi lan") == ["Nguyễn Thị Lành"])
        #expect(try find("lanh") == ["Nguyễn Thị Lành"])
        // A change made below the domain store, as a sync applies them.
        try replica.put("children", id: duc, set: ["full_name": .string("Đặng Văn Dũng")])
        #expect(try find("dang van duc").isEmpty)
        #expect(try find("dang dung") == ["Đặng Văn Dũng"])
        try replica.delete("children", id: duc)
        #expect(try find("dang").isEmpty)
        try store.moveChild(lan, to: "17608")
        #expect(try find("lanh").isEmpty)
        #expect(try store.findChildren("lanh", includeTraces: true).count == 1)
        // A damaged cache is rebuilt, not trusted; so is one ahead of the log (it would never
        // catch up): here it claims a position past the log and holds no one.
        try replica.setSetting("domain.search.children.v2", "v1 x\ngarbage")
        #expect(try store.findChildren("lanh", includeTraces: true).count == 1)
        try replica.setSetting("domain.search.children.v2", "v1 999999\n")
        #expect(try store.findChildren("lanh", includeTraces: true).count == 1)
    }
}

/// The sealed cache of which record is filed under which case follows new steps, edits made
/// below the domain store, deletes and a damaged cache.
@Suite struct FiledCacheTests {
    @Test func aCaseShowsWhatIsFiledUnderIt() throws {
        let replica = try makeReplica(.sqlite, origin: 1, unit: "17605")
        let now = Instant.parse("2026-12-02T02:00:00Z")!
        let store = DomainStore(replica: replica, now: { now })
        let child = try store.create(
            "children",
            fields: [
                "full_name": .string("Vừ Thị Mỷ"), "sex": .string("F"), "date_of_birth": .string("2015-03-02"),
                "village": .string("Bản Pha"),
            ])
        let intake = try store.create(
            "intakes",
            fields: [
                "received_at": .string("2026-11-30T02:00:00Z"), "received_by": .string("A"),
                "source": .string("school"),
                "abuse_types": .string("neglect"), "child_id": .string(child.description),
            ])
        let caseID = try store.openCase(intake: intake, child: nil, by: "A", at: now.addingTimeInterval(-3_600))
        #expect(try store.filedUnderCase(caseID)["case_events"]?.map { $0.string("action") } == ["open"])
        #expect(try replica.setting("domain.filed.v1") != nil)
        try store.act(on: caseID, .assessInitial, input: CaseStepInput(at: now, by: "A", seriousDanger: false))
        var filed = try store.filedUnderCase(caseID)
        #expect(filed["case_events"]?.map { $0.string("action") } == ["open", "assess_initial"])
        #expect(filed["assessments"]?.count == 1)
        // A visit written below the domain store (as a sync brings it), then deleted.
        let visit = replica.newRecordID()
        try replica.put(
            "visits", id: visit, unit: "17605",
            set: ["case_id": .string(caseID.description), "at": .string("2026-12-01T02:00:00Z"), "by": .string("B")])
        #expect(try store.filedUnderCase(caseID)["visits"]?.map(\.id) == [visit])
        try replica.delete("visits", id: visit)
        #expect(try store.filedUnderCase(caseID)["visits"]?.isEmpty == true)
        // A cache ahead of the log, holding nothing, is rebuilt too.
        try replica.setSetting("domain.filed.v1", "v1 999999\n")
        #expect(try store.filedUnderCase(caseID)["case_events"]?.count == 2)
        // A damaged cache is rebuilt, not trusted.
        try replica.setSetting("domain.filed.v1", "v1 7\nnot a line")
        filed = try store.filedUnderCase(caseID)
        #expect(filed["case_events"]?.count == 2)
        #expect(filed["assessments"]?.count == 1)
    }
}

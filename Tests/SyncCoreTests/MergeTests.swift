import SyncCore
import TestSupport
import Testing

/// The merge rules on their own: pure functions, no storage.
@Suite struct MergeTests {
    let a = testOrigin(1)
    let b = testOrigin(2)
    let c = testOrigin(3)
    let id = testRecord(1)

    func change(
        _ origin: OriginID, _ counter: UInt64, at millis: UInt64, context: [(OriginID, UInt64)] = [],
        _ set: FieldMap<FieldValue>
    ) -> Change {
        Change(
            dot: Dot(origin: origin, counter: counter), stamp: Stamp(wallMillis: millis, logical: 0),
            collection: "children", record: id, unit: "01001", context: VersionVector(context), set: set)
    }

    func applyAll(_ changes: [Change]) -> RecordState? {
        var state: RecordState?
        for item in changes {
            switch Merge.apply(item, to: state) {
            case .applied(let next): state = next
            case .duplicate: break
            case .notReady(let missing): Issue.record("\(item.dot) not ready, waits for \(missing)")
            }
        }
        return state
    }

    @Test func duplicateIsSkipped() throws {
        let create = change(a, 1, at: 10, ["@unit": "01001", "sex": "F"])
        guard case .applied(let state) = Merge.apply(create, to: nil) else {
            Issue.record("creation must apply")
            return
        }
        #expect(Merge.apply(create, to: state) == .duplicate)
    }

    @Test func changeWaitsForWhatItSaw() {
        let edit = change(b, 1, at: 20, context: [(a, 1)], ["sex": "M"])
        #expect(Merge.apply(edit, to: nil) == .notReady(missing: Dot(origin: a, counter: 1)))
    }

    @Test func concurrentWritesToDifferentFieldsBothLand() throws {
        let create = change(a, 1, at: 10, ["@unit": "01001", "sex": "F", "village": "Thôn 1"])
        let one = change(a, 2, at: 20, context: [(a, 1)], ["village": "Thôn 2"])
        let other = change(b, 1, at: 15, context: [(a, 1)], ["school_status": "primary"])
        let state = try #require(applyAll([create, one, other]))
        #expect(state.value("village") == "Thôn 2")
        #expect(state.value("school_status") == "primary")
        #expect(state.conflicts.isEmpty)
        #expect(applyAll([create, other, one]) == state)
    }

    @Test func sameFieldConflictKeepsBothAndShowsHighestStamp() throws {
        let create = change(a, 1, at: 10, ["@unit": "01001", "village": "Thôn 1"])
        let early = change(a, 2, at: 30, context: [(a, 1)], ["village": "Thôn 2"])
        let late = change(b, 1, at: 40, context: [(a, 1)], ["village": "Thôn 3"])
        let state = try #require(applyAll([create, early, late]))
        #expect(state.value("village") == "Thôn 3")
        #expect(state.conflicts.map(\.field) == ["village"])
        #expect(state.conflicts.first?.entries.map(\.value) == ["Thôn 2", "Thôn 3"])
        #expect(applyAll([create, late, early]) == state)
    }

    @Test func equalConcurrentValuesAreNotAskedAbout() throws {
        let create = change(a, 1, at: 10, ["@unit": "01001", "village": "Thôn 1"])
        let one = change(a, 2, at: 30, context: [(a, 1)], ["village": "Thôn 2"])
        let two = change(b, 1, at: 40, context: [(a, 1)], ["village": "Thôn 2"])
        let state = try #require(applyAll([create, one, two]))
        #expect(state.fields["village"]?.count == 2)
        #expect(state.conflicts.isEmpty)
    }

    /// DESIGN.md's example: `a` and `b` concurrent; `c` saw `a` but not `b`. Both orders must
    /// end with {b, c}, and nobody is asked about `a`, which its own author replaced.
    @Test func threeWriterCaseOfDesign() throws {
        let create = change(a, 1, at: 10, ["@unit": "01001", "full_name": "Lò Văn Páo"])
        let writeA = change(a, 2, at: 20, context: [(a, 1)], ["full_name": "a"])
        let writeB = change(b, 1, at: 50, context: [(a, 1)], ["full_name": "b"])
        let writeC = change(c, 1, at: 30, context: [(a, 2)], ["full_name": "c"])
        let abc = try #require(applyAll([create, writeA, writeB, writeC]))
        let acb = try #require(applyAll([create, writeA, writeC, writeB]))
        #expect(abc == acb)
        #expect(Set(abc.fields["full_name"]!.map(\.value)) == ["b", "c"])
        #expect(abc.conflicts.first?.entries.map(\.dot) == [writeB.dot, writeC.dot].sorted())
        #expect(abc.value("full_name") == "b")
    }

    @Test func shownValueOnlyMergeDivergesOnTheThreeWriterCase() {
        let create = change(a, 1, at: 10, ["@unit": "01001", "full_name": "x"])
        let writeA = change(a, 2, at: 20, context: [(a, 1)], ["full_name": "a"])
        let writeB = change(b, 1, at: 50, context: [(a, 1)], ["full_name": "b"])
        let writeC = change(c, 1, at: 30, context: [(a, 2)], ["full_name": "c"])
        func weak(_ changes: [Change]) -> RecordState? {
            var state: RecordState?
            for item in changes {
                if case .applied(let next) = Merge.apply(item, to: state, policy: .shownValueOnly) { state = next }
            }
            return state
        }
        #expect(weak([create, writeA, writeB, writeC]) != weak([create, writeA, writeC, writeB]))
    }

    @Test func deleteConcurrentWithEditIsAConflict() throws {
        let create = change(a, 1, at: 10, ["@unit": "01001", "notes": "x"])
        let delete = change(a, 2, at: 30, context: [(a, 1)], ["@deleted": true])
        let edit = change(b, 1, at: 20, context: [(a, 1)], ["notes": "y"])
        let state = try #require(applyAll([create, edit, delete]))
        #expect(state.isDeleted)
        let conflict = try #require(state.conflicts.first)
        #expect(conflict.field == "@deleted")
        #expect(conflict.kind == .editedWhileDeleted)
        #expect(conflict.editedFields == ["notes"])
        #expect(applyAll([create, delete, edit]) == state)
    }

    @Test func deleteAfterSeeingEditIsNoConflict() throws {
        let create = change(a, 1, at: 10, ["@unit": "01001", "notes": "x"])
        let edit = change(b, 1, at: 20, context: [(a, 1)], ["notes": "y"])
        let delete = change(a, 2, at: 30, context: [(a, 1), (b, 1)], ["@deleted": true])
        let state = try #require(applyAll([create, edit, delete]))
        #expect(state.isDeleted)
        #expect(state.conflicts.isEmpty)
        #expect(state.value("notes") == "y")
    }

    @Test func unknownFieldsAreKept() throws {
        let create = change(a, 1, at: 10, ["@unit": "01001", "future_field_v9": ["nested": [1, 2]]])
        let state = try #require(applyAll([create]))
        #expect(state.value("future_field_v9") == ["nested": [1, 2]])
        #expect(try RecordState(encoded: state.encoded()) == state)
    }
}

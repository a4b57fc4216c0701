import Domain
import Foundation
import SyncCore
import Testing

/// The definition as data and the validator's two ways: local writes normalised and checked,
/// changes from peers checked as they are.
@Suite struct DefinitionTests {
    let validator = Validator(.current)
    let today = LocalDate(iso: "2026-12-02")!

    func write(_ collection: String, _ fields: [String: FieldValue], existing: [String: FieldValue]? = nil) throws
        -> [String: FieldValue]
    {
        try validator.checkLocalWrite(collection: collection, existing: existing, set: fields, today: today)
    }

    func refusal(_ collection: String, _ fields: [String: FieldValue], existing: [String: FieldValue]? = nil)
        -> DomainRefusal?
    {
        do {
            _ = try write(collection, fields, existing: existing)
            return nil
        } catch let refusal as DomainRefusal {
            return refusal
        } catch {
            return nil
        }
    }

    let child: [String: FieldValue] = [
        "full_name": .string("Lò Thị Mai"), "sex": .string("F"), "date_of_birth": .string("2017-01-01"),
        "village": .string("Bản Pha"),
    ]

    @Test func theDefinitionMarksPersonalFieldsAndHasEveryArticle10Group() {
        let definition = DomainDefinition.current
        let personal = definition.personalFields
        for field in ["full_name", "date_of_birth", "address", "village", "guardian_phone", "notes", "national_id"] {
            #expect(personal["children"]?.contains(field) == true, "\(field)")
        }
        #expect(personal["children"]?.contains("sex") == false)
        for field in ["reporter_name", "reporter_phone", "description", "alleged_abuser"] {
            #expect(personal["intakes"]?.contains(field) == true, "\(field)")
        }
        // Luật Trẻ em 2016, Điều 10 khoản 1: a, b, c, d, đ, e, g, h, i, k, l, m, n, o.
        #expect(
            Enumerations.circumstanceGroup.values.map(\.code) == [
                "a", "b", "c", "d", "dd", "e", "g", "h", "i", "k", "l", "m", "n", "o",
            ])
        #expect(Enumerations.circumstanceGroup.code(forInput: "đ") == "dd")
        #expect(Enumerations.circumstanceGroup.code(forInput: "Đ") == "dd")
        for collection in definition.collections {
            for field in collection.fields {
                #expect(!field.label.vi.isEmpty && !field.label.en.isEmpty, "\(collection.name).\(field.name)")
                #expect(ReservedField.isValidName(field.name), "\(collection.name).\(field.name)")
            }
        }
        #expect(definition.collection("chidren") == nil)
    }

    @Test func aLocalWriteIsNormalised() throws {
        let written = try write(
            "children",
            child.merging(
                [
                    "full_name": .string("  Lo\u{0300} Thi\u{0323} Mai "), "sex": .string("nữ"),
                    "date_of_birth": .string("01/01/2017"), "guardian_phone": .string("0912 345 678"),
                    "at_risk": .string("có"), "at_risk_reason": .string("Cha mẹ đi làm ăn xa"),
                    "circumstances": .array([.object(["group": .string("Đ"), "since": .string("01/02/2024")])]),
                ], uniquingKeysWith: { $1 }))
        #expect(written["full_name"] == .string("Lò Thị Mai"))
        #expect(written["full_name"]?.stringValue?.unicodeScalars.count == "Lò Thị Mai".unicodeScalars.count)
        #expect(written["sex"] == .string("F"))
        #expect(written["date_of_birth"] == .string("2017-01-01"))
        #expect(written["guardian_phone"] == .string("0912345678"))
        #expect(written["at_risk"] == .bool(true))
        #expect(
            written["circumstances"] == .array([.object(["group": .string("dd"), "since": .string("2024-02-01")])]))
    }

    @Test func whatIsRefusedAndWhy() {
        let cases: [(String, [String: FieldValue], String, String)] = [
            ("chidren", child, "unknown_collection", "chidren"),
            ("children", child.merging(["sex": .string("X")], uniquingKeysWith: { $1 }), "bad_value", "sex"),
            (
                "children", child.merging(["date_of_birth": .string("2030-13-45")], uniquingKeysWith: { $1 }),
                "bad_value", "date_of_birth"
            ),
            (
                "children", child.merging(["date_of_birth": .string("2010-12-02")], uniquingKeysWith: { $1 }),
                "bad_value", "date_of_birth"
            ),
            (
                "children", child.merging(["date_of_birth": .string("2027-01-01")], uniquingKeysWith: { $1 }),
                "bad_value", "date_of_birth"
            ),
            (
                "children", child.merging(["guardian_phone": .string("091234567")], uniquingKeysWith: { $1 }),
                "bad_value", "guardian_phone"
            ),
            (
                "children", child.merging(["favourite_colour": .string("blue")], uniquingKeysWith: { $1 }),
                "unknown_field", "favourite_colour"
            ),
            ("children", child.merging(["full_name": .null], uniquingKeysWith: { $1 }), "missing", "full_name"),
            (
                "children", child.merging(["at_risk": .bool(true)], uniquingKeysWith: { $1 }), "missing",
                "at_risk_reason"
            ),
            (
                "children",
                child.merging(
                    ["circumstances": .array([.object(["group": .string("z"), "since": .string("2024-01-01")])])],
                    uniquingKeysWith: { $1 }),
                "bad_value", "circumstances[1].group"
            ),
            (
                "children", child.merging(["full_name": .string("Lò\u{0007}Mai")], uniquingKeysWith: { $1 }),
                "bad_value", "full_name"
            ),
            (
                "intakes",
                [
                    "received_at": .string("2026-12-01T02:00:00Z"), "received_by": .string("A"),
                    "source": .string("hotline_111"),
                    "abuse_types": .array([.string("violence")]), "child_name": .string("B"),
                    "reporter_name": .string("Bà Lan"),
                ],
                "not_allowed", "reporter_name"
            ),
        ]
        for (collection, fields, code, field) in cases {
            let refused = refusal(collection, fields)
            #expect(refused?.code == code, "\(collection) \(field): \(String(describing: refused))")
            #expect(refused?.field == field, "\(collection) \(field): \(String(describing: refused))")
            #expect(refused.map { !$0.message(.vi).isEmpty && !$0.hint(.vi).isEmpty && !$0.hint(.en).isEmpty } == true)
        }
        // A child who turned 16 may stay on the register, marked so.
        #expect(
            refusal(
                "children",
                child.merging(
                    ["date_of_birth": .string("2010-12-02"), "lifecycle": .string("turned_16")],
                    uniquingKeysWith: { $1 })) == nil)
        // The message speaks the worker's language and names the field by its label.
        let age = refusal("children", child.merging(["date_of_birth": .string("2009-01-01")], uniquingKeysWith: { $1 }))
        #expect(age?.message(.vi).hasPrefix("Ngày sinh:") == true)
        #expect(age?.message(.en).hasPrefix("Date of birth:") == true)
    }

    @Test func anEditChecksTheRecordAsItWillBe() throws {
        let existing = try write("children", child)
        // Only the changed field is sent; rules see the whole record.
        #expect(
            try write("children", ["notes": .string("Đi học đều")], existing: existing) == [
                "notes": .string("Đi học đều")
            ])
        #expect(refusal("children", ["at_risk": .bool(true)], existing: existing)?.field == "at_risk_reason")
        // Clearing an optional field is a null; clearing a required one is refused.
        #expect(
            try write(
                "children", ["notes": .null],
                existing: existing.merging(["notes": .string("x")], uniquingKeysWith: { $1 })) == ["notes": .null])
        #expect(refusal("children", ["village": .string("")], existing: existing)?.code == "missing")
        // A child who has turned 16 since being registered can still be edited; writing the
        // date of birth, or making them active again, checks the age.
        let older = existing.merging(["date_of_birth": .string("2010-06-01")], uniquingKeysWith: { $1 })
        #expect(try write("children", ["notes": .string("x")], existing: older) == ["notes": .string("x")])
        #expect(refusal("children", ["lifecycle": .string("active")], existing: older)?.field == "date_of_birth")
        #expect(
            try write("children", ["lifecycle": .string("turned_16")], existing: older) == [
                "lifecycle": .string("turned_16")
            ])
        // A field of a newer definition already on the record stays untouched by an edit.
        let newer = existing.merging(["favourite_colour": .string("blue")], uniquingKeysWith: { $1 })
        #expect(try write("children", ["notes": .string("x")], existing: newer) == ["notes": .string("x")])
    }

    @Test func changesFromPeersAreCheckedAsTheyAre() {
        func check(_ collection: String, _ fields: [String: FieldValue], peer: Int = 1) -> String? {
            validator.checkIncoming(collection: collection, set: FieldMap(fields), peerVersion: peer)
        }
        #expect(check("children", child) == nil)
        #expect(check("children", ["sex": .string("X")]) != nil)
        #expect(check("children", ["sex": .string("f")]) != nil, "codes travel canonical")
        #expect(check("children", ["date_of_birth": .string("01/01/2017")]) != nil, "dates travel as YYYY-MM-DD")
        #expect(check("children", ["full_name": .string("Lo\u{0300} Thi\u{0323} Mai")]) != nil, "text travels in NFC")
        #expect(check("children", ["guardian_phone": .string("0912 345 678")]) != nil)
        #expect(check("children", ["full_name": .null]) != nil, "a required field cannot be cleared")
        #expect(check("chidren", ["x": .int(1)]) != nil)
        #expect(check("children", ["favourite_colour": .string("blue")]) != nil)
        // A peer running a newer definition: what this one does not know passes, what it knows
        // is still checked.
        #expect(
            check("children", ["favourite_colour": .string("blue")], peer: DomainDefinition.current.version + 1) == nil)
        #expect(check("pets", ["name": .string("Mực")], peer: DomainDefinition.current.version + 1) == nil)
        #expect(check("children", ["ethnicity": .string("ha_nhi")], peer: DomainDefinition.current.version + 1) == nil)
        #expect(
            check("children", ["date_of_birth": .string("2030-13-45")], peer: DomainDefinition.current.version + 1)
                != nil)
        // Reasons never quote the value (it may be personal).
        let reason = check("children", ["full_name": .string(String(repeating: "Mai ", count: 40))]) ?? ""
        #expect(!reason.contains("Mai"))
    }
}

import Domain
import Foundation
import SyncCore
import Testing

/// The check of a peer's change (`Validator.checkIncoming`, what a hub's `DefinitionGate` asks of
/// every change it is pushed), to its exact words: where its quick paths — ASCII read byte by
/// byte, a scalar decoded from its bytes, the grapheme count only past the byte count, names
/// found in sorted tables — could part from the rule, each side of the line.
@Suite struct IncomingCheckTests {
    let validator = Validator(.current)

    func check(
        _ collection: String, _ fields: [String: FieldValue], peer: Int = 1, personalMayBeNull: Bool = false
    ) -> String? {
        validator.checkIncoming(
            collection: collection, set: FieldMap(fields), peerVersion: peer, personalMayBeNull: personalMayBeNull)
    }

    func name(_ text: String) -> String? { check("children", ["full_name": .string(text)]) }
    func notes(_ text: String) -> String? { check("children", ["notes": .string(text)]) }

    @Test func controlCharactersAreFoundInASCIIAndBeyond() {
        let control = "children.full_name: control character in text"
        #expect(name("Lo Thi Mai") == nil)
        #expect(name("Lo Thi\u{01} Mai") == control)
        #expect(name("\u{00}") == control)
        #expect(name("Lo Thi Mai\u{1F}") == control)
        #expect(name("Lo Thi Mai\u{7F}") == control, "DEL")
        #expect(name("Lò Thị\u{85}Mai") == control, "NEL, U+0085, two bytes")
        #expect(name("Mai\u{80}") == control)
        #expect(name("Mai\u{9F}") == control)
        #expect(name("Mai\u{A0}Lò") == nil, "a no-break space is not a control character")
        #expect(name("~ Mai ~") == nil, "U+007E, below DEL")
        // A single line holds no tab, line feed or carriage return; a multiline text may.
        #expect(name("Lò\tMai") == control)
        #expect(name("Lò\nMai") == control)
        #expect(name("Lò\rMai") == control)
        #expect(notes("Thăm nhà:\n\t- gặp bà ngoại\r\n\t- trẻ khỏe") == nil)
        #expect(notes("tab\there") == nil)
        let noteControl = "children.notes: control character in text"
        #expect(notes("Thăm nhà\u{0B}") == noteControl, "a vertical tab is not a line's end")
        #expect(notes("Thăm nhà\u{0C}") == noteControl)
        #expect(notes("Thăm nhà\u{85}") == noteControl)
        #expect(notes("Thăm nhà\u{7F}\n") == noteControl)
    }

    @Test func nfcIsFoundForVietnameseAndOtherScripts() {
        let notNFC = "children.full_name: text not in Unicode NFC"
        #expect(name("Nguyễn Thị Minh Ánh") == nil)
        #expect(name("Nguyễn Thị Minh Ánh".decomposedStringWithCanonicalMapping) == notNFC)
        #expect(name("Lo\u{0300} Thi\u{0323} Mai") == notNFC)
        #expect(name("a\u{0323}\u{0302}") == notNFC, "composes to ậ")
        #expect(name("ậ") == nil)
        #expect(name("Ω") == nil, "NFC, outside the scalars read as NFC as they are")
        #expect(name("\u{2126}") == notNFC, "OHM SIGN: its NFC is Ω")
        #expect(name("中文 名字") == nil)
        #expect(name("Mai 😀") == nil, "four bytes")
        #expect(name("₫ – “Mai”…") == nil)
        #expect(name("q\u{0307}\u{0323}") == notNFC, "marks out of canonical order")
        #expect(name("q\u{0323}\u{0307}") == nil, "no precomposed form: NFC as it is")
        // A control character is named before the form, wherever it is.
        #expect(name("Lo\u{0300}\u{01}") == "children.full_name: control character in text")
        #expect(name("\u{01}Lo\u{0300}") == "children.full_name: control character in text")
    }

    @Test func lengthIsCountedInCharactersAtTheLimit() {
        let over = "children.full_name: text over 100 characters"
        #expect(name(String(repeating: "a", count: 100)) == nil)
        #expect(name(String(repeating: "a", count: 101)) == over)
        #expect(name(String(repeating: "ễ", count: 100)) == nil, "300 bytes, 100 characters")
        #expect(name(String(repeating: "ễ", count: 101)) == over)
        #expect(name(String(repeating: "q\u{0323}\u{0307}", count: 100)) == nil, "500 bytes, 100 characters")
        #expect(name(String(repeating: "q\u{0323}\u{0307}", count: 101)) == over)
        #expect(name(String(repeating: "😀", count: 100)) == nil)
        #expect(name(String(repeating: "a", count: 99) + "\r\n") == "children.full_name: control character in text")
        #expect(notes(String(repeating: "a", count: 3998) + "\r\n") == nil, "CR LF is one character")
        #expect(notes(String(repeating: "a", count: 3999) + "\r\n") == nil)
        #expect(notes(String(repeating: "a", count: 4000) + "\r\n") == "children.notes: text over 4000 characters")
        #expect(check("children", ["full_name": .int(1)]) == "children.full_name: not text")
    }

    @Test func fieldsAndCollectionsAreFoundByNameInAnyMix() {
        let child: [String: FieldValue] = [
            "full_name": .string("Lò Thị Mai"), "sex": .string("F"), "date_of_birth": .string("2017-01-01"),
            "village": .string("Bản Pha"), "address": .string("Số 3, ngõ 5"), "at_risk": .bool(false),
            "birth_registered": .bool(true), "ethnicity": .string("kinh"), "guardian_phone": .string("0912345678"),
            "health_insurance": .bool(true), "lifecycle": .string("active"), "notes": .string("Ghi chú"),
            "school_status": .string("primary"), "@deleted": .bool(false),
        ]
        #expect(check("children", child) == nil)
        #expect(check("children", ["address": .string("x")]) == nil)
        #expect(check("children", ["village": .string("x")]) == nil)
        // The first problem in the order of the field names.
        #expect(
            check("children", child.merging(["aaa": .int(1), "zzz": .int(1)]) { $1 })
                == "unknown field children.aaa")
        #expect(check("children", child.merging(["zzz": .int(1)]) { $1 }) == "unknown field children.zzz")
        #expect(check("children", child.merging(["lifecyclf": .int(1)]) { $1 }) == "unknown field children.lifecyclf")
        #expect(check("children", child.merging(["sex": .string("X")]) { $1 }) == "children.sex: not a code of sex")
        #expect(
            check("children", child.merging(["village": .null, "address": .int(3)]) { $1 })
                == "children.address: not text")
        #expect(
            check("children", child.merging(["village": .null]) { $1 })
                == "children.village is required and cannot be cleared")
        // A name that begins another, or is one with more after it; a name that is not ASCII.
        #expect(check("children", ["at_risk": .bool(true), "at_risk_reason": .string("Bố mẹ đi làm xa")]) == nil)
        #expect(check("children", ["at_ris": .bool(true)]) == "unknown field children.at_ris")
        #expect(check("children", ["at_risk_reasons": .bool(true)]) == "unknown field children.at_risk_reasons")
        #expect(check("children", ["at_risk": .bool(true), "ghi_chú": .int(1)]) == "unknown field children.ghi_chú")
        #expect(check("children", ["n\u{F4}tes": .int(1)]) == "unknown field children.n\u{F4}tes")
        // A lower hub's null for a personal field passes, even a required one; not for the others.
        #expect(check("children", ["village": .null, "full_name": .null], personalMayBeNull: true) == nil)
        #expect(
            check("children", ["sex": .null], personalMayBeNull: true)
                == "children.sex is required and cannot be cleared")
        #expect(check("children", ["notes": .null]) == nil)
        // Every collection of the definition is found, and only those.
        for collection in DomainDefinition.current.collections {
            let unknown = "unknown field \(collection.name).not_a_field"
            #expect(check(collection.name, ["not_a_field": .int(1)]) == unknown)
            #expect(check(collection.name, ["@deleted": .bool(true)]) == nil)
        }
        #expect(check("childrem", ["x": .int(1)]) == "unknown collection \"childrem\"")
        #expect(check("", [:]) == "unknown collection \"\"")
        #expect(check("zzz", [:], peer: DomainDefinition.current.version + 1) == nil)
        #expect(check("children", ["zzz": .int(1)], peer: DomainDefinition.current.version + 1) == nil)
    }

    @Test func valuesOfEveryOtherTypeAreReadAsBefore() {
        #expect(check("intakes", ["received_at": .string("2026-12-02T02:30:00Z")]) == nil)
        let instant = "intakes.received_at: not an instant YYYY-MM-DDTHH:MM:SSZ"
        #expect(check("intakes", ["received_at": .string("2026-12-02T24:00:00Z")]) == instant)
        #expect(check("intakes", ["received_at": .string("2026-02-30T02:30:00Z")]) == instant)
        #expect(check("intakes", ["received_at": .string("2026-12-02T02:30:00+07:00")]) == instant)
        #expect(check("intakes", ["received_at": .string("2026-12-02T02:30:0Z")]) == instant)
        #expect(check("intakes", ["abuse_types": .array([.string("violence"), .string("trafficking")])]) == nil)
        #expect(
            check("intakes", ["abuse_types": .array([.string("violence"), .string("violence")])])
                == "intakes.abuse_types: not a list of distinct codes of abuse_type")
        #expect(check("intakes", ["child_age": .int(16)]) == "intakes.child_age: not a whole number in 0...15")
        let circumstances: FieldValue = .array([.object(["group": .string("b"), "since": .string("2020-01-01")])])
        #expect(check("children", ["circumstances": circumstances]) == nil)
        #expect(
            check("children", ["circumstances": .array([.object(["group": .string("b")])])])
                == "children.circumstances: item \"since\" is required")
        #expect(
            check("children", ["circumstances": .array([.object(["group": .string("b"), "since": .string("2020")])])])
                == "children.circumstances: since: not a date YYYY-MM-DD")
        let caregiver: FieldValue = .array([.object(["name": .string("Bà\u{01}"), "relationship": .string("mother")])])
        #expect(check("children", ["caregivers": caregiver]) == "children.caregivers: name: control character in text")
    }
}

import Domain
import SyncCore
import Testing

/// The `redacted` upstream policy's change, field by field, against lists written out here from
/// DOMAIN.md's personal data (not read from the definition under test), and the definition
/// check at the hub above accepting it from a lower hub only.
@Suite struct RedactionTests {
    static let origin = OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0002))
    static let record = RecordID(UUID128(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0001))

    static func change(_ collection: String, _ set: [String: FieldValue]) -> Change {
        Change(
            dot: Dot(origin: origin, counter: 7), stamp: Stamp(wallMillis: 1_780_000_000_000, logical: 2),
            collection: collection, record: record, unit: "17605",
            context: VersionVector([(origin, 6)]), set: FieldMap(set))
    }

    /// Every field of a child, each with a value a worker could have written.
    static let child: [String: FieldValue] = [
        "@unit": "17605", "full_name": "Nguyễn Thị Hồng Nhung", "sex": "F", "date_of_birth": "2016-09-05",
        "birth_date_estimated": false, "national_id": "001216012345", "ethnicity": "hmong", "village": "Bản Huồi Giảng",
        "address": "Nhà ông Lầu Bá Dơ", "household": "Lầu Bá Dơ", "guardian_name": "Lầu Thị Say",
        "guardian_phone": "0912345678",
        "caregivers": [["name": "Lầu Thị Say", "relationship": "mother", "phone": "0912345678"]],
        "school_status": "primary", "circumstances": [["group": "a", "since": "2024-01-01"]], "at_risk": true,
        "at_risk_reason": "Cha mẹ đi làm xa", "disability": "physical", "birth_registered": true,
        "health_insurance": false, "notes": "Bị bố đánh khi say rượu", "lifecycle": "active",
    ]

    /// DOMAIN.md's personal data of a child: names, date of birth, national id, address and
    /// village, caregivers' names and phones, ethnicity, health (disability), narratives; and
    /// the special circumstances and the reason for risk, which say the same.
    static let childPersonal: Set<String> = [
        "full_name", "date_of_birth", "national_id", "ethnicity", "village", "address", "household", "guardian_name",
        "guardian_phone", "caregivers", "circumstances", "at_risk_reason", "disability", "notes",
    ]

    @Test func aChildGoesUpWithEveryPersonalValueNullAndItsIdentityAndOtherFieldsKept() {
        let original = Self.change("children", Self.child)
        let redacted = Redaction.redact(original)
        #expect(redacted.dot == original.dot && redacted.stamp == original.stamp)
        #expect(redacted.context == original.context && redacted.record == original.record)
        #expect(redacted.unit == original.unit && redacted.collection == original.collection)
        // No field is left out: the same names, so the change stays valid and its dot travels.
        #expect(redacted.set.keys == original.set.keys)
        #expect((try? redacted.validate()) != nil)
        for (name, value) in Self.child {
            if Self.childPersonal.contains(name) {
                #expect(redacted.set[name] == .null, "\(name) went up")
            } else {
                #expect(redacted.set[name] == value, "\(name) was removed")
            }
        }
        // The caregivers list is personal as a whole: nothing of it is left, not its relationship.
        #expect(redacted.set["caregivers"] == .null)
    }

    @Test func aReportGoesUpWithoutItsReporterChildOrNarrative() {
        let intake: [String: FieldValue] = [
            "@unit": "17605", "received_at": "2026-04-24T03:00:00Z", "received_by": "Lò Văn Sáng",
            "source": "hotline_111", "reporter_consent": true, "reporter_name": "Trần Văn Khoa",
            "reporter_phone": "0987654321", "reporter_relationship": "hàng xóm", "child_name": "Đặng Văn Đức",
            "child_sex": "M", "child_age": 9, "child_address": "Bản Pha", "abuse_types": ["violence"],
            "setting": "family", "description": "Cháu bị cha đánh nhiều lần", "alleged_abuser": "Đặng Văn Hùng",
        ]
        let personal: Set<String> = [
            "reporter_name", "reporter_phone", "reporter_relationship", "child_name", "child_address", "description",
            "alleged_abuser",
        ]
        let redacted = Redaction.redact(Self.change("intakes", intake))
        for (name, value) in intake {
            #expect(redacted.set[name] == (personal.contains(name) ? .null : value), "\(name)")
        }
        // The figures a province reads keep everything; an approval's returned reason does not.
        let figures: [String: FieldValue] = [
            "unit": "17605", "period": "2026-H1", "indicator": "0101", "breakdown": "", "value": 3, "source": "415",
            "bands": "0-2,3-5,6-10,11-15", "computed_at": "2026-07-01T00:00:00Z",
        ]
        #expect(Redaction.redact(Self.change("aggregates", figures)).set == FieldMap(figures))
        let approval = Redaction.redact(
            Self.change(
                "report_approvals", ["status": "returned", "reason": "Thiếu số liệu xã Huồi Tụ", "period": "2026-H1"]))
        #expect(approval.set == FieldMap(["status": "returned", "reason": .null, "period": "2026-H1"]))
    }

    @Test func whatThisHubsDefinitionDoesNotKnowIsTakenAsPersonal() {
        // A newer commune's field, next to known ones.
        let newer = Redaction.redact(
            Self.change("children", ["sex": "M", "nickname": "Tủa", "school_status": "primary"]))
        #expect(newer.set == FieldMap(["sex": "M", "nickname": .null, "school_status": "primary"]))
        // A collection it does not know: every field removed, the engine's fields kept.
        let unknown = Redaction.redact(
            Self.change(
                "health_visits", ["@unit": "17605", "@deleted": false, "diagnosis": "HIV", "visits": 3, "sex": "F"]))
        #expect(
            unknown.set
                == FieldMap(["@unit": "17605", "@deleted": false, "diagnosis": .null, "visits": .null, "sex": .null]))
        // A delete or a move alone carries nothing personal, and goes as it is.
        let delete = Self.change("children", ["@deleted": true])
        #expect(Redaction.redact(delete) == delete)
        let move = Self.change("children", ["@unit": "17608"])
        #expect(Redaction.redact(move) == move)
        // A null stays null.
        #expect(Redaction.redact(Self.change("children", ["notes": .null])).set == FieldMap(["notes": .null]))
    }

    @Test func aFieldHoldingPersonalOrUnknownItemsIsRemovedWhole() {
        let definition = DomainDefinition(
            version: 9,
            collections: [
                CollectionDefinition(
                    name: "visits", label: Localized(vi: "v", en: "v"),
                    fields: [
                        FieldDefinition(
                            "seen", Localized(vi: "s", en: "s"),
                            .object([
                                FieldDefinition(
                                    "by", Localized(vi: "b", en: "b"), .text(maxLength: 100), personal: true),
                                FieldDefinition("ok", Localized(vi: "o", en: "o"), .bool),
                            ])),
                        FieldDefinition(
                            "steps", Localized(vi: "t", en: "t"),
                            .list([FieldDefinition("due", Localized(vi: "d", en: "d"), .date)], maxCount: 5)),
                    ])
            ])
        let set: [String: FieldValue] = [
            "seen": ["by": "Lò Văn Sáng", "ok": true], "steps": [["due": "2026-05-01"]],
        ]
        let redacted = Redaction.redact(Self.change("visits", set), definition: definition)
        // An item of `seen` is personal: all of `seen` goes; `steps` holds nothing personal.
        #expect(redacted.set == FieldMap(["seen": .null, "steps": [["due": "2026-05-01"]]]))
        // An item a newer definition added to `steps` may be personal: all of `steps` goes.
        let newer = Redaction.redact(
            Self.change("visits", ["steps": [["due": "2026-05-01"], ["due": "2026-06-01", "who": "Giàng A Pao"]]]),
            definition: definition)
        #expect(newer.set == FieldMap(["steps": .null]))
        // In this release's definition, a field holding a personal item is itself marked personal.
        for collection in DomainDefinition.current.collections {
            for field in collection.fields {
                #expect(Redaction.removes(field) == field.personal, "\(collection.name).\(field.name)")
            }
        }
    }

    /// The province's definition check: a lower hub's null for a required personal field passes
    /// (it may be redacting); a node's is refused, and so is a hub's null for a required field
    /// that is not personal. What the redaction makes of a valid change always passes.
    @Test func theHubAboveAcceptsRemovedValuesFromALowerHubOnly() {
        let validator = Validator(.current)
        let cleared = FieldMap<FieldValue>(["full_name": .null, "sex": "F", "date_of_birth": .null, "village": .null])
        #expect(
            validator.checkIncoming(collection: "children", set: cleared, peerVersion: 2)
                == "children.date_of_birth is required and cannot be cleared")
        #expect(
            validator.checkIncoming(collection: "children", set: cleared, peerVersion: 2, personalMayBeNull: true)
                == nil)
        #expect(
            validator.checkIncoming(
                collection: "children", set: FieldMap(["sex": .null]), peerVersion: 2, personalMayBeNull: true)
                == "children.sex is required and cannot be cleared")
        #expect(
            validator.checkIncoming(
                collection: "plans", set: FieldMap(["goals": .null]), peerVersion: 2, personalMayBeNull: true) == nil)
        // The whole child, redacted, passes from a hub; a node's would not.
        let redacted = Redaction.redact(Self.change("children", Self.child))
        #expect(
            validator.checkIncoming(
                collection: "children", set: Self.change("children", Self.child).set, peerVersion: 2) == nil)
        #expect(
            validator.checkIncoming(
                collection: "children", set: redacted.set, peerVersion: 2, personalMayBeNull: true) == nil)
        #expect(validator.checkIncoming(collection: "children", set: redacted.set, peerVersion: 2) != nil)
    }

    @Test func eachPolicySaysWhichCollectionsGoAndWhetherValuesAreRemoved() {
        let province = OriginID(UUID128(high: 1, low: 40))
        #expect(UpstreamPolicy.allCases.map(\.rawValue) == ["full", "redacted", "aggregates"])
        #expect(UpstreamPolicy.standard == .full)
        #expect(UpstreamPolicy.full.filter(excludingVia: province) == LogFilter(excludingVia: province))
        #expect(UpstreamPolicy.full.transform() == nil)
        #expect(UpstreamPolicy.redacted.filter(excludingVia: province) == LogFilter(excludingVia: province))
        #expect(
            UpstreamPolicy.aggregates.filter(excludingVia: province)
                == LogFilter(excludingVia: province, collections: ["aggregates", "report_approvals"]))
        let child = Self.change("children", Self.child)
        for policy in [UpstreamPolicy.redacted, .aggregates] {
            #expect(policy.transform()?(child) == Redaction.redact(child))
        }
    }
}

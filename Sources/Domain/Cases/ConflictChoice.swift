public import SyncCore

/// Which conflicts may be decided only by keeping one of the values in conflict, never by a new
/// value typed in: the fields the case workflow writes (a case's step and the facts and
/// deadlines that go with it, the plan's status and decision, the history) and a record's
/// owning unit. A typed `closed` on a case's `status` would close the case without the
/// chairman's approval; a typed unit would move a child to any code, checked by nobody. Moving a
/// step on is the workflow's (`case …`, the case's page); moving a child is `child move`. The
/// page and `conflicts resolve` both ask this rule.
public enum ConflictChoice {
    /// The case record's fields the workflow keeps (`DomainStore.act`, `openCase`).
    public static let caseWorkflowFields: Set<String> = Set(
        [
            "status", "status_at", "status_by", "plan_cycle", "received_at", "reopened_at", "placement_started_at",
            "placement_ended_at", "serious_danger", "last_reassessment", "closed_at", "closure_approved_by",
            "closure_reason", "return_reason", "transferred_to", "child_id", "intake_id",
        ] + DeadlineKind.allCases.map { "deadline_\($0.rawValue)" })

    /// The plan's fields its submission and the chairman's decision write.
    public static let planWorkflowFields: Set<String> = [
        "status", "submitted_at", "decided_at", "decided_by", "return_reason", "case_id", "cycle",
    ]

    /// Whether a conflict on `field` of a record of `collection` takes one of its values only.
    public static func isChoiceOnly(collection: String, field: String) -> Bool {
        if field == ReservedField.unit { return true }
        switch collection {
        case "cases": return caseWorkflowFields.contains(field)
        case "plans": return planWorkflowFields.contains(field)
        case "case_events": return true
        default: return false
        }
    }

    /// The collections whose records the case workflow writes: a case, its plans, its history.
    public static let workflowCollections: Set<String> = ["cases", "plans", "case_events"]

    /// Whether a record of `collection` is the case workflow's (a legal record of a child at risk):
    /// on a commune's node the workflow closes it, nothing deletes or restores it; a case entered
    /// by mistake is the district's to remove, at the hub.
    public static func isWorkflowRecord(collection: String) -> Bool { workflowCollections.contains(collection) }

    /// Whether `field` of a record of `collection` is the case workflow's own: a node writes it
    /// only through the workflow (`tre-node case …`, the case's page), never through the generic
    /// `record put`, which would close a case without the chairman or approve a plan by typing its
    /// status. (A record's owning unit is not among them: moving a record is `--unit`.)
    public static func isWorkflowField(collection: String, field: String) -> Bool {
        field != ReservedField.unit && !ReservedField.isReserved(field)
            && isChoiceOnly(collection: collection, field: field)
    }

    /// Refuses `value` for a choice-only conflict unless it is one of the values in conflict.
    public static func check(
        collection: String, field: String, value: FieldValue, among values: [FieldValue]
    ) throws(DomainRefusal) {
        if field == ReservedField.deleted, value.boolValue == nil {
            throw DomainRefusal(
                code: "bad_value", field: field, label: Localized(vi: "Xoá hồ sơ", en: "Deletion"),
                problem: Localized(
                    vi: "chỉ nhận true (xoá) hoặc false (giữ)", en: "takes only true (delete) or false (keep)"),
                accepted: Localized(
                    vi: "true để xoá hồ sơ, false để giữ. Không có gì được lưu.",
                    en: "true to delete the record, false to keep it. Nothing was stored."))
        }
        guard isChoiceOnly(collection: collection, field: field), !values.contains(value) else { return }
        let label =
            DomainDefinition.current.collection(collection)?.field(field)?.label ?? Localized(vi: field, en: field)
        if field == ReservedField.unit {
            throw DomainRefusal(
                code: "choice_only", field: field, label: Localized(vi: "Đơn vị quản lý", en: "Owning unit"),
                problem: Localized(
                    vi:
                        "xung đột về đơn vị quản lý chỉ được giải quyết bằng cách chọn một trong các giá trị đang có, không nhập giá trị mới",
                    en:
                        "a conflict on the owning unit is decided only by choosing one of its values, not by typing a new one"
                ),
                accepted: Localized(
                    vi:
                        "Chọn một giá trị đã hiện; để chuyển trẻ sang đơn vị khác, dùng `child move` sau đó. Không có gì được lưu.",
                    en:
                        "Choose one of the values shown; to move the child to another unit, use `child move` afterwards. Nothing was stored."
                ))
        }
        throw DomainRefusal(
            code: "choice_only", field: field, label: label,
            problem: Localized(
                vi:
                    "trường này do quy trình xử lý vụ việc ghi: xung đột chỉ được giải quyết bằng cách chọn một trong các giá trị đang có, không nhập giá trị mới",
                en:
                    "the case workflow writes this field: its conflict is decided only by choosing one of its values, not by typing a new one"
            ),
            accepted: Localized(
                vi:
                    "Chọn một giá trị đã hiện; để chuyển bước, thực hiện bước đó từ trang của hồ sơ vụ việc (hoặc lệnh `case`). Không có gì được lưu.",
                en:
                    "Choose one of the values shown; to move the case on, take the step from the case's page (or the `case` command). Nothing was stored."
            ))
    }
}

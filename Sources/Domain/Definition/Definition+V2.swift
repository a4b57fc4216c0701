/// Definition version 2: version 1 and the two collections reports need. Both hold figures,
/// never a child: `aggregates` (indicator values, what a hub under the `aggregates` or
/// `redacted` upstream policy sends up in place of the records they count) and
/// `report_approvals` (a unit's periodic report submitted, approved or returned, with the
/// figures as they stood when it was decided).
extension DomainDefinition {
    public static let version2 = DomainDefinition(
        version: 2,
        collections: version1.collections + [Collections.aggregates, Collections.reportApprovals])
}

private func l(_ vi: String, _ en: String) -> Localized { Localized(vi: vi, en: en) }

/// A report's figures as kept with its approval: every cell that was not zero.
private let figureList = FieldType.list(
    [
        FieldDefinition("indicator", l("Chỉ tiêu", "Indicator"), .text(maxLength: 16), required: true),
        FieldDefinition("breakdown", l("Phân tổ", "Breakdown"), .text(maxLength: 200)),
        FieldDefinition("value", l("Giá trị", "Value"), .integer(0...1_000_000_000), required: true),
    ], maxCount: 20_000)

extension Collections {
    /// One indicator value: its identity is the unit it counts, the period, the indicator and the
    /// breakdown cell (the record id is derived from them, so every hub that computes the same
    /// cell writes the same record). `source` is the unit of the hub that computed it, `bands`
    /// the age bands it used, so a hub reading it can tell figures it cannot add up.
    public static let aggregates: CollectionDefinition = CollectionDefinition(
        name: "aggregates", label: l("Số liệu tổng hợp", "Aggregates"),
        fields: [
            FieldDefinition("unit", l("Đơn vị", "Unit"), .unitCode, required: true),
            FieldDefinition("period", l("Kỳ báo cáo", "Period"), .text(maxLength: 32), required: true),
            FieldDefinition("indicator", l("Chỉ tiêu", "Indicator"), .text(maxLength: 16), required: true),
            FieldDefinition("breakdown", l("Phân tổ", "Breakdown"), .text(maxLength: 200)),
            FieldDefinition("value", l("Giá trị", "Value"), .integer(0...1_000_000_000), required: true),
            FieldDefinition("source", l("Đơn vị tổng hợp", "Computed by"), .unitCode, required: true),
            FieldDefinition("bands", l("Nhóm tuổi", "Age bands"), .text(maxLength: 100), required: true),
            FieldDefinition("computed_at", l("Thời điểm tổng hợp", "Computed at"), .instant, required: true),
        ])

    /// A unit's report for a period, as its approver sees it: submitted by the unit, approved or
    /// returned (with a reason) by the level above. `figures` keeps every cell as it stood when
    /// it was submitted, `approved_figures` as it stood when approved — a hub's field, which no
    /// node may write — so a later edit that changes a figure is shown, never refused.
    public static let reportApprovals: CollectionDefinition = CollectionDefinition(
        name: "report_approvals", label: l("Phê duyệt báo cáo", "Report approvals"),
        fields: [
            FieldDefinition("unit", l("Đơn vị", "Unit"), .unitCode, required: true),
            FieldDefinition("period", l("Kỳ báo cáo", "Period"), .text(maxLength: 32), required: true),
            FieldDefinition(
                "status", l("Trạng thái", "Status"), .choice(Enumerations.approvalStatus), required: true),
            FieldDefinition("submitted_at", l("Ngày gửi", "Submitted at"), .instant),
            FieldDefinition("submitted_by", l("Người gửi", "Submitted by"), .text(maxLength: 100)),
            FieldDefinition("decided_at", l("Ngày quyết định", "Decided at"), .instant),
            FieldDefinition("decided_by", l("Người quyết định", "Decided by"), .text(maxLength: 100)),
            FieldDefinition(
                "reason", l("Lý do trả lại", "Reason for return"), .text(maxLength: 500), personal: true),
            FieldDefinition(
                "approved_figures", l("Số liệu khi phê duyệt", "Figures when approved"), figureList),
            FieldDefinition(
                "figures", l("Số liệu khi gửi", "Figures when submitted"), figureList),
        ])
}

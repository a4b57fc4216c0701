/// Definition version 1: the collections a commune works with under Luật Trẻ em 2016 and Nghị
/// định 56/2017. Field names are the stored names (ASCII); labels are what workers read.
extension DomainDefinition {
    /// The definition this release writes.
    public static let current = version2

    public static let version1 = DomainDefinition(
        version: 1,
        collections: [
            Collections.children, Collections.intakes, Collections.cases, Collections.caseEvents,
            Collections.assessments, Collections.plans, Collections.referrals, Collections.visits,
            Collections.activities,
        ])
}

private func l(_ vi: String, _ en: String) -> Localized { Localized(vi: vi, en: en) }

/// The collections of version 1, one by one.
public enum Collections {
    public static let children: CollectionDefinition = CollectionDefinition(
        name: "children", label: l("Trẻ em", "Children"),
        fields: [
            FieldDefinition(
                "full_name", l("Họ và tên", "Full name"), .text(maxLength: 100), required: true, personal: true),
            FieldDefinition("sex", l("Giới tính", "Sex"), .choice(Enumerations.sex), required: true),
            FieldDefinition("date_of_birth", l("Ngày sinh", "Date of birth"), .date, required: true, personal: true),
            FieldDefinition("birth_date_estimated", l("Ngày sinh ước tính", "Date of birth estimated"), .bool),
            FieldDefinition(
                "national_id", l("Số định danh cá nhân", "Personal identity number"), .nationalID, personal: true),
            FieldDefinition("ethnicity", l("Dân tộc", "Ethnicity"), .choice(Enumerations.ethnicity), personal: true),
            FieldDefinition(
                "village", l("Thôn, bản, tổ dân phố", "Village"), .text(maxLength: 100), required: true, personal: true),
            FieldDefinition("address", l("Địa chỉ", "Address"), .text(maxLength: 200), personal: true),
            FieldDefinition(
                "household", l("Hộ gia đình (chủ hộ)", "Household (its head)"), .text(maxLength: 100), personal: true),
            FieldDefinition(
                "guardian_name", l("Người chăm sóc chính", "Main caregiver"), .text(maxLength: 100), personal: true),
            FieldDefinition(
                "guardian_phone", l("Điện thoại người chăm sóc", "Caregiver's phone"), .phone, personal: true),
            FieldDefinition(
                "caregivers", l("Người chăm sóc", "Caregivers"),
                .list(
                    [
                        FieldDefinition(
                            "name", l("Họ và tên", "Name"), .text(maxLength: 100), required: true, personal: true),
                        FieldDefinition(
                            "relationship", l("Quan hệ với trẻ", "Relationship"), .choice(Enumerations.relationship),
                            required: true),
                        FieldDefinition("phone", l("Điện thoại", "Phone"), .phone, personal: true),
                    ], maxCount: 10), personal: true),
            FieldDefinition("school_status", l("Tình trạng đi học", "Schooling"), .choice(Enumerations.schoolStatus)),
            FieldDefinition(
                "circumstances", l("Hoàn cảnh đặc biệt (Điều 10)", "Special circumstances (Article 10)"),
                .list(
                    [
                        FieldDefinition(
                            "group", l("Nhóm", "Group"), .choice(Enumerations.circumstanceGroup), required: true),
                        FieldDefinition("since", l("Từ ngày", "Since"), .date, required: true),
                        FieldDefinition("until", l("Đến ngày", "Until"), .date),
                    ], maxCount: 14), personal: true),
            FieldDefinition("at_risk", l("Có nguy cơ rơi vào hoàn cảnh đặc biệt", "At risk"), .bool),
            FieldDefinition(
                "at_risk_reason", l("Lý do có nguy cơ", "Why at risk"), .text(maxLength: 300), personal: true),
            FieldDefinition(
                "disability", l("Dạng khuyết tật", "Disability"), .choice(Enumerations.disability), personal: true),
            FieldDefinition("birth_registered", l("Đã đăng ký khai sinh", "Birth registered"), .bool),
            FieldDefinition("health_insurance", l("Có thẻ bảo hiểm y tế", "Health insurance"), .bool),
            FieldDefinition("notes", l("Ghi chú", "Notes"), .longText(maxLength: 4000), personal: true),
            FieldDefinition("lifecycle", l("Tình trạng quản lý", "Status"), .choice(Enumerations.lifecycle)),
        ],
        rules: [Rules.childUnder16, Rules.circumstanceDates, Rules.atRiskReason])

    public static let intakes: CollectionDefinition = CollectionDefinition(
        name: "intakes", label: l("Tiếp nhận thông tin (Mẫu 01)", "Reports received (form 01)"),
        fields: [
            FieldDefinition("received_at", l("Thời điểm tiếp nhận", "Received at"), .instant, required: true),
            FieldDefinition("received_by", l("Người tiếp nhận", "Received by"), .text(maxLength: 100), required: true),
            FieldDefinition("source", l("Nguồn thông tin", "Source"), .choice(Enumerations.source), required: true),
            FieldDefinition(
                "reporter_consent", l("Người báo tin đồng ý lưu danh tính", "Reporter consents to being identified"),
                .bool),
            FieldDefinition(
                "reporter_name", l("Họ tên người báo tin", "Reporter's name"), .text(maxLength: 100), personal: true),
            FieldDefinition(
                "reporter_phone", l("Điện thoại người báo tin", "Reporter's phone"), .phone, personal: true),
            FieldDefinition(
                "reporter_relationship", l("Quan hệ của người báo tin với trẻ", "Reporter's relationship to the child"),
                .text(maxLength: 100), personal: true),
            FieldDefinition("child_id", l("Trẻ em (đã có trong sổ)", "Child (registered)"), .reference("children")),
            FieldDefinition("child_name", l("Họ tên trẻ", "Child's name"), .text(maxLength: 100), personal: true),
            FieldDefinition("child_sex", l("Giới tính của trẻ", "Child's sex"), .choice(Enumerations.sexAtIntake)),
            FieldDefinition("child_age", l("Tuổi của trẻ", "Child's age"), .integer(0...15)),
            FieldDefinition(
                "child_address", l("Nơi ở của trẻ", "Where the child lives"), .text(maxLength: 200), personal: true),
            FieldDefinition(
                "abuse_types", l("Hình thức xâm hại nghi ngờ", "Suspected abuse"), .choices(Enumerations.abuseType),
                required: true),
            FieldDefinition("setting", l("Nơi xảy ra", "Where it happened"), .choice(Enumerations.setting)),
            FieldDefinition(
                "description", l("Nội dung thông tin", "What was reported"), .longText(maxLength: 4000), personal: true),
            FieldDefinition(
                "alleged_abuser", l("Người bị nghi gây hại", "Alleged abuser"), .text(maxLength: 200), personal: true),
            FieldDefinition("case_id", l("Hồ sơ vụ việc", "Case"), .reference("cases")),
        ],
        rules: [Rules.reporterConsent, Rules.intakeChild])

    public static let cases: CollectionDefinition = CollectionDefinition(
        name: "cases", label: l("Hồ sơ vụ việc", "Cases"),
        fields: [
            FieldDefinition("child_id", l("Trẻ em", "Child"), .reference("children"), required: true),
            FieldDefinition("intake_id", l("Phiếu tiếp nhận", "Report"), .reference("intakes")),
            FieldDefinition("case_type", l("Hình thức xâm hại", "Kind of abuse"), .choice(Enumerations.abuseType)),
            FieldDefinition("received_at", l("Thời điểm tiếp nhận", "Received at"), .instant, required: true),
            FieldDefinition("source", l("Nguồn thông tin", "Source"), .choice(Enumerations.source)),
            FieldDefinition("risk_level", l("Mức độ nguy cơ", "Risk level"), .choice(Enumerations.rating)),
            FieldDefinition("status", l("Bước xử lý", "Step"), .choice(Enumerations.caseStatus), required: true),
            FieldDefinition("status_at", l("Thời điểm chuyển bước", "Step since"), .instant),
            FieldDefinition("status_by", l("Người chuyển bước", "Step taken by"), .text(maxLength: 100)),
            FieldDefinition("assigned_worker", l("Cán bộ phụ trách", "Officer in charge"), .text(maxLength: 100)),
            FieldDefinition("serious_danger", l("Nguy hại nghiêm trọng", "Serious danger"), .bool),
            FieldDefinition("plan_cycle", l("Chu kỳ kế hoạch", "Plan cycle"), .integer(0...100)),
            FieldDefinition("plan", l("Tóm tắt kế hoạch", "Plan summary"), .longText(maxLength: 4000), personal: true),
            FieldDefinition("next_review", l("Ngày rà soát tiếp theo", "Next review"), .date),
            FieldDefinition("reopened_at", l("Mở lại lúc", "Reopened at"), .instant),
            FieldDefinition(
                "last_reassessment", l("Kết quả đánh giá lại gần nhất", "Latest reassessment"),
                .object([
                    FieldDefinition(
                        "residual_harm", l("Tổn hại còn lại", "Residual harm"), .choice(Enumerations.rating),
                        required: true),
                    FieldDefinition(
                        "abuser_access", l("Khả năng người gây hại tiếp cận trẻ", "Abuser's access"),
                        .choice(Enumerations.rating), required: true),
                    FieldDefinition(
                        "care_environment", l("Môi trường chăm sóc", "Care environment"), .choice(Enumerations.rating),
                        required: true),
                ])),
            FieldDefinition("placement_started_at", l("Bắt đầu bố trí nơi tạm thời", "Placement started"), .instant),
            FieldDefinition("placement_ended_at", l("Kết thúc bố trí nơi tạm thời", "Placement ended"), .instant),
            FieldDefinition(
                "return_reason", l("Lý do trả lại", "Reason for return"), .text(maxLength: 500), personal: true),
            FieldDefinition("transferred_to", l("Chuyển đến", "Transferred to"), .text(maxLength: 200), personal: true),
            FieldDefinition(
                "closure_reason", l("Lý do đóng hồ sơ", "Closure reason"), .choice(Enumerations.closureReason)),
            FieldDefinition("closed_at", l("Ngày đóng hồ sơ", "Closed at"), .instant),
            FieldDefinition(
                "closure_approved_by", l("Người phê duyệt đóng", "Closure approved by"), .text(maxLength: 100)),
            FieldDefinition("deadline_emergency", l("Hạn can thiệp khẩn cấp", "Emergency deadline"), .object(deadline)),
            FieldDefinition("deadline_plan", l("Hạn xây dựng kế hoạch", "Plan deadline"), .object(deadline)),
            FieldDefinition(
                "deadline_decision", l("Hạn quyết định của Chủ tịch", "Decision deadline"), .object(deadline)),
            FieldDefinition(
                "deadline_placement", l("Hạn kết thúc bố trí nơi tạm thời", "Placement deadline"), .object(deadline)),
        ])

    /// A deadline kept on a case: when it falls due and when it was met.
    static let deadline: [FieldDefinition] = [
        FieldDefinition("due", l("Hạn", "Due"), .instant, required: true),
        FieldDefinition("met", l("Đã thực hiện lúc", "Met at"), .instant),
    ]

    /// Each step a case took, with who and when: never edited, so two offices recording steps
    /// never conflict and the trail is the case's history.
    public static let caseEvents: CollectionDefinition = CollectionDefinition(
        name: "case_events", label: l("Diễn biến hồ sơ", "Case history"),
        fields: [
            FieldDefinition("case_id", l("Hồ sơ", "Case"), .reference("cases"), required: true),
            FieldDefinition("action", l("Thao tác", "Action"), .text(maxLength: 40), required: true),
            FieldDefinition("from", l("Từ bước", "From step"), .choice(Enumerations.caseStatus)),
            FieldDefinition("to", l("Sang bước", "To step"), .choice(Enumerations.caseStatus), required: true),
            FieldDefinition("at", l("Thời điểm", "At"), .instant, required: true),
            FieldDefinition("by", l("Người thực hiện", "By"), .text(maxLength: 100), required: true),
            FieldDefinition("role", l("Vai trò", "Role"), .text(maxLength: 100)),
            FieldDefinition("reason", l("Lý do", "Reason"), .text(maxLength: 500), personal: true),
        ])

    public static let assessments: CollectionDefinition = CollectionDefinition(
        name: "assessments", label: l("Đánh giá nguy cơ", "Assessments"),
        fields: [
            FieldDefinition("case_id", l("Hồ sơ", "Case"), .reference("cases"), required: true),
            FieldDefinition("kind", l("Loại đánh giá", "Kind"), .choice(Enumerations.assessmentKind), required: true),
            FieldDefinition("at", l("Thời điểm", "At"), .instant, required: true),
            FieldDefinition("by", l("Người đánh giá", "By"), .text(maxLength: 100), required: true),
            FieldDefinition("serious_danger", l("Nguy hại nghiêm trọng", "Serious danger"), .bool),
            FieldDefinition("risk_level", l("Mức độ nguy cơ", "Risk level"), .choice(Enumerations.rating)),
            FieldDefinition("residual_harm", l("Tổn hại còn lại", "Residual harm"), .choice(Enumerations.rating)),
            FieldDefinition(
                "abuser_access", l("Khả năng người gây hại tiếp cận trẻ", "Abuser's access to the child"),
                .choice(Enumerations.rating)),
            FieldDefinition(
                "care_environment", l("Môi trường chăm sóc", "Care environment"), .choice(Enumerations.rating)),
            FieldDefinition("findings", l("Nhận định", "Findings"), .longText(maxLength: 4000), personal: true),
            FieldDefinition(
                "needs", l("Nhu cầu của trẻ", "The child's needs"), .longText(maxLength: 2000), personal: true),
        ],
        rules: [Rules.reassessmentRatings])

    public static let plans: CollectionDefinition = CollectionDefinition(
        name: "plans", label: l("Kế hoạch hỗ trợ, can thiệp (Mẫu 04)", "Support plans (form 04)"),
        fields: [
            FieldDefinition("case_id", l("Hồ sơ", "Case"), .reference("cases"), required: true),
            FieldDefinition("cycle", l("Chu kỳ", "Cycle"), .integer(1...100), required: true),
            FieldDefinition("status", l("Trạng thái", "Status"), .choice(Enumerations.planStatus), required: true),
            FieldDefinition(
                "goals", l("Mục tiêu", "Goals"), .longText(maxLength: 4000), required: true, personal: true),
            FieldDefinition(
                "actions", l("Các hoạt động", "Actions"),
                .list(
                    [
                        FieldDefinition(
                            "service", l("Dịch vụ, hoạt động", "Service"), .text(maxLength: 200), required: true),
                        FieldDefinition(
                            "responsible", l("Người/cơ quan thực hiện", "Responsible"), .text(maxLength: 200),
                            required: true),
                        FieldDefinition("due", l("Thời hạn", "Due"), .date, required: true),
                        FieldDefinition("done", l("Ngày hoàn thành", "Done on"), .date),
                    ], maxCount: 50)),
            FieldDefinition("drafted_at", l("Ngày xây dựng", "Drafted at"), .instant),
            FieldDefinition("drafted_by", l("Người xây dựng", "Drafted by"), .text(maxLength: 100)),
            FieldDefinition("submitted_at", l("Ngày trình", "Submitted at"), .instant),
            FieldDefinition("decided_at", l("Ngày quyết định", "Decided at"), .instant),
            FieldDefinition("decided_by", l("Người quyết định", "Decided by"), .text(maxLength: 100)),
            FieldDefinition(
                "return_reason", l("Lý do trả lại", "Reason for return"), .text(maxLength: 500), personal: true),
        ])

    public static let referrals: CollectionDefinition = CollectionDefinition(
        name: "referrals", label: l("Chuyển gửi", "Referrals"),
        fields: [
            FieldDefinition("case_id", l("Hồ sơ", "Case"), .reference("cases"), required: true),
            FieldDefinition(
                "target", l("Loại cơ quan", "Kind of organisation"), .choice(Enumerations.referralTarget),
                required: true),
            FieldDefinition(
                "organisation", l("Cơ quan, tổ chức nhận", "Organisation"), .text(maxLength: 200), required: true),
            FieldDefinition("service", l("Dịch vụ đề nghị", "Service asked for"), .text(maxLength: 300)),
            FieldDefinition(
                "consent", l("Có sự đồng ý của trẻ/người chăm sóc", "Consent given"), .bool, required: true),
            FieldDefinition("status", l("Tình trạng", "Status"), .choice(Enumerations.referralStatus), required: true),
            FieldDefinition("at", l("Ngày chuyển gửi", "Referred at"), .instant, required: true),
            FieldDefinition("by", l("Người chuyển gửi", "Referred by"), .text(maxLength: 100), required: true),
            FieldDefinition("note", l("Ghi chú", "Note"), .longText(maxLength: 2000), personal: true),
        ],
        rules: [Rules.referralConsent])

    public static let visits: CollectionDefinition = CollectionDefinition(
        name: "visits", label: l("Theo dõi, thăm hỏi", "Follow-up visits"),
        fields: [
            FieldDefinition("case_id", l("Hồ sơ", "Case"), .reference("cases"), required: true),
            FieldDefinition("at", l("Ngày thăm", "Visited at"), .instant, required: true),
            FieldDefinition("by", l("Người thăm", "Visited by"), .text(maxLength: 100), required: true),
            FieldDefinition("child_seen", l("Đã gặp trẻ", "Child seen"), .bool),
            FieldDefinition("notes", l("Ghi chép", "Notes"), .longText(maxLength: 4000), personal: true),
        ])

    public static let activities: CollectionDefinition = CollectionDefinition(
        name: "activities", label: l("Hoạt động truyền thông, tập huấn, diễn đàn", "Activities"),
        fields: [
            FieldDefinition("date", l("Ngày", "Date"), .date, required: true),
            FieldDefinition("kind", l("Loại hoạt động", "Kind"), .choice(Enumerations.activityKind), required: true),
            FieldDefinition("topic", l("Chủ đề", "Topic"), .text(maxLength: 300), required: true),
            FieldDefinition("village", l("Địa điểm", "Place"), .text(maxLength: 100)),
            FieldDefinition("children_male", l("Trẻ em nam tham gia", "Boys"), .integer(0...100_000)),
            FieldDefinition("children_female", l("Trẻ em nữ tham gia", "Girls"), .integer(0...100_000)),
            FieldDefinition("adults_male", l("Người lớn nam tham gia", "Men"), .integer(0...100_000)),
            FieldDefinition("adults_female", l("Người lớn nữ tham gia", "Women"), .integer(0...100_000)),
            FieldDefinition(
                "families", l("Số hộ gia đình có trẻ em được tiếp cận", "Families reached"), .integer(0...100_000)),
            FieldDefinition("notes", l("Ghi chú", "Notes"), .longText(maxLength: 2000), personal: true),
        ],
        rules: [Rules.activityParticipants])
}

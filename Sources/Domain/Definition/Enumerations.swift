/// The enumerations of definition version 1: codes are stored, labels are read.
public enum Enumerations {
    private static func v(_ code: String, _ vi: String, _ en: String, aliases: [String] = []) -> Enumeration.Value {
        Enumeration.Value(code, Localized(vi: vi, en: en), aliases: aliases)
    }

    public static let sex = Enumeration(
        "sex",
        [v("M", "Nam", "male", aliases: ["nam", "male"]), v("F", "Nữ", "female", aliases: ["nữ", "nu", "female"])])

    /// At intake the child's sex may not be known yet.
    public static let sexAtIntake = Enumeration(
        "sex_at_intake",
        sex.values + [v("U", "Chưa rõ", "unknown", aliases: ["chưa rõ", "chua ro", "unknown"])])

    public static let ethnicity = Enumeration(
        "ethnicity",
        [
            v("kinh", "Kinh", "Kinh"), v("tay", "Tày", "Tay"), v("thai", "Thái", "Thai"),
            v("muong", "Mường", "Muong"), v("khmer", "Khmer", "Khmer"), v("hmong", "Mông", "Hmong"),
            v("nung", "Nùng", "Nung"), v("dao", "Dao", "Dao"), v("gia_rai", "Gia Rai", "Jarai"),
            v("e_de", "Ê Đê", "Ede"), v("other", "Dân tộc khác", "another ethnic group"),
        ])

    public static let schoolStatus = Enumeration(
        "school_status",
        [
            v("not_yet", "Chưa đến tuổi đi học", "not yet of school age"), v("preschool", "Mầm non", "preschool"),
            v("primary", "Tiểu học", "primary school"), v("lower_secondary", "Trung học cơ sở", "lower secondary"),
            v("upper_secondary", "Trung học phổ thông", "upper secondary"),
            v("out_of_school", "Bỏ học / không đi học", "out of school"),
        ])

    /// Luật Trẻ em 2016, Điều 10 khoản 1: the 14 groups of children in special circumstances.
    /// The law's letter `đ` is stored as `dd` (codes are ASCII); both are accepted on input.
    public static let circumstanceGroup = Enumeration(
        "circumstance_group",
        [
            v("a", "Mồ côi cả cha và mẹ", "orphaned of both parents"),
            v("b", "Bị bỏ rơi", "abandoned"),
            v("c", "Không nơi nương tựa", "without anyone to rely on"),
            v("d", "Khuyết tật", "with a disability"),
            v("dd", "Nhiễm HIV/AIDS", "living with HIV/AIDS", aliases: ["đ"]),
            v("e", "Vi phạm pháp luật", "in conflict with the law"),
            v("g", "Nghiện ma túy", "addicted to drugs"),
            v(
                "h", "Phải bỏ học kiếm sống, chưa hoàn thành phổ cập giáo dục THCS",
                "out of school to earn a living before completing lower secondary"),
            v(
                "i", "Bị tổn hại nghiêm trọng về thể chất và tinh thần do bị bạo lực",
                "seriously harmed by violence"),
            v("k", "Bị bóc lột", "exploited"),
            v("l", "Bị xâm hại tình dục", "sexually abused"),
            v("m", "Bị mua bán", "trafficked"),
            v(
                "n", "Mắc bệnh hiểm nghèo hoặc bệnh phải điều trị dài ngày, thuộc hộ nghèo/cận nghèo",
                "seriously or chronically ill, in a poor or near-poor household"),
            v(
                "o", "Di cư, lánh nạn, tị nạn chưa xác định được cha mẹ hoặc không có người chăm sóc",
                "migrant, displaced or refugee without known parents or carer"),
        ])

    public static let disability = Enumeration(
        "disability",
        [
            v("physical", "Khuyết tật vận động", "physical"), v("hearing", "Khuyết tật nghe, nói", "hearing or speech"),
            v("visual", "Khuyết tật nhìn", "visual"),
            v("psychosocial", "Khuyết tật thần kinh, tâm thần", "psychosocial"),
            v("intellectual", "Khuyết tật trí tuệ", "intellectual"), v("multiple", "Đa tật", "multiple"),
            v("other", "Khuyết tật khác", "other"),
        ])

    public static let lifecycle = Enumeration(
        "lifecycle",
        [
            v("active", "Đang quản lý", "active"), v("moved_away", "Đã chuyển đi", "moved away"),
            v("turned_16", "Đã đủ 16 tuổi", "turned 16"), v("deceased", "Đã mất", "deceased"),
        ])

    public static let relationship = Enumeration(
        "relationship",
        [
            v("mother", "Mẹ", "mother"), v("father", "Cha", "father"), v("grandparent", "Ông/bà", "grandparent"),
            v("sibling", "Anh/chị", "older sibling"), v("relative", "Họ hàng", "relative"),
            v("guardian", "Người giám hộ", "legal guardian"),
            v("foster", "Gia đình nhận chăm sóc thay thế", "foster carer"),
            v("other", "Khác", "other"),
        ])

    /// Where a report of abuse came from (Mẫu 01).
    public static let source = Enumeration(
        "source",
        [
            v("hotline_111", "Tổng đài 111", "hotline 111", aliases: ["111"]), v("police", "Công an", "police"),
            v("school", "Nhà trường", "school"), v("health_station", "Trạm y tế", "health station"),
            v("village_collaborator", "Cộng tác viên thôn, bản", "village collaborator"),
            v("family", "Gia đình", "family"), v("child", "Trẻ em tự báo", "the child"),
            v("community", "Cộng đồng, hàng xóm", "community"), v("other", "Khác", "other"),
        ])

    /// Luật Trẻ em 2016, Điều 4: the forms of abuse (xâm hại).
    public static let abuseType = Enumeration(
        "abuse_type",
        [
            v("violence", "Bạo lực", "violence"), v("sexual_abuse", "Xâm hại tình dục", "sexual abuse"),
            v("exploitation", "Bóc lột", "exploitation"), v("trafficking", "Mua bán", "trafficking"),
            v("abandonment", "Bỏ rơi", "abandonment"), v("neglect", "Bỏ mặc", "neglect"),
            v("other", "Khác", "other"),
        ])

    public static let setting = Enumeration(
        "setting",
        [
            v("family", "Gia đình", "family"), v("school", "Trường học", "school"),
            v("community", "Cộng đồng", "community"), v("online", "Trên mạng", "online"), v("other", "Khác", "other"),
        ])

    public static let rating = Enumeration(
        "rating",
        [
            v("high", "Cao", "high", aliases: ["cao"]), v("medium", "Trung bình", "medium", aliases: ["trung binh"]),
            v("low", "Thấp", "low", aliases: ["thap", "thấp"]),
        ])

    public static let assessmentKind = Enumeration(
        "assessment_kind",
        [
            v("initial", "Đánh giá nguy cơ ban đầu (Mẫu 02)", "initial risk assessment (form 02)"),
            v("detailed", "Đánh giá nguy cơ cụ thể (Mẫu 03)", "detailed assessment (form 03)"),
            v("reassessment", "Đánh giá lại trước khi đóng (Mẫu 06)", "reassessment before closure (form 06)"),
        ])

    public static let planStatus = Enumeration(
        "plan_status",
        [
            v("draft", "Bản nháp", "draft"), v("submitted", "Đã trình", "submitted"),
            v("approved", "Đã phê duyệt", "approved"), v("returned", "Bị trả lại", "returned"),
        ])

    public static let referralTarget = Enumeration(
        "referral_target",
        [
            v("police", "Công an", "police"), v("health", "Cơ sở y tế", "health"), v("school", "Nhà trường", "school"),
            v("legal_aid", "Trợ giúp pháp lý", "legal aid"),
            v("social_services", "Cơ sở trợ giúp xã hội", "social services"),
            v("other", "Khác", "other"),
        ])

    public static let referralStatus = Enumeration(
        "referral_status",
        [
            v("in_progress", "Đang chuyển gửi", "in progress"), v("accepted", "Đã tiếp nhận", "accepted"),
            v("rejected", "Bị từ chối", "rejected"), v("done", "Đã hoàn thành", "done"),
            v("revoked", "Đã hủy", "revoked"),
        ])

    public static let closureReason = Enumeration(
        "closure_reason",
        [
            v("safe", "Trẻ đã an toàn, các nguy cơ đã được giải quyết", "the child is safe, risks resolved"),
            v("moved", "Trẻ chuyển nơi ở", "the child moved"),
            v("turned_16", "Trẻ đã đủ 16 tuổi", "the child turned 16"),
            v("deceased", "Trẻ đã mất", "the child died"), v("other", "Lý do khác", "another reason"),
        ])

    public static let activityKind = Enumeration(
        "activity_kind",
        [
            v("communication", "Truyền thông", "communication session"), v("training", "Tập huấn", "training"),
            v("child_forum", "Diễn đàn trẻ em", "child forum"), v("other", "Khác", "other"),
        ])

    /// Where a unit's periodic report stands (DHIS2's approval levels, one level above the unit).
    public static let approvalStatus = Enumeration(
        "approval_status",
        [
            v("submitted", "Đã gửi", "submitted"), v("approved", "Đã phê duyệt", "approved"),
            v("returned", "Bị trả lại", "returned"),
        ])
}

extension Enumerations {
    /// The steps of a case (Nghị định 56/2017, Điều 20–30), as the case workflow names them.
    public static let caseStatus = Enumeration(
        "case_status",
        [
            v("received", "Tiếp nhận", "received"), v("initial_assessment", "Đánh giá ban đầu", "initial assessment"),
            v("emergency", "Can thiệp khẩn cấp", "emergency intervention"),
            v("detailed_assessment", "Đánh giá cụ thể", "detailed assessment"),
            v("plan_drafting", "Xây dựng kế hoạch", "drafting the plan"),
            v("plan_submitted", "Chờ phê duyệt kế hoạch", "plan awaiting approval"),
            v("implementing", "Thực hiện kế hoạch", "implementing the plan"),
            v("reassessment", "Đánh giá lại", "reassessment"),
            v("closure_submitted", "Chờ phê duyệt đóng hồ sơ", "closure awaiting approval"),
            v("closed", "Đã đóng", "closed"), v("not_substantiated", "Không có căn cứ", "not substantiated"),
            v("transferred", "Đã chuyển", "transferred"), v("reopened", "Mở lại", "reopened"),
        ])
}

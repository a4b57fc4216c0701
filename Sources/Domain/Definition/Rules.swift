import SyncCore

/// The rules across fields of definition version 1.
enum Rules {
    private static func refuse(
        _ code: String, _ field: String, _ label: Localized, _ problem: Localized, _ accepted: Localized
    ) -> DomainRefusal {
        DomainRefusal(code: code, field: field, label: label, problem: problem, accepted: accepted)
    }

    private static func label(_ collection: CollectionDefinition, _ field: String) -> Localized {
        collection.field(field)?.label ?? Localized(vi: field, en: field)
    }

    /// Luật Trẻ em 2016, Điều 1: a child is under 16. A record of a child who has turned 16 stays
    /// (its lifecycle says so), but a date of birth that makes an active child 16 or older, or
    /// one in the future, is a typing mistake.
    static let childUnder16: RecordRule = RecordRule(name: "child_under_16") { fields, context throws(DomainRefusal) in
        // A child who turns 16 on the register stays editable; the age is checked when the date
        // of birth or the lifecycle is written.
        guard context.changed.contains("date_of_birth") || context.changed.contains("lifecycle") else { return }
        guard let text = fields["date_of_birth"]?.stringValue, let birth = LocalDate(iso: text) else { return }
        let label = label(Collections.children, "date_of_birth")
        if birth > context.today {
            throw refuse(
                "bad_value", "date_of_birth", label,
                Localized(vi: "ngày \(birth.display) ở tương lai", en: "\(birth.display) is in the future"),
                Localized(vi: "Nhập ngày sinh đã qua (dd/mm/yyyy).", en: "Give a date in the past (dd/mm/yyyy)."))
        }
        let lifecycle = fields["lifecycle"]?.stringValue ?? "active"
        let sixteenth = (birth.year + 16, birth.month, birth.day)
        let today = (context.today.year, context.today.month, context.today.day)
        if lifecycle == "active" && !(today < sixteenth) {
            throw refuse(
                "bad_value", "date_of_birth", label,
                Localized(
                    vi:
                        "sinh ngày \(birth.display) thì trẻ đã đủ 16 tuổi — Luật Trẻ em chỉ áp dụng cho người dưới 16 tuổi",
                    en: "born \(birth.display), the child is 16 or older — the Law on Children covers those under 16"),
                Localized(
                    vi: "Kiểm tra lại ngày sinh; nếu trẻ đã đủ 16 tuổi, đặt tình trạng quản lý là \"Đã đủ 16 tuổi\".",
                    en: "Check the date; for a child who has turned 16, set the status to \"turned 16\"."))
        }
    }

    /// A group's period ends after it starts.
    static let circumstanceDates: RecordRule = RecordRule(name: "circumstance_dates") {
        fields, _ throws(DomainRefusal) in
        guard case .array(let items)? = fields["circumstances"] else { return }
        var seen = Set<String>()
        for case .object(let item) in items {
            let group = item["group"]?.stringValue ?? ""
            let open = item["until"] == nil || item["until"] == .null
            if open && !seen.insert(group).inserted {
                throw refuse(
                    "bad_value", "circumstances", label(Collections.children, "circumstances"),
                    Localized(
                        vi: "nhóm \(group) được ghi hai lần cùng lúc", en: "group \(group) is listed twice at once"),
                    Localized(
                        vi: "Mỗi nhóm chỉ một lần cho mỗi giai đoạn; kết thúc giai đoạn cũ (đến ngày) trước.",
                        en: "List each group once per period; end the earlier period (until) first."))
            }
            if let since = item["since"]?.stringValue, let until = item["until"]?.stringValue,
                let start = LocalDate(iso: since), let end = LocalDate(iso: until), end < start
            {
                throw refuse(
                    "bad_value", "circumstances", label(Collections.children, "circumstances"),
                    Localized(
                        vi: "nhóm \(group) kết thúc (\(end.display)) trước khi bắt đầu (\(start.display))",
                        en: "group \(group) ends (\(end.display)) before it starts (\(start.display))"),
                    Localized(vi: "Ngày kết thúc phải sau ngày bắt đầu.", en: "The end must follow the start."))
            }
        }
    }

    static let atRiskReason: RecordRule = RecordRule(name: "at_risk_reason") { fields, _ throws(DomainRefusal) in
        if fields["at_risk"] == .bool(true), (fields["at_risk_reason"]?.stringValue ?? "").isEmpty {
            throw refuse(
                "missing", "at_risk_reason", label(Collections.children, "at_risk_reason"),
                Localized(vi: "chưa ghi lý do trẻ có nguy cơ", en: "no reason is given for the risk"),
                Localized(vi: "Ghi ngắn gọn lý do (ví dụ: cha mẹ đi làm ăn xa).", en: "Say briefly why."))
        }
    }

    /// Nghị định 56/2017: the reporter's identity is confidential and kept only with consent.
    static let reporterConsent: RecordRule = RecordRule(name: "reporter_consent") { fields, _ throws(DomainRefusal) in
        guard fields["reporter_consent"] != .bool(true) else { return }
        for name in ["reporter_name", "reporter_phone", "reporter_relationship"] where fields[name] != nil {
            throw refuse(
                "not_allowed", name, label(Collections.intakes, name),
                Localized(
                    vi: "danh tính người báo tin chỉ được lưu khi họ đồng ý",
                    en: "the reporter's identity is kept only with their consent"),
                Localized(
                    vi:
                        "Hỏi người báo tin; nếu họ đồng ý, ghi nhận sự đồng ý (--consent); nếu không, để trống (báo tin ẩn danh).",
                    en:
                        "Ask the reporter; with their consent record it (--consent), otherwise leave the identity out (anonymous)."
                ))
        }
    }

    /// A report names the child: a registered one, or at least a name or an address to find them.
    static let intakeChild: RecordRule = RecordRule(name: "intake_child") { fields, _ throws(DomainRefusal) in
        if fields["child_id"] == nil && fields["child_name"] == nil && fields["child_address"] == nil {
            throw refuse(
                "missing", "child_id", label(Collections.intakes, "child_id"),
                Localized(vi: "chưa xác định được trẻ", en: "the child is not identified"),
                Localized(
                    vi: "Chọn trẻ trong sổ, hoặc ghi tên hay nơi ở của trẻ.",
                    en: "Choose a registered child, or give the child's name or whereabouts."))
        }
    }

    /// Mẫu 06 rates all three risks at once.
    static let reassessmentRatings: RecordRule = RecordRule(name: "reassessment_ratings") {
        fields, _ throws(DomainRefusal) in
        guard fields["kind"]?.stringValue == "reassessment" else { return }
        for name in ["residual_harm", "abuser_access", "care_environment"] where fields[name] == nil {
            throw refuse(
                "missing", name, label(Collections.assessments, name),
                Localized(vi: "Mẫu 06 cần đánh giá mục này", en: "form 06 rates this risk"),
                Localized(vi: "Chọn: cao, trung bình hoặc thấp.", en: "Choose high, medium or low."))
        }
    }

    static let referralConsent: RecordRule = RecordRule(name: "referral_consent") { fields, _ throws(DomainRefusal) in
        // Without consent a referral cannot go on: withdrawn consent ends it (revoked).
        if fields["consent"] == .bool(false), let status = fields["status"]?.stringValue,
            status != "revoked" && status != "rejected"
        {
            throw refuse(
                "not_allowed", "consent", label(Collections.referrals, "consent"),
                Localized(
                    vi: "không thể chuyển gửi khi chưa có sự đồng ý", en: "a referral cannot proceed without consent"),
                Localized(
                    vi:
                        "Ghi nhận sự đồng ý trước; nếu trẻ hoặc người chăm sóc rút lại sự đồng ý, đặt tình trạng \"Đã hủy\" (revoked).",
                    en: "Record consent first; if the child or carer withdraws it, set the status to revoked."))
        }
    }

    static let activityParticipants: RecordRule = RecordRule(name: "activity_participants") {
        fields, _ throws(DomainRefusal) in
        let counts = ["children_male", "children_female", "adults_male", "adults_female"].compactMap {
            if case .int(let value)? = fields[$0] { return value }
            return nil
        }
        if counts.reduce(0, +) == 0 {
            throw refuse(
                "missing", "children_male", Localized(vi: "Người tham gia", en: "Participants"),
                Localized(vi: "chưa ghi số người tham gia", en: "no participants are counted"),
                Localized(
                    vi: "Ghi số trẻ em và người lớn tham gia, theo giới tính.",
                    en: "Count the children and adults who took part, by sex."))
        }
    }
}

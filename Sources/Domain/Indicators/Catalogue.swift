private func l(_ vi: String, _ en: String) -> Localized { Localized(vi: vi, en: en) }

/// The indicators Tre computes, as data. Codes follow the structure of Thông tư
/// 13/2021/TT-BLĐTBXH (two digits of group, two of sequence; 0101 "Số trẻ em bị xâm hại" is the
/// circular's own): group 01 protection, 02 children and their rights to a birth registration
/// and health insurance, 03 communication, training and participation.
public enum Catalogue {
    static let child = l("trẻ em", "children")
    static let report = l("tin báo", "reports")
    static let caseName = l("vụ việc", "cases")

    static let plan2030 = l(
        "Chương trình hành động quốc gia vì trẻ em 2021–2030 (QĐ 23/QĐ-TTg)",
        "National Action Programme for Children 2021–2030 (Decision 23/QĐ-TTg)")
    static let provincialPlans = l("Kế hoạch bảo vệ trẻ em của tỉnh", "The province's child-protection plan")

    public static let indicators: [Indicator] = [
        Indicator(
            "0101", l("Số trẻ em bị xâm hại", "Children abused"),
            counts: l(
                "Trẻ em có vụ việc xâm hại được tiếp nhận trong kỳ (mỗi trẻ một lần), theo hình thức, giới tính, nhóm tuổi và nơi xảy ra",
                "Children with a case of abuse received in the period (each child once), by kind, sex, age group and setting"
            ),
            breakdowns: [[.type], [.sex], [.age], [.setting]], overlapping: [.type, .setting], unitName: child),
        Indicator(
            "0102", l("Tỷ lệ trẻ em bị xâm hại", "Share of children abused"),
            counts: l("Số trẻ em bị xâm hại (0101) trên tổng số trẻ em (0201)", "0101 over all children (0201)"),
            measure: .share(numerator: "0101", denominator: "0201"), breakdowns: [[.sex], [.age]],
            targets: [
                Target(comparison: .atMost, percent: 4.5, year: 2025, source: plan2030),
                Target(comparison: .atMost, percent: 4, year: 2030, source: plan2030),
            ], unitName: l("%", "%")),
        Indicator(
            "0103", l("Số trẻ em có hoàn cảnh đặc biệt", "Children in special circumstances"),
            counts: l(
                "Trẻ em thuộc ít nhất một nhóm của Điều 10 Luật Trẻ em vào cuối kỳ, theo nhóm và giới tính",
                "Children in at least one group of Article 10 at the period's end, by group and sex"),
            breakdowns: [[.group], [.sex], [.age]], overlapping: [.group], unitName: child),
        Indicator(
            "0104", l("Số trẻ em có hoàn cảnh đặc biệt được trợ giúp", "Children in special circumstances supported"),
            counts: l(
                "Trẻ em có hoàn cảnh đặc biệt có vụ việc được xử lý trong kỳ (tiếp nhận đến cuối kỳ, chưa đóng trước đầu kỳ)",
                "Children in special circumstances with a case handled in the period (received by its end, not closed before its start)"
            ),
            breakdowns: [[.sex]], unitName: child),
        Indicator(
            "0105",
            l(
                "Tỷ lệ trẻ em có hoàn cảnh đặc biệt được trợ giúp",
                "Share of children in special circumstances supported"),
            counts: l("0104 trên 0103", "0104 over 0103"), measure: .share(numerator: "0104", denominator: "0103"),
            breakdowns: [[.sex]], unitName: l("%", "%")),
        Indicator(
            "0106", l("Số trẻ em có nguy cơ rơi vào hoàn cảnh đặc biệt", "Children at risk"),
            counts: l(
                "Trẻ em được ghi nhận có nguy cơ vào cuối kỳ", "Children recorded as at risk at the period's end"),
            breakdowns: [[.sex], [.age]], unitName: child),
        Indicator(
            "0107", l("Số tin báo, tố giác được tiếp nhận", "Reports received"),
            counts: l(
                "Phiếu tiếp nhận (Mẫu 01) trong kỳ, theo nguồn tin",
                "Reports (form 01) received in the period, by source"),
            breakdowns: [[.source]], unitName: report),
        Indicator(
            "0108", l("Số tin báo đã được giải quyết", "Reports resolved"),
            counts: l(
                "Tin báo tiếp nhận trong kỳ có vụ việc đã kết thúc (đóng, không có căn cứ, đã chuyển) đến cuối kỳ",
                "Reports received in the period whose case had ended (closed, not substantiated, transferred) by its end"
            ),
            breakdowns: [[.source]], unitName: report),
        Indicator(
            "0109", l("Tỷ lệ tin báo được giải quyết", "Share of reports resolved"),
            counts: l("0108 trên 0107", "0108 over 0107"), measure: .share(numerator: "0108", denominator: "0107"),
            breakdowns: [[.source]],
            targets: [Target(comparison: .atLeast, percent: 95, year: 2030, source: provincialPlans)],
            unitName: l("%", "%")),
        Indicator(
            "0110", l("Số vụ việc được tiếp nhận", "Cases received"),
            counts: l(
                "Hồ sơ vụ việc tiếp nhận trong kỳ, theo hình thức xâm hại",
                "Cases received in the period, by kind of abuse"),
            breakdowns: [[.type]], unitName: caseName),
        Indicator(
            "0111", l("Số vụ việc đang xử lý theo bước", "Open cases by step"),
            counts: l(
                "Vụ việc chưa kết thúc vào cuối kỳ, theo bước xử lý lúc đó",
                "Cases not ended at the period's end, by the step they were at"),
            breakdowns: [[.step]], unitName: caseName),
        Indicator(
            "0112", l("Số vụ việc quá hạn", "Cases overdue"),
            counts: l(
                "Vụ việc chưa kết thúc vào cuối kỳ có một thời hạn (can thiệp khẩn cấp, kế hoạch, quyết định, nơi tạm thời) đã qua mà chưa thực hiện",
                "Cases not ended at the period's end with a deadline (emergency, plan, decision, placement) past and not met by then"
            ),
            unitName: caseName),
        Indicator(
            "0113", l("Số vụ việc kết thúc trong kỳ", "Cases ended in the period"),
            counts: l("Vụ việc kết thúc trong kỳ, theo lý do", "Cases that ended in the period, by reason"),
            breakdowns: [[.reason]], unitName: caseName),
        Indicator(
            "0201", l("Số trẻ em", "Children"),
            counts: l(
                "Trẻ em dưới 16 tuổi vào cuối kỳ đang được quản lý, theo giới tính và nhóm tuổi",
                "Children under 16 at the period's end, in the commune's care, by sex and age group"),
            breakdowns: [[.sex], [.age], [.sex, .age]], unitName: child),
        Indicator(
            "0202", l("Số trẻ em đã được đăng ký khai sinh", "Children with a registered birth"),
            counts: l("Trẻ em (0201) đã đăng ký khai sinh", "Children (0201) whose birth is registered"),
            breakdowns: [[.sex]], unitName: child),
        Indicator(
            "0203", l("Tỷ lệ trẻ em được đăng ký khai sinh", "Share of children with a registered birth"),
            counts: l("0202 trên 0201", "0202 over 0201"), measure: .share(numerator: "0202", denominator: "0201"),
            breakdowns: [[.sex]],
            targets: [Target(comparison: .atLeast, percent: 100, year: 2030, source: provincialPlans)],
            unitName: l("%", "%")),
        Indicator(
            "0204", l("Số trẻ em có thẻ bảo hiểm y tế", "Children with health insurance"),
            counts: l("Trẻ em (0201) có thẻ bảo hiểm y tế", "Children (0201) with a health-insurance card"),
            breakdowns: [[.sex]], unitName: child),
        Indicator(
            "0205", l("Tỷ lệ trẻ em có thẻ bảo hiểm y tế", "Share of children with health insurance"),
            counts: l("0204 trên 0201", "0204 over 0201"), measure: .share(numerator: "0204", denominator: "0201"),
            breakdowns: [[.sex]], unitName: l("%", "%")),
        Indicator(
            "0301", l("Số hoạt động truyền thông, tập huấn, diễn đàn", "Activities held"),
            counts: l("Hoạt động tổ chức trong kỳ, theo loại", "Activities held in the period, by kind"),
            breakdowns: [[.kind]], unitName: l("hoạt động", "activities")),
        Indicator(
            "0302", l("Số lượt người được tiếp cận", "People reached"),
            counts: l(
                "Người tham gia các hoạt động trong kỳ, theo giới tính",
                "Participants in the period's activities, by sex"),
            breakdowns: [[.audience]], unitName: l("lượt người", "people")),
        Indicator(
            "0303", l("Số lượt hộ gia đình có trẻ em được tiếp cận", "Families with children reached"),
            counts: l(
                "Hộ gia đình có trẻ em được tiếp cận qua các hoạt động trong kỳ",
                "Families with children reached by the period's activities"),
            unitName: l("lượt hộ", "families")),
    ]

    private static let index: [String: Int] = Dictionary(
        uniqueKeysWithValues: indicators.enumerated().map { ($1.code, $0) })

    public static func indicator(_ code: String) -> Indicator? { index[code].map { indicators[$0] } }

    /// The counts (what is summed and sent as aggregates), in catalogue order.
    public static var counts: [Indicator] { indicators.filter { !$0.isShare } }
}

/// The child-protection domain's vocabulary, for the wire's preset zlib dictionary.
///
/// A commune's night is a few dozen changes: too little text for zlib to find repeats in, so
/// most strings would travel whole. Both ends start from this text instead, and a string in it
/// costs a back-reference of two or three bytes. It holds the schema's names and enumerations
/// and the Vietnamese words commune workers write in names, addresses, notes and case plans.
///
/// The text is frozen: a change set names its dictionary by the Adler-32 of these bytes, and a
/// reader must hold the same bytes to inflate it. To change it, add a new version and keep the
/// old one readable until every node has been upgraded.
public enum WireVocabulary {
    /// Version 1. zlib prefers what comes last (shorter distances): the most frequent strings
    /// are at the end.
    public static let version1: [UInt8] = Array(
        (casework + " " + places + " " + names + " " + schema).utf8)

    /// Words of notes and case plans, from casework in Vietnamese.
    public static let casework = """
        tổng đài 111 đường dây nóng tiếp nhận thông tin báo cáo đề nghị xác minh kết quả biên bản \
        Ủy ban nhân dân UBND xã phường thị trấn huyện tỉnh Phòng Lao động Thương binh Xã hội \
        hội phụ nữ đoàn thanh niên hội nông dân trưởng thôn trưởng bản già làng công an xã \
        trạm y tế bệnh viện khám bệnh sức khỏe bảo hiểm y tế thuốc điều trị dinh dưỡng suy dinh dưỡng \
        giấy khai sinh đăng ký khai sinh hộ khẩu căn cước trợ cấp xã hội trợ giúp gạo quần áo \
        tảo hôn mua bán bóc lột lao động sớm xâm hại tình dục bạo lực gia đình đánh đập bỏ rơi \
        sao nhãng mồ côi cả cha lẫn mẹ khuyết tật nhiễm HIV nghiện ma túy vi phạm pháp luật \
        lang thang bỏ học nghỉ học chuyển trường học lại tái hòa nhập chuyển tuyến can thiệp \
        kế hoạch hỗ trợ can thiệp tư vấn tâm lý tham vấn đánh giá nguy cơ an toàn bảo vệ chăm sóc \
        thay thế nhận nuôi cơ sở trợ giúp xã hội nhà tạm lánh cán bộ cán bộ xã cộng tác viên \
        giáo viên chủ nhiệm cô giáo thầy giáo nhà trường lớp học sinh học bổng sách vở đồ dùng \
        làm nương rẫy đi làm thuê làm ăn xa đi làm xa xuất khẩu lao động ly hôn ly thân mất sớm \
        đã đến thăm thăm hộ thăm nhà gặp trao đổi với gia đình cháu ở với ông bà sống với \
        một mình anh chị em cha mẹ bố mẹ người giám hộ hộ nghèo hộ cận nghèo khó khăn \
        hoàn cảnh đặc biệt cần theo dõi thêm tiếp tục theo dõi đi học đều chưa được có không \
        đã được đang bị và của cho tại trong sau trước khi nếu vì nên cần thêm các những một \
        tháng tuần ngày năm
        """

    /// Words of villages and addresses.
    public static let places = """
        Xóm Khu phố Tổ dân phố Thôn Bản Ấp Buôn Làng Sóc Số nhà ngõ hẻm kiệt đường \
        Hai Bà Trưng Trần Hưng Đạo Nguyễn Huệ Lê Duẩn Điện Biên Phủ Võ Nguyên Giáp Phan Chu Trinh \
        Phan Bội Châu Nguyễn Du Lê Thánh Tông Ngô Quyền Lê Hồng Phong Nguyễn Văn Cừ Hoàng Văn Thụ \
        Lê Lợi Trần Phú Quang Trung Nguyễn Trãi Hùng Vương Lý Thường Kiệt
        """

    /// Parts of Vietnamese names, Kinh and minority peoples', rarer first.
    public static let names = """
        Giàng Thào Lầu Mùa Cứ Hờ Chang Tẩn Lường Cầm Quàng Lục Nông Mã Triệu Đinh Trịnh Đoàn Lâm \
        Mai Tạ Chu Cao Lưu Vương Tô Kha Y H' Ksor Rơ Châm Kpă Siu Nay Thạch Danh Sơn Kim Lý Dương \
        Sùng Hà Vừ Lò Ngô Hồ Đỗ Bùi Đặng Võ Vũ Phan Huỳnh Hoàng Phạm Lê Trần Nguyễn \
        Công Quốc Gia Bảo Khánh Kim Mỹ Diệu Phương Tuấn Trung Tiến Bá Xuân Hoài Thu Quang Hữu \
        Thanh Ngọc Minh Đức Văn Thị \
        Sính Dếnh Páo Mỷ Chứ Súa Dua Pàng Sâu Của Mai Chi Cúc Đào Hằng Hiền Huệ Huyền Lệ Loan Ly \
        Nhi Oanh Thủy Thúy Trâm Uyên Vân Xuân An Bảo Công Cường Đạt Định Đông Duy Hào Hiển Hòa \
        Hoàng Huy Khải Khoa Kiên Lâm Lộc Luân Mạnh Nghĩa Nhân Phát Phong Tài Thắng Thành Thiện \
        Thịnh Toàn Trí Trọng Tùng Việt Vinh Anh Bình Châu Dũng Giang Hà Hải Hạnh Hiếu Hoa Hùng \
        Hương Khánh Lan Linh Long Mai Minh My Nam Nga Ngọc Nhung Phúc Phương Quân Quyên Sơn Tâm \
        Thảo Trang Tú Tuấn Vy Yến
        """

    /// The schema: collections, fields and enumerations.
    public static let schema = """
        physical visual hearing intellectual psychosocial multiple \
        orphan abandoned no_guardian disability hiv in_conflict_with_law drug_use out_of_school_at_risk \
        injured_by_violence sexual_abuse labour_exploitation trafficked street_child \
        separated_from_parents violence neglect exploitation trafficking other \
        hotline_111 school police family community low medium high \
        received assessed planned in_progress reviewed closed \
        kinh tay thai muong khmer hmong nung dao gia_rai e_de \
        preschool primary lower_secondary upper_secondary out_of_school not_yet \
        cases child_id case_type received_at source risk_level status assigned_worker plan \
        next_review children full_name sex date_of_birth ethnicity village address guardian_name \
        guardian_phone school_status special_circumstance at_risk disability birth_registered \
        health_insurance notes @unit @deleted
        """
}

extension Holidays {
    /// 2027, PROVISIONAL: the government decides a year's Tết late in the year before. The fixed
    /// days follow the Labour Code; Tết and the day next to Quốc khánh are a plausible guess.
    static let year2027 = """
        # Ngày nghỉ lễ, Tết năm 2027 — TẠM TÍNH (PROVISIONAL) — Public-sector days off, 2027.
        # Chính phủ quyết định lịch nghỉ Tết vào cuối năm trước: thay tệp này bằng quyết định
        # chính thức ngay khi có. The government decides Tết late in the year before: replace this
        # file with the official decision as soon as it is out.
        # Kiểm tra lại theo thông báo chính thức của Bộ Nội vụ / Thủ tướng Chính phủ mỗi năm.
        # Check against the official decision (Ministry of Home Affairs / Prime Minister) each year.

        2027-01-01 Tết Dương lịch
        # Mùng 1 Tết Đinh Mùi: thứ Bảy 06/02/2027; tạm tính 5 ngày làm việc (04/02–10/02).
        2027-02-04..2027-02-10 Tết Nguyên Đán (Đinh Mùi) — tạm tính
        2027-04-16 Giỗ Tổ Hùng Vương (10/3 âm lịch) — tạm tính
        2027-04-30 Ngày Giải phóng miền Nam, thống nhất đất nước
        2027-05-01 Ngày Quốc tế Lao động (thứ Bảy)
        2027-05-03 Nghỉ bù Ngày Quốc tế Lao động
        2027-09-02 Quốc khánh
        2027-09-03 Quốc khánh (ngày liền kề) — tạm tính
        """
}

extension Holidays {
    /// 2026, as decided for Tết Bính Ngọ and derived from the Labour Code for the other days.
    static let year2026 = """
        # Ngày nghỉ lễ, Tết năm 2026 của cán bộ, công chức, viên chức — Public-sector days off, 2026.
        # Kiểm tra lại theo thông báo chính thức của Bộ Nội vụ / Thủ tướng Chính phủ mỗi năm.
        # Check against the official decision (Ministry of Home Affairs / Prime Minister) each year.
        # Chỉ ghi những ngày nghỉ đã chắc chắn: ghi thừa một ngày nghỉ làm hạn muộn đi, ghi thiếu
        # chỉ làm hạn sớm hơn. Only days off known for sure: a day off listed by mistake makes
        # deadlines late, one left out only makes them early.

        2026-01-01 Tết Dương lịch
        2026-02-14..2026-02-22 Tết Nguyên Đán (Bính Ngọ)
        2026-04-26 Giỗ Tổ Hùng Vương (10/3 âm lịch, Chủ nhật)
        2026-04-27 Nghỉ bù Giỗ Tổ Hùng Vương
        2026-04-30 Ngày Giải phóng miền Nam, thống nhất đất nước
        2026-05-01 Ngày Quốc tế Lao động
        2026-09-01 Quốc khánh (ngày liền kề)
        2026-09-02 Quốc khánh
        """
}

extension Holidays {
    /// 2025, as decided (Labour Code 2019 Art. 112; the Prime Minister's approval of the
    /// Ministry of Home Affairs' proposals for Tết and for 30/4–1/5).
    static let year2025 = """
        # Ngày nghỉ lễ, Tết năm 2025 của cán bộ, công chức, viên chức — Public-sector days off, 2025.
        # Kiểm tra lại theo thông báo chính thức của Bộ Nội vụ / Thủ tướng Chính phủ mỗi năm.
        # Check against the official decision (Ministry of Home Affairs / Prime Minister) each year.
        # Một dòng một ngày nghỉ: YYYY-MM-DD tên; khoảng: YYYY-MM-DD..YYYY-MM-DD tên;
        # thứ Bảy, Chủ nhật làm bù: workday YYYY-MM-DD lý do.

        2025-01-01 Tết Dương lịch
        2025-01-25..2025-02-02 Tết Nguyên Đán (Ất Tỵ)
        2025-04-07 Giỗ Tổ Hùng Vương (10/3 âm lịch)
        2025-04-30 Ngày Giải phóng miền Nam, thống nhất đất nước
        2025-05-01 Ngày Quốc tế Lao động
        2025-05-02 Nghỉ hoán đổi (làm bù thứ Bảy 26/04/2025)
        2025-05-03..2025-05-04 Cuối tuần liền kỳ nghỉ 30/4–1/5
        workday 2025-04-26 Làm bù cho ngày nghỉ thứ Sáu 02/05/2025
        2025-08-30..2025-08-31 Cuối tuần liền kỳ nghỉ Quốc khánh
        2025-09-01 Quốc khánh (ngày liền kề)
        2025-09-02 Quốc khánh
        """
}

import Foundation

extension WorkingCalendar {
    /// Reads yearly holiday files, year → text. The format, UTF-8, one entry a line:
    ///
    ///     # a comment (also after an entry)
    ///     2026-01-01 Tết Dương lịch
    ///     2026-02-14..2026-02-22 Tết Nguyên Đán
    ///     workday 2025-04-26 làm bù cho ngày 02/05
    ///
    /// A range includes both ends. `workday` makes a Saturday or Sunday a working day. Every day
    /// must lie in the file's year and be named once, and a file must name at least one day
    /// off: an empty file would silently count the year's holidays as working days.
    public init(parsing files: [Int: String]) throws(DomainRefusal) {
        var years: [Int: Year] = [:]
        for (year, text) in files.sorted(by: { $0.key < $1.key }) {
            years[year] = try Self.parseYear(year, text: text, file: "\(year).txt")
        }
        self.init(years: years)
    }

    /// The standard calendar with the files `YYYY.txt` of `folder` in place of its years: how
    /// an office adds next year's decision, or corrects one, without a new release of Tre.
    public static func loading(folder: String) throws(DomainRefusal) -> WorkingCalendar {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw DomainRefusal(
                code: "missing", field: "calendar",
                label: Localized(vi: "Thư mục lịch nghỉ lễ", en: "Holiday calendar folder"),
                problem: Localized(vi: "không đọc được thư mục \(folder)", en: "cannot read the folder \(folder)"),
                accepted: Localized(
                    vi: "một thư mục chứa các tệp YYYY.txt", en: "a folder holding files named YYYY.txt"))
        }
        var years: [Int: Year] = [:]
        // Hidden files (an editor's backup, the "._2027.txt" a Mac leaves on a USB stick) are not
        // calendars.
        for name in names.sorted() where !name.hasPrefix(".") && name.lowercased().hasSuffix(".txt") {
            guard name.utf8.count == 8, let year = decimal(name.utf8.prefix(4)), name.hasSuffix(".txt") else {
                throw fileRefusal(
                    file: name, line: nil,
                    Localized(
                        vi: "tên tệp phải là năm, ví dụ 2027.txt",
                        en: "the file must be named after its year, e.g. 2027.txt"
                    ))
            }
            let path = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path),
                let text = String(data: data, encoding: .utf8)
            else {
                throw fileRefusal(
                    file: name, line: nil,
                    Localized(vi: "không đọc được tệp dạng UTF-8", en: "cannot read the file as UTF-8 text"))
            }
            years[year] = try parseYear(year, text: text, file: name)
        }
        return standard.merging(WorkingCalendar(years: years))
    }

    private static func parseYear(_ year: Int, text: String, file: String) throws(DomainRefusal) -> Year {
        guard (1000...9999).contains(year) else {
            throw fileRefusal(
                file: file, line: nil,
                Localized(vi: "năm \(year) không có bốn chữ số", en: "the year \(year) does not have four digits"))
        }
        var result = Year()
        var namedOn: [LocalDate: Int] = [:]
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            var line = Substring(rawLine.prefix { $0 != "#" })
            if index == 0, line.first == "\u{FEFF}" { line = line.dropFirst() }
            let words = line.split(maxSplits: 1, whereSeparator: \.isWhitespace)
            guard let first = words.first else { continue }
            let isWorkday = first == "workday"
            let dayWords = isWorkday ? line.split(maxSplits: 2, whereSeparator: \.isWhitespace).dropFirst() : words[...]
            guard let daysText = dayWords.first else {
                throw fileRefusal(
                    file: file, line: number,
                    Localized(vi: "thiếu ngày sau “workday”", en: "a day is missing after “workday”"))
            }
            let name = dayWords.dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            let days = try parseDays(daysText, year: year, file: file, line: number)
            guard !name.isEmpty else {
                throw fileRefusal(
                    file: file, line: number,
                    isWorkday
                        ? Localized(vi: "thiếu lý do làm bù", en: "the reason for the working day is missing")
                        : Localized(vi: "thiếu tên ngày nghỉ", en: "the name of the day off is missing"))
            }
            for day in days {
                if let earlier = namedOn[day] {
                    throw fileRefusal(
                        file: file, line: number,
                        Localized(
                            vi: "ngày \(day.display) đã được khai báo ở dòng \(earlier)",
                            en: "\(day.display) is already given on line \(earlier)"))
                }
                namedOn[day] = number
                if isWorkday {
                    guard day.weekday.isWeekend else {
                        throw fileRefusal(
                            file: file, line: number,
                            Localized(
                                vi: "ngày \(day.display) là \(day.weekday.label.vi), vốn đã là ngày làm việc",
                                en: "\(day.display) is a \(day.weekday.label.en), already a working day"))
                    }
                    result.workdays[day] = name
                } else {
                    result.daysOff[day] = name
                }
            }
        }
        guard !result.daysOff.isEmpty else {
            throw fileRefusal(
                file: file, line: nil,
                Localized(
                    vi: "tệp không khai báo ngày nghỉ nào", en: "the file names no day off"))
        }
        return result
    }

    /// `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD`, every day in `year`.
    private static func parseDays(_ text: Substring, year: Int, file: String, line: Int) throws(DomainRefusal)
        -> [LocalDate]
    {
        let ends = text.split(separator: "..", omittingEmptySubsequences: false)
        var days: [LocalDate] = []
        for end in ends.prefix(2) {
            guard let day = LocalDate(iso: String(end)) else {
                throw fileRefusal(
                    file: file, line: line,
                    Localized(
                        vi: "“\(end)” không phải là một ngày có thật dạng YYYY-MM-DD",
                        en: "“\(end)” is not an existing day written YYYY-MM-DD"))
            }
            guard day.year == year else {
                throw fileRefusal(
                    file: file, line: line,
                    Localized(
                        vi: "ngày \(day.display) không thuộc năm \(year) của tệp",
                        en: "\(day.display) is not in the file's year \(year)"))
            }
            days.append(day)
        }
        guard ends.count <= 2 else {
            throw fileRefusal(
                file: file, line: line,
                Localized(vi: "“\(text)” không phải là một khoảng ngày", en: "“\(text)” is not a range of days"))
        }
        guard days.count == 2 else { return days }
        let length = days[0].days(to: days[1]) + 1
        guard (1...31).contains(length) else {
            throw fileRefusal(
                file: file, line: line,
                Localized(
                    vi: "khoảng \(days[0].display)–\(days[1].display) phải từ 1 đến 31 ngày, ngày đầu trước ngày cuối",
                    en: "the range \(days[0].display)–\(days[1].display) must run 1 to 31 days, first day first"))
        }
        return (0..<length).map { days[0].adding(days: $0) }
    }

    private static func fileRefusal(file: String, line: Int?, _ problem: Localized) -> DomainRefusal {
        DomainRefusal(
            code: "bad_value", field: line.map { "calendar/\(file):\($0)" } ?? "calendar/\(file)",
            label: line.map {
                Localized(vi: "Lịch nghỉ lễ \(file), dòng \($0)", en: "Holiday calendar \(file), line \($0)")
            } ?? Localized(vi: "Lịch nghỉ lễ \(file)", en: "Holiday calendar \(file)"),
            problem: problem,
            accepted: Localized(
                vi: "mỗi dòng một mục: “YYYY-MM-DD tên ngày nghỉ”, “YYYY-MM-DD..YYYY-MM-DD tên ngày nghỉ” "
                    + "hoặc “workday YYYY-MM-DD lý do” (thứ Bảy, Chủ nhật làm bù); “#” mở đầu chú thích",
                en: "one entry a line: “YYYY-MM-DD name of the day off”, “YYYY-MM-DD..YYYY-MM-DD name” "
                    + "or “workday YYYY-MM-DD reason” (a weekend day worked); “#” starts a comment"))
    }
}

import Foundation

/// Which days Vietnam's public sector works: Monday to Friday, less the public holidays, plus
/// the weekend days the government swaps in as working days. Holidays follow the lunar calendar
/// and a yearly decision, so they are data: one text file per year (see `init(parsing:)`).
///
/// A year without a file counts weekends only. Deadlines computed in such a year would ignore
/// its holidays, so `knows(year:)` and `warning(from:through:)` let callers say so.
public struct WorkingCalendar: Sendable, Hashable {
    /// The days off and swapped working days of one year, each with its name.
    struct Year: Sendable, Hashable {
        var daysOff: [LocalDate: String] = [:]
        var workdays: [LocalDate: String] = [:]
    }

    var years: [Int: Year]

    /// The calendar built from the yearly files embedded in Tre (2025, 2026, 2027; 2027 is
    /// provisional until the government decides it).
    public static let standard: WorkingCalendar = try! WorkingCalendar(parsing: embeddedFiles)

    /// The embedded yearly files, year → text: what a command can write out as a template to
    /// correct or extend.
    public static let embeddedFiles: [Int: String] = [
        2025: Holidays.year2025, 2026: Holidays.year2026, 2027: Holidays.year2027,
    ]

    init(years: [Int: Year]) { self.years = years }

    /// This calendar with `other`'s years in place of its own: a folder's file for a year
    /// replaces the embedded one whole, so a corrected year never mixes two decisions.
    public func merging(_ other: WorkingCalendar) -> WorkingCalendar {
        WorkingCalendar(years: years.merging(other.years) { _, theirs in theirs })
    }

    /// Whether a file describes `year`.
    public func knows(year: Int) -> Bool { years[year] != nil }

    /// The years described, in order.
    public var knownYears: [Int] { years.keys.sorted() }

    public func isWorkingDay(_ day: LocalDate) -> Bool {
        guard let year = years[day.year] else { return !day.weekday.isWeekend }
        if year.workdays[day] != nil { return true }
        return !day.weekday.isWeekend && year.daysOff[day] == nil
    }

    /// The holiday's name if `day` is a public day off (not for an ordinary weekend).
    public func holiday(on day: LocalDate) -> String? { years[day.year]?.daysOff[day] }

    /// The `count`-th working day after `day` (`day` itself does not count); `day` when
    /// `count` is zero or less.
    public func addingWorkingDays(_ count: Int, to day: LocalDate) -> LocalDate {
        var current = day
        var remaining = count
        while remaining > 0 {
            current = current.adding(days: 1)
            if isWorkingDay(current) { remaining -= 1 }
        }
        return current
    }

    /// The years between two days (both included) that no file describes.
    public func unknownYears(from first: LocalDate, through last: LocalDate) -> [Int] {
        guard first.year <= last.year else { return [] }
        return (first.year...last.year).filter { !knows(year: $0) }
    }

    /// What to tell a worker when a period crosses a year without a holiday file: its deadline
    /// skips weekends only, and may fall on a holiday or too early.
    public func warning(from first: LocalDate, through last: LocalDate) -> Localized? {
        let missing = unknownYears(from: first, through: last)
        guard !missing.isEmpty else { return nil }
        let list = missing.map(String.init).joined(separator: ", ")
        return Localized(
            vi: "Chưa có lịch nghỉ lễ năm \(list): hạn được tính chỉ bỏ qua thứ Bảy, Chủ nhật; "
                + "hãy thêm tệp \(missing[0]).txt theo quyết định nghỉ lễ của năm đó.",
            en: "No holiday calendar for \(list): the deadline skips only Saturdays and Sundays; "
                + "add the file \(missing[0]).txt from that year's holiday decision.")
    }
}

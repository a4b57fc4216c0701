public import Foundation

/// Vietnam's offset from UTC: +7 hours. Asia/Ho_Chi_Minh has kept it without daylight saving
/// since 1975, so it is a constant here rather than a time-zone lookup: local dates and deadlines
/// then do not depend on the tz database a node happens to have (minimal Linux images have none).
let vietnamOffsetSeconds = 7 * 3600

/// A day on Vietnam's calendar (Asia/Ho_Chi_Minh), without a time: a date of birth, a holiday,
/// the day a deadline falls on. Its text is ISO 8601 (`2026-04-24`); workers read and type
/// `24/04/2026`.
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// The day, if it exists (`2025-02-29` does not); years 1 to 9999, as ISO text can write.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...LocalDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Strictly `YYYY-MM-DD`: four-digit year, two-digit month and day, a day that exists.
    public init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = decimal(bytes[0..<4]), let month = decimal(bytes[5..<7]), let day = decimal(bytes[8..<10])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// `dd/mm/yyyy` or `d/m/yyyy`, as workers write a date on paper and type it.
    public init?(display text: String) {
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 3, (1...2).contains(parts[0].count), (1...2).contains(parts[1].count),
            parts[2].count == 4, let day = decimal(parts[0]), let month = decimal(parts[1]),
            let year = decimal(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The local day of an instant, in Asia/Ho_Chi_Minh.
    public static func today(at instant: Date) -> LocalDate {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + vietnamOffsetSeconds
        return LocalDate(daysSince1970: floorDivide(seconds, 86_400))
    }

    /// 00:00 local time on this day.
    public func start() -> Date {
        Date(timeIntervalSince1970: TimeInterval(daysSince1970 * 86_400 - vietnamOffsetSeconds))
    }

    /// 23:59:59 local time on this day: the moment a deadline "by the end of the day" falls due.
    public func end() -> Date { start().addingTimeInterval(86_399) }

    /// The day `count` days later (earlier when negative).
    public func adding(days count: Int) -> LocalDate { LocalDate(daysSince1970: daysSince1970 + count) }

    /// Days from this day to `other` (negative when `other` is earlier).
    public func days(to other: LocalDate) -> Int { other.daysSince1970 - daysSince1970 }

    public var weekday: Weekday {
        // 1970-01-01 was a Thursday.
        Weekday(rawValue: floorModulo(daysSince1970 + 3, 7) + 1)!
    }

    /// `24/04/2026`, as Vietnamese forms write dates.
    public var display: String { "\(pad(day, 2))/\(pad(month, 2))/\(pad(year, 4))" }

    /// `2026-04-24`.
    public var description: String { "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Stored as its ISO text, so a record's JSON reads `"2026-04-24"`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = LocalDate(iso: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a date as YYYY-MM-DD: \(text)")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`): day arithmetic without a
    /// Foundation calendar.
    var daysSince1970: Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = floorDivide(shiftedYear, 400)
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    init(daysSince1970 days: Int) {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }
}

/// A day of the week, numbered as ISO 8601 does (Monday 1 … Sunday 7).
public enum Weekday: Int, Sendable, Hashable, CaseIterable, Codable {
    case monday = 1
    case tuesday
    case wednesday
    case thursday
    case friday
    case saturday
    case sunday

    public var isWeekend: Bool { self == .saturday || self == .sunday }

    /// "thứ Hai" … "Chủ nhật".
    public var label: Localized {
        switch self {
        case .monday: Localized(vi: "thứ Hai", en: "Monday")
        case .tuesday: Localized(vi: "thứ Ba", en: "Tuesday")
        case .wednesday: Localized(vi: "thứ Tư", en: "Wednesday")
        case .thursday: Localized(vi: "thứ Năm", en: "Thursday")
        case .friday: Localized(vi: "thứ Sáu", en: "Friday")
        case .saturday: Localized(vi: "thứ Bảy", en: "Saturday")
        case .sunday: Localized(vi: "Chủ nhật", en: "Sunday")
        }
    }
}

/// The value of ASCII decimal digits (nil if any byte is not a digit, or there are none).
func decimal(_ bytes: some Collection<UInt8>) -> Int? {
    guard !bytes.isEmpty, bytes.count <= 9 else { return nil }
    var value = 0
    for byte in bytes {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return value
}

func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

func floorDivide(_ value: Int, _ divisor: Int) -> Int {
    let quotient = value / divisor
    return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
}

func floorModulo(_ value: Int, _ divisor: Int) -> Int { value - floorDivide(value, divisor) * divisor }

/// Fast reading of the dates and moments records hold, for reports that read every record of a
/// province: days since 1970 in Vietnam's time, straight from the stored text (`YYYY-MM-DD`,
/// `YYYY-MM-DDTHH:MM:SSZ`) without building a Date. Anything else reads as nil.
enum DayNumbers {
    /// `YYYY-MM-DD` → (year, month, day).
    static func ymd(_ text: String) -> (Int, Int, Int)? {
        var text = text
        return text.withUTF8 { bytes -> (Int, Int, Int)? in
            guard bytes.count >= 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return nil }
            guard let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
                (1...12).contains(month), (1...31).contains(day)
            else { return nil }
            return (year, month, day)
        }
    }

    /// A date's day number.
    static func date(_ text: String) -> Int? {
        guard let (year, month, day) = ymd(text) else { return nil }
        return days(year, month, day)
    }

    /// A moment's day in Vietnam (UTC+7).
    static func instant(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { bytes -> Int? in
            guard bytes.count == 20, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[19] == 0x5A,
                let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
                let hour = digits(bytes, 11, 2), (1...12).contains(month), (1...31).contains(day), hour < 24
            else { return nil }
            return days(year, month, day) + (hour + 7 >= 24 ? 1 : 0)
        }
    }

    static func days(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Whole years from a birth date to a day given as (year, month, day).
    static func age(born: (Int, Int, Int), on day: (Int, Int, Int)) -> Int {
        day.0 - born.0 - ((day.1, day.2) < (born.1, born.2) ? 1 : 0)
    }

    private static func digits(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for index in start..<(start + count) {
            let digit = Int(bytes[index]) - 48
            guard (0...9).contains(digit) else { return nil }
            value = value * 10 + digit
        }
        return value
    }
}

extension LocalDate {
    var dayNumber: Int { daysSince1970 }
    var ymd: (Int, Int, Int) { (year, month, day) }
    init(dayNumber: Int) { self.init(daysSince1970: dayNumber) }
}

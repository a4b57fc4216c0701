public import Foundation

/// Moments in time as text: RFC 3339 in UTC for storage and the wire (`2026-12-02T02:30:00Z`),
/// `02/12/2026 09:30` in Vietnam's time for workers. Written by hand rather than with a
/// `DateFormatter`, whose output depends on the locale and time-zone data of the machine.
public enum Instant {
    /// `2026-12-02T02:30:00Z`: UTC, whole seconds (a fraction of a second is dropped).
    public static func format(_ instant: Date) -> String {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down))
        return
            "\(LocalDate(daysSince1970: floorDivide(seconds, 86_400)))T\(clock(floorModulo(seconds, 86_400), seconds: true))Z"
    }

    /// Strict RFC 3339: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of a second, then `Z` or an
    /// offset such as `+07:00`. Anything else (a space for `T`, no offset, second 60) is nil.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, let day = LocalDate(iso: String(decoding: bytes[0..<10], as: UTF8.self)),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let hour = decimal(bytes[11..<13]), hour < 24, let minute = decimal(bytes[14..<16]), minute < 60,
            let second = decimal(bytes[17..<19]), second < 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            let digits = bytes[(index + 1)...].prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            guard (1...9).contains(digits.count), let value = decimal(digits) else { return nil }
            fraction = Double(value) / pow(10, Double(digits.count))
            index += 1 + digits.count
        }
        let offset: Int
        let rest = bytes[index...]
        if rest.elementsEqual([UInt8(ascii: "Z")]) {
            offset = 0
        } else {
            guard rest.count == 6, let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"),
                bytes[index + 3] == UInt8(ascii: ":"), let hours = decimal(bytes[(index + 1)..<(index + 3)]),
                hours < 24, let minutes = decimal(bytes[(index + 4)..<(index + 6)]), minutes < 60
            else { return nil }
            offset = (sign == UInt8(ascii: "+") ? 1 : -1) * (hours * 3600 + minutes * 60)
        }
        let seconds = day.daysSince1970 * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    /// `02/12/2026 09:30`: the moment as people read it, in the time zone of `TZ` when it is
    /// set, else Vietnam's (Asia/Ho_Chi_Minh) whatever the machine's own setting.
    public static func display(_ instant: Date) -> String {
        display(instant, zone: displayZone)
    }

    /// `display` in a given zone (tests; `nil`: Vietnam's).
    public static func display(_ instant: Date, zone: TimeZone?) -> String {
        let offset = zone?.secondsFromGMT(for: instant) ?? vietnamOffsetSeconds
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + offset
        return "\(LocalDate(daysSince1970: floorDivide(seconds, 86_400)).display) "
            + clock(floorModulo(seconds, 86_400), seconds: false)
    }

    /// The zone times are shown in: nil for Vietnam's (UTC+7 all year, no daylight saving:
    /// known without the machine's time-zone data, which a minimal server may lack), else the
    /// zone `TZ` names.
    public static let displayZone: TimeZone? = zone(named: ProcessInfo.processInfo.environment["TZ"])

    /// The zone a `TZ` value names: nil (Vietnam's) when unset or empty or Vietnam's own name,
    /// else the named zone, or what the system makes of it (a POSIX rule such as `UTC0`).
    public static func zone(named tz: String?) -> TimeZone? {
        guard var name = tz, !name.isEmpty else { return nil }
        if name.hasPrefix(":") { name.removeFirst() }
        switch name {
        case "Asia/Ho_Chi_Minh", "Asia/Saigon": return nil
        case "UTC", "Etc/UTC", "GMT", "Etc/GMT", "UTC0", "GMT0", "Z": return TimeZone(secondsFromGMT: 0)
        default: return TimeZone(identifier: name) ?? TimeZone.current
        }
    }

    /// The `TimeZone` of `displayZone`, for calendars (`sync --daemon --at`).
    public static var displayTimeZone: TimeZone {
        displayZone ?? TimeZone(secondsFromGMT: vietnamOffsetSeconds)!
    }

    /// `HH:MM` or `HH:MM:SS` for a number of seconds into a day.
    private static func clock(_ secondOfDay: Int, seconds: Bool) -> String {
        let text = "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2))"
        return seconds ? "\(text):\(pad(secondOfDay % 60, 2))" : text
    }
}

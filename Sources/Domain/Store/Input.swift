public import Foundation

/// What workers type, read the way they write it.
public enum Input {
    /// "dd/mm/yyyy HH:mm" (or "dd/mm/yyyy", meaning 00:00) in Vietnam's time, or an RFC 3339
    /// moment, or "now".
    public static func moment(_ text: String, now: Date) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "now" || trimmed.lowercased() == "bây giờ" { return now }
        if let date = Instant.parse(trimmed) { return date }
        let parts = trimmed.split(separator: " ", omittingEmptySubsequences: true)
        guard (1...2).contains(parts.count), let day = LocalDate(display: String(parts[0])),
            (2000...2099).contains(day.year)
        else { return nil }
        var hour = 0
        var minute = 0
        if parts.count == 2 {
            let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            guard clock.count == 2, let h = Int(clock[0]), let m = Int(clock[1]), (0...23).contains(h),
                (0...59).contains(m), clock[1].count == 2
            else { return nil }
            hour = h
            minute = m
        }
        return day.start().addingTimeInterval(TimeInterval(hour * 3600 + minute * 60))
    }
}

import Foundation

/// "30s", "15m", "2h", "1d" → seconds; nil for anything else (and for more than a year).
/// Shared by `serve --upstream-every`, `serve --max-clock-ahead` and `sync --daemon --every`.
public func parseSeconds(_ text: String) -> Int? {
    guard let unit = text.last, let value = Int(text.dropLast()), value > 0, value <= 366 * 86_400 else { return nil }
    let seconds: Int
    switch unit {
    case "s": seconds = value
    case "m": seconds = value * 60
    case "h": seconds = value * 3600
    case "d": seconds = value * 86_400
    default: return nil
    }
    return seconds <= 366 * 86_400 ? seconds : nil
}

/// Unix milliseconds as ISO 8601, for `status`.
public func formatTime(_ millis: UInt64) -> String {
    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
}

import Foundation

/// "30s", "15m", "2h" → seconds; nil for anything else. Shared by `serve --upstream-every`
/// and `sync --daemon --every`.
public func parseSeconds(_ text: String) -> Int? {
    guard let unit = text.last, let value = Int(text.dropLast()), value > 0 else { return nil }
    switch unit {
    case "s": return value
    case "m": return value * 60
    case "h": return value * 3600
    default: return nil
    }
}

/// Unix milliseconds as ISO 8601, for `status`.
public func formatTime(_ millis: UInt64) -> String {
    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
}

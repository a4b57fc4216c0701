import Domain
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

/// Unix milliseconds as RFC 3339 in UTC (`2026-12-02T02:30:00Z`): what `--json` prints, for scripts.
public func formatTime(_ millis: UInt64) -> String {
    Instant.format(Date(timeIntervalSince1970: Double(millis) / 1000))
}

/// Unix milliseconds as people read them (`02/12/2026 09:30`, in the zone of `TZ`, else
/// Vietnam's): what text output prints.
public func displayTime(_ millis: UInt64) -> String {
    Instant.display(Date(timeIntervalSince1970: Double(millis) / 1000))
}

/// An RFC 3339 time as `formatTime` wrote it, shown as `displayTime` does (empty stays empty).
public func displayTime(_ rfc3339: String) -> String {
    Instant.parse(rfc3339).map(Instant.display) ?? rfc3339
}

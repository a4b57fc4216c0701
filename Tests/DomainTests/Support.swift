import Domain
import Foundation
import Testing

/// A moment written out by hand, read by Foundation's own ISO 8601 parser: expected values in
/// the tests never come from the code under test.
func moment(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else { fatalError("not an ISO 8601 moment: \(text)") }
    return date
}

func day(_ text: String) -> LocalDate {
    guard let date = LocalDate(iso: text) else { fatalError("not a day: \(text)") }
    return date
}

/// Runs `body` expecting a `DomainRefusal`, and returns it (nil, and an issue recorded, for any
/// other error).
func refusal<T>(_ body: () throws -> T) -> DomainRefusal? {
    do {
        _ = try body()
        return nil
    } catch let refused as DomainRefusal {
        return refused
    } catch {
        Issue.record("not a DomainRefusal: \(error)")
        return nil
    }
}

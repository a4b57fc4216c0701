public import Foundation

// Temporary: replaced by the calendar's LocalDate when the domain-logic branch lands.
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]),
            let d = Int(parts[2]), (1...12).contains(m), d >= 1
        else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        guard d <= days else { return nil }
        year = y
        month = m
        day = d
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }
    public var display: String { String(format: "%02d/%02d/%04d", day, month, year) }
    public static func today(at date: Date) -> LocalDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return LocalDate(iso: String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!))!
    }
}

extension LocalDate {
    public init?(display text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, let d = Int(parts[0]), let m = Int(parts[1]), let y = Int(parts[2]), parts[2].count == 4
        else { return nil }
        self.init(iso: String(format: "%04d-%02d-%02d", y, m, d))
    }
}

public enum Instant {
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

// Temporary shims for the domain-logic branch's types.
public struct WorkingCalendar: Sendable {
    public static let standard = WorkingCalendar()
    public static func loading(folder: String) throws -> WorkingCalendar { .standard }
}
public struct DeadlineRules: Sendable {
    public var emergencyHours = 12
    public static let standard = DeadlineRules()
}
public enum CaseState: String, CaseIterable, Codable, Sendable {
    case received, initial_assessment, emergency, detailed_assessment, plan_drafting, plan_submitted, implementing
    case reassessment, closure_submitted, closed, not_substantiated, transferred, reopened
    public var isOpen: Bool { ![.closed, .not_substantiated, .transferred].contains(self) }
}
extension Instant {
    public static func display(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "dd/MM/yyyy HH:mm"
        formatter.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        return formatter.string(from: date)
    }
}
extension LocalDate {
    public func start() -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day))!
    }
}
public struct NameMatch<ID: Hashable & Sendable>: Sendable { public let id: ID }
public struct NameIndex<ID: Hashable & Sendable>: Sendable {
    var names: [(ID, String)] = []
    public init() {}
    public mutating func insert(_ id: ID, text: String) { names.append((id, text)) }
    public func search(_ query: String, limit: Int) -> [NameMatch<ID>] {
        names.filter { $0.1.lowercased().contains(query.lowercased()) }.prefix(limit).map { NameMatch(id: $0.0) }
    }
}
public func foldForSearch(_ text: String) -> String { text.lowercased() }

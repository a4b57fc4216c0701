import Foundation

/// A reporting period: a half-year (the 6-monthly report, due before 10 June), a year (the
/// annual report, due before 10 December) or any range of days. Written `2026-H1`, `2026-H2`,
/// `2026`, or `2026-01-01..2026-03-31`; each has the period before it, shown beside it.
public enum ReportPeriod: Hashable, Sendable, CustomStringConvertible {
    case halfYear(year: Int, half: Int)
    case year(Int)
    case range(from: LocalDate, to: LocalDate)

    /// Reads `2026-H1`, `2026-H2`, `2026`, `2026-01-01..2026-03-31` (dates also dd/mm/yyyy).
    public init?(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespaces).uppercased()
        if let dots = text.range(of: "..") {
            let first = String(text[..<dots.lowerBound])
            let second = String(text[dots.upperBound...])
            guard let from = LocalDate(iso: first) ?? LocalDate(display: first),
                let to = LocalDate(iso: second) ?? LocalDate(display: second), from <= to,
                from.days(to: to) <= 366 * 20
            else { return nil }
            self = .range(from: from, to: to)
            return
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let year = Int(parts[0]), parts[0].count == 4, (2000...2100).contains(year) else { return nil }
        if parts.count == 1 {
            self = .year(year)
        } else if parts.count == 2, parts[1] == "H1" || parts[1] == "H2" {
            self = .halfYear(year: year, half: parts[1] == "H1" ? 1 : 2)
        } else {
            return nil
        }
    }

    /// The form `init?(_:)` reads.
    public var description: String {
        switch self {
        case .halfYear(let year, let half): "\(year)-H\(half)"
        case .year(let year): "\(year)"
        case .range(let from, let to): "\(from)..\(to)"
        }
    }

    /// The first day, in Vietnam's time.
    public var start: LocalDate {
        switch self {
        case .halfYear(let year, let half): LocalDate(year: year, month: half == 1 ? 1 : 7, day: 1)!
        case .year(let year): LocalDate(year: year, month: 1, day: 1)!
        case .range(let from, _): from
        }
    }

    /// The last day (included): a record counts as it stood at the end of it.
    public var end: LocalDate {
        switch self {
        case .halfYear(let year, let half): LocalDate(year: year, month: half == 1 ? 6 : 12, day: half == 1 ? 30 : 31)!
        case .year(let year): LocalDate(year: year, month: 12, day: 31)!
        case .range(_, let to): to
        }
    }

    /// The period before: the half-year or year before, or a range as long ending the day before.
    public var previous: ReportPeriod {
        switch self {
        case .halfYear(let year, let half):
            half == 2 ? .halfYear(year: year, half: 1) : .halfYear(year: year - 1, half: 2)
        case .year(let year): .year(year - 1)
        case .range(let from, let to):
            .range(from: from.adding(days: -(from.days(to: to) + 1)), to: from.adding(days: -1))
        }
    }

    /// Whether figures for it can be sent as aggregates (half-years and years only).
    public var isStandard: Bool {
        if case .range = self { return false }
        return true
    }

    /// When the report is due: before 10 June for the first half-year, before 10 December for
    /// the year (and the second half-year, which the annual report covers); nil for a range.
    public var due: LocalDate? {
        switch self {
        case .halfYear(let year, 1): LocalDate(year: year, month: 6, day: 10)
        case .halfYear(let year, _), .year(let year): LocalDate(year: year, month: 12, day: 10)
        case .range: nil
        }
    }

    public var label: Localized {
        switch self {
        case .halfYear(let year, 1): Localized(vi: "6 tháng đầu năm \(year)", en: "first half of \(year)")
        case .halfYear(let year, _): Localized(vi: "6 tháng cuối năm \(year)", en: "second half of \(year)")
        case .year(let year): Localized(vi: "năm \(year)", en: "year \(year)")
        case .range(let from, let to):
            Localized(vi: "từ \(from.display) đến \(to.display)", en: "\(from.display) to \(to.display)")
        }
    }

    /// The standard periods (half-years and years) of `years` calendar years ending with the
    /// one that holds `today`: what a hub keeps as aggregates.
    public static func standard(years: Int, endingWith today: LocalDate) -> [ReportPeriod] {
        var result: [ReportPeriod] = []
        for year in (today.year - years + 1)...today.year {
            result.append(.halfYear(year: year, half: 1))
            if year < today.year || today.month > 6 { result.append(.halfYear(year: year, half: 2)) }
            result.append(.year(year))
        }
        return result
    }
}

/// The age bands children are counted in: configuration, by default 0–2, 3–5, 6–10, 11–15.
/// Written `0-2,3-5,6-10,11-15`; the bands must follow each other from 0 to 15 without a gap.
public struct AgeBands: Hashable, Sendable, CustomStringConvertible {
    public let bands: [ClosedRange<Int>]
    private let byAge: [Int]

    public static let standard = AgeBands("0-2,3-5,6-10,11-15")!

    public init?(_ text: String) {
        var bands: [ClosedRange<Int>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = part.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count <= 2, let low = Int(ends[0]), let high = Int(ends.count == 2 ? ends[1] : ends[0]),
                low <= high
            else { return nil }
            bands.append(low...high)
        }
        guard bands.first?.lowerBound == 0, bands.last?.upperBound == 15 else { return nil }
        for (before, after) in zip(bands, bands.dropFirst()) where after.lowerBound != before.upperBound + 1 {
            return nil
        }
        self.bands = bands
        var byAge = [Int](repeating: 0, count: 16)
        for (index, band) in bands.enumerated() { for age in band { byAge[age] = index } }
        self.byAge = byAge
    }

    public static let problem = Localized(
        vi: "Nhóm tuổi viết như 0-2,3-5,6-10,11-15: liền nhau từ 0 đến 15 tuổi.",
        en: "Age bands are written like 0-2,3-5,6-10,11-15: following each other from 0 to 15.")

    public var description: String { bands.map(Self.code).joined(separator: ",") }

    /// The band's code as breakdowns write it: `6-10`.
    public static func code(_ band: ClosedRange<Int>) -> String {
        band.lowerBound == band.upperBound ? "\(band.lowerBound)" : "\(band.lowerBound)-\(band.upperBound)"
    }

    public var codes: [String] { bands.map(Self.code) }

    /// The band of a child of `age` (0–15), or nil.
    public func code(age: Int) -> String? {
        guard (0...15).contains(age) else { return nil }
        return Self.code(bands[byAge[age]])
    }
}

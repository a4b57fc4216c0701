import Foundation

/// One way to break an indicator down, and the codes its cells take.
public enum Dimension: String, Sendable, Hashable, CaseIterable, Codable {
    case sex
    case age
    case type
    case setting
    case source
    case group
    case step
    case reason
    case kind
    case audience

    public var label: Localized {
        switch self {
        case .sex: Localized(vi: "Giới tính", en: "Sex")
        case .age: Localized(vi: "Nhóm tuổi", en: "Age group")
        case .type: Localized(vi: "Hình thức xâm hại", en: "Kind of abuse")
        case .setting: Localized(vi: "Nơi xảy ra", en: "Where it happened")
        case .source: Localized(vi: "Nguồn tin", en: "Source")
        case .group: Localized(vi: "Nhóm hoàn cảnh đặc biệt (Điều 10)", en: "Group (Article 10)")
        case .step: Localized(vi: "Bước xử lý", en: "Step")
        case .reason: Localized(vi: "Lý do đóng", en: "Closure reason")
        case .kind: Localized(vi: "Loại hoạt động", en: "Kind of activity")
        case .audience: Localized(vi: "Đối tượng", en: "Who")
        }
    }

    /// The codes a cell may take, in display order (age bands come from configuration).
    public func codes(bands: AgeBands) -> [String] {
        // A record whose value is missing counts in `unknown`, so a breakdown always adds up
        // to its total; a table shows that cell only when it is not zero.
        switch self {
        case .age: return bands.codes + [Self.unknown]
        case .audience: return Self.audiences.map(\.0)
        default: return enumeration!.values.map(\.code) + [Self.unknown]
        }
    }

    /// The label of `code` in this dimension.
    public func label(of code: String) -> Localized {
        switch self {
        case .age: return Localized(vi: "\(code) tuổi", en: "aged \(code)")
        case .audience: return Self.audiences.first { $0.0 == code }?.1 ?? Localized(vi: code, en: code)
        default:
            if code == Self.unknown { return Localized(vi: "Chưa rõ", en: "unknown") }
            return enumeration?.value(code)?.label ?? Localized(vi: code, en: code)
        }
    }

    /// The cell of a record whose value is missing (a report without a setting).
    public static let unknown = "unknown"

    static let audiences: [(String, Localized)] = [
        ("boys", Localized(vi: "Trẻ em nam", en: "boys")), ("girls", Localized(vi: "Trẻ em nữ", en: "girls")),
        ("men", Localized(vi: "Người lớn nam", en: "men")), ("women", Localized(vi: "Người lớn nữ", en: "women")),
    ]

    private var enumeration: Enumeration? {
        switch self {
        case .sex: Enumerations.sex
        case .type: Enumerations.abuseType
        case .setting: Enumerations.setting
        case .source: Enumerations.source
        case .group: Enumerations.circumstanceGroup
        case .step: Enumerations.caseStatus
        case .reason: Enumerations.closureReason
        case .kind: Enumerations.activityKind
        case .age, .audience: nil
        }
    }
}

/// A target a plan sets for an indicator's share: at most or at least a percentage by a year.
public struct Target: Sendable, Hashable {
    public enum Comparison: String, Sendable, Hashable {
        case atMost = "at_most"
        case atLeast = "at_least"
    }
    public let comparison: Comparison
    public let percent: Double
    public let year: Int
    /// The plan that sets it.
    public let source: Localized

    public func met(by percent: Double) -> Bool {
        switch comparison {
        case .atMost: percent < self.percent || (self.percent == 0 && percent == 0)
        case .atLeast: percent >= self.percent
        }
    }

    public var label: Localized {
        let number = Self.format(percent)
        // Vietnamese writes a decimal comma: 4,5 %.
        let vi = number.replacingOccurrences(of: ".", with: ",")
        return switch comparison {
        case .atMost: Localized(vi: "dưới \(vi) % (\(year))", en: "under \(number) % (\(year))")
        case .atLeast:
            percent >= 100
                ? Localized(vi: "\(vi) % (\(year))", en: "\(number) % (\(year))")
                : Localized(vi: "trên \(vi) % (\(year))", en: "over \(number) % (\(year))")
        }
    }

    static func format(_ percent: Double) -> String {
        percent == percent.rounded() ? String(Int(percent)) : String(format: "%.1f", percent)
    }
}

/// An indicator of the child-statistics system (Thông tư 13/2021/TT-BLĐTBXH): a four-digit
/// code (group and sequence), its names, what it counts, its breakdowns and, where a plan sets
/// one, its target. A count is summed up the unit tree; a share is computed from two counts at
/// every level (never summed).
public struct Indicator: Sendable, Hashable {
    public enum Measure: Sendable, Hashable {
        case count
        /// numerator / denominator × 100, both indicators of the catalogue; cells of the
        /// breakdowns both share divide cell by cell.
        case share(numerator: String, denominator: String)
    }

    public let code: String
    public let name: Localized
    /// What is counted, and when a record counts.
    public let counts: Localized
    public let measure: Measure
    /// Each breakdown is one or two dimensions; every count has its total too.
    public let breakdowns: [[Dimension]]
    /// Dimensions where one record may fall in several cells (a child in two Điều 10 groups):
    /// their cells do not add up to the total.
    public let overlapping: Set<Dimension>
    /// Nearest first: the one shown for a period is the first whose year is not before it.
    public let targets: [Target]
    /// What one unit of the count is (trẻ em, tin báo, …).
    public let unitName: Localized

    public init(
        _ code: String, _ name: Localized, counts: Localized, measure: Measure = .count,
        breakdowns: [[Dimension]] = [], overlapping: Set<Dimension> = [], targets: [Target] = [],
        unitName: Localized
    ) {
        self.code = code
        self.name = name
        self.counts = counts
        self.measure = measure
        self.breakdowns = breakdowns
        self.overlapping = overlapping
        self.targets = targets
        self.unitName = unitName
    }

    public var isShare: Bool {
        if case .share = measure { return true }
        return false
    }

    /// The target that applies to a period ending in `year`.
    public func target(for year: Int) -> Target? {
        targets.sorted { $0.year < $1.year }.first { $0.year >= year } ?? targets.max { $0.year < $1.year }
    }

    /// A cell's key: dimension=code pairs joined by `,` in the breakdown's order; "" is the total.
    public static func key(_ pairs: [(Dimension, String)]) -> String {
        pairs.map { "\($0.0.rawValue)=\($0.1)" }.joined(separator: ",")
    }

    /// Every key this indicator's counts may have for `bands`, total first.
    public func keys(bands: AgeBands) -> [String] {
        var keys = [""]
        for breakdown in breakdowns {
            if breakdown.count == 1 {
                keys += breakdown[0].codes(bands: bands).map { Self.key([(breakdown[0], $0)]) }
            } else {
                for first in breakdown[0].codes(bands: bands) {
                    for second in breakdown[1].codes(bands: bands) {
                        keys.append(Self.key([(breakdown[0], first), (breakdown[1], second)]))
                    }
                }
            }
        }
        return keys
    }
}

/// A level of risk on the reassessment form (Mẫu 06).
public enum RiskRating: String, Sendable, Hashable, CaseIterable, Codable {
    case high
    case medium
    case low

    public var label: Localized {
        switch self {
        case .high: Localized(vi: "Cao", en: "High")
        case .medium: Localized(vi: "Trung bình", en: "Medium")
        case .low: Localized(vi: "Thấp", en: "Low")
        }
    }
}

/// The three questions of the reassessment before closure (Mẫu 06).
public enum ReassessmentItem: String, Sendable, Hashable, CaseIterable, Codable {
    case residualHarm = "residual_harm"
    case abuserAccess = "abuser_access"
    case careEnvironment = "care_environment"

    public var label: Localized {
        switch self {
        case .residualHarm: Localized(vi: "Mức độ tổn hại còn lại", en: "Residual harm")
        case .abuserAccess:
            Localized(vi: "Khả năng người gây hại tiếp cận trẻ", en: "The abuser's access to the child")
        case .careEnvironment: Localized(vi: "Nguy cơ từ môi trường chăm sóc", en: "Risk in the care environment")
        }
    }
}

/// A reassessment's ratings. A case closes only when none is high: a high risk calls for a new
/// plan cycle instead.
public struct Reassessment: Sendable, Hashable, Codable {
    public var residualHarm: RiskRating
    public var abuserAccess: RiskRating
    public var careEnvironment: RiskRating

    public init(residualHarm: RiskRating, abuserAccess: RiskRating, careEnvironment: RiskRating) {
        self.residualHarm = residualHarm
        self.abuserAccess = abuserAccess
        self.careEnvironment = careEnvironment
    }

    public func rating(_ item: ReassessmentItem) -> RiskRating {
        switch item {
        case .residualHarm: residualHarm
        case .abuserAccess: abuserAccess
        case .careEnvironment: careEnvironment
        }
    }

    /// The items rated high, in the form's order.
    public var highItems: [ReassessmentItem] { ReassessmentItem.allCases.filter { rating($0) == .high } }

    /// The ratings as a step's input carries them (`residual_harm` → `high`, …).
    public var fields: [String: String] {
        Dictionary(uniqueKeysWithValues: ReassessmentItem.allCases.map { ($0.rawValue, rating($0).rawValue) })
    }
}

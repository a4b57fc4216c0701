import SyncCore

/// Children records of the province-night workload's shape (shared/WORKLOAD.md), made from a
/// seed: the same seed gives the same data.
struct ChildGenerator {
    static let familyNames = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
        "Dương", "Lý", "Lò", "Vừ", "Hà", "Sùng",
    ]
    static let middleNames = [
        "Thị", "Văn", "Đức", "Minh", "Ngọc", "Thanh", "Hữu", "Quang", "Thu", "Hoài", "Bá", "Xuân",
    ]
    static let givenNames = [
        "Anh", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan",
        "Linh", "Long", "Mai", "Minh", "My", "Nam", "Nga", "Ngọc", "Nhung", "Phúc", "Phương", "Quân", "Quyên",
        "Sơn", "Tâm", "Thảo", "Trang", "Tú", "Tuấn", "Vy", "Yến", "Mỷ", "Páo", "Dếnh",
    ]
    static let ethnicities = ["tay", "thai", "muong", "khmer", "hmong", "nung", "dao", "gia_rai", "e_de"]
    static let villagePrefixes = ["Thôn", "Bản", "Ấp", "Tổ dân phố"]
    static let streets = ["Lê Lợi", "Trần Phú", "Quang Trung", "Nguyễn Trãi", "Hùng Vương", "Lý Thường Kiệt"]
    static let schoolStatuses = [
        "preschool", "primary", "lower_secondary", "upper_secondary", "out_of_school", "not_yet",
    ]
    /// Groups of children in special circumstances, Luật Trẻ em 2016 Article 10.
    static let specialCircumstances = [
        "orphan", "abandoned", "no_guardian", "disability", "hiv", "in_conflict_with_law", "drug_use",
        "out_of_school_at_risk", "injured_by_violence", "sexual_abuse", "labour_exploitation", "trafficked",
        "street_child", "separated_from_parents",
    ]
    static let noteWords = [
        "gia", "đình", "khó", "khăn", "cháu", "đi", "học", "đều", "cần", "theo", "dõi", "thêm", "bố", "mẹ", "làm",
        "ăn", "xa", "ở", "với", "ông", "bà", "đã", "thăm", "hộ", "nghèo", "hỗ", "trợ", "học", "bổng",
    ]

    var random: SplitMix64
    let today = (year: 2026, month: 11, day: 23)

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
    mutating func percent(_ chance: Int) -> Bool { random.next() % 100 < UInt64(chance) }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(random.next() % UInt64(range.count))
    }

    mutating func fullName(sex: String) -> String {
        var parts = [pick(Self.familyNames)]
        if sex == "F" { parts.append("Thị") } else { parts.append(pick(Self.middleNames)) }
        for _ in 0..<int(1...3) { parts.append(pick(Self.givenNames)) }
        return parts.joined(separator: " ")
    }

    mutating func notes() -> String {
        var words: [String] = []
        var length = 0
        let target = int(20...200)
        while length < target {
            let word = pick(Self.noteWords)
            words.append(word)
            length += word.count + 1
        }
        return words.joined(separator: " ").capitalizedFirst
    }

    /// The villages of one commune, 10 to 20 of them.
    mutating func villages() -> [String] {
        let prefix = pick(Self.villagePrefixes)
        return (1...int(10...20)).map { "\(prefix) \($0)" }
    }

    /// One child's fields; empty ones are left out.
    mutating func child(villages: [String]) -> [String: FieldValue] {
        let sex = percent(50) ? "M" : "F"
        let age = int(0...15)
        var fields: [String: FieldValue] = [
            "full_name": .string(fullName(sex: sex)),
            "sex": .string(sex),
            "date_of_birth": .string(
                "\(today.year - age - 1 + (percent(50) ? 1 : 0))-\(twoDigits(int(1...12)))-\(twoDigits(int(1...28)))"),
            "ethnicity": .string(percent(85) ? "kinh" : pick(Self.ethnicities)),
            "village": .string(pick(villages)),
            "address": .string("Số \(int(1...199)), đường \(pick(Self.streets)), \(pick(villages))"),
            "guardian_name": .string(fullName(sex: percent(50) ? "M" : "F")),
            "school_status": .string(schoolStatus(age: age)),
            "at_risk": .bool(percent(3)),
            "birth_registered": .bool(percent(98)),
            "health_insurance": .bool(percent(90)),
        ]
        if !percent(10) { fields["guardian_phone"] = .string("0" + (0..<9).map { _ in String(int(0...9)) }.joined()) }
        if percent(5) { fields["special_circumstance"] = .string(pick(Self.specialCircumstances)) }
        if percent(3) { fields["disability"] = .string(pick(["physical", "visual", "hearing", "intellectual"])) }
        if percent(30) { fields["notes"] = .string(notes()) }
        return fields
    }

    mutating func schoolStatus(age: Int) -> String {
        switch age {
        case 0...2: "not_yet"
        case 3...5: "preschool"
        default:
            percent(6) ? "out_of_school" : (age <= 10 ? "primary" : age <= 14 ? "lower_secondary" : "upper_secondary")
        }
    }

    func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// SplitMix64, the benchmark's seeded generator.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

import Domain
import SyncCore

/// Children records of the province-night workload's shape (shared/WORKLOAD.md), made from a
/// seed: the same seed gives the same data. The records are valid under the domain definition
/// (version 1) as a node writes them — codes, dates, NFC text, every required field, the rules
/// across fields — since a hub refuses anything else (`CommuneNight.make` checks each one).
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
    /// Groups of children in special circumstances, Luật Trẻ em 2016 Article 10, as the definition
    /// codes them (a…o, đ as dd).
    static let circumstanceGroups = Enumerations.circumstanceGroup.values.map(\.code)
    static let atRiskReasons = [
        "Cha mẹ đi làm ăn xa, trẻ ở với ông bà", "Gia đình có bạo lực", "Bỏ học, đi làm thuê",
        "Sống một mình, không có người chăm sóc", "Gia đình nghèo, cha nghiện rượu",
    ]
    static let noteWords = [
        "gia", "đình", "khó", "khăn", "cháu", "đi", "học", "đều", "cần", "theo", "dõi", "thêm", "bố", "mẹ", "làm",
        "ăn", "xa", "ở", "với", "ông", "bà", "đã", "thăm", "hộ", "nghèo", "hỗ", "trợ", "học", "bổng",
    ]

    var random: SplitMix64
    /// The day the data is made for: every child is under 16 on it and none is born after it.
    static let today = (year: 2026, month: 11, day: 23)

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

    /// A case's plan: notes cut to at most `count` characters, without a space left at the end.
    mutating func plan(atMost count: Int) -> String {
        var text = Substring(notes().prefix(count))
        while text.last == " " { text = text.dropLast() }
        return String(text)
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
        let born = dateOfBirth(age: age)
        let atRisk = percent(3)
        var fields: [String: FieldValue] = [
            "full_name": .string(fullName(sex: sex)),
            "sex": .string(sex),
            "date_of_birth": .string(Self.isoDate(born)),
            "ethnicity": .string(percent(85) ? "kinh" : pick(Self.ethnicities)),
            "village": .string(pick(villages)),
            "address": .string("Số \(int(1...199)), đường \(pick(Self.streets)), \(pick(villages))"),
            "guardian_name": .string(fullName(sex: percent(50) ? "M" : "F")),
            "school_status": .string(schoolStatus(age: age)),
            "at_risk": .bool(atRisk),
            "birth_registered": .bool(percent(98)),
            "health_insurance": .bool(percent(90)),
            "lifecycle": "active",
        ]
        if atRisk { fields["at_risk_reason"] = .string(pick(Self.atRiskReasons)) }
        if !percent(10) { fields["guardian_phone"] = .string(phone()) }
        if percent(5) {
            // In the group since a day between the child's birth and the data's day.
            let since = born + int(0...(Self.todayDays - born))
            fields["circumstances"] = [
                ["group": .string(pick(Self.circumstanceGroups)), "since": .string(Self.isoDate(since))]
            ]
        }
        if percent(3) { fields["disability"] = .string(pick(["physical", "visual", "hearing", "intellectual"])) }
        if percent(30) { fields["notes"] = .string(notes()) }
        return fields
    }

    /// A mobile number: 10 digits starting with 0.
    mutating func phone() -> String { "0" + (0..<9).map { _ in String(int(0...9)) }.joined() }

    /// A day of birth (days since 1970) of a child `age` full years old on the data's day.
    mutating func dateOfBirth(age: Int) -> Int {
        let latest = Self.days(year: Self.today.year - age, month: Self.today.month, day: Self.today.day)
        let earliest = Self.days(year: Self.today.year - age - 1, month: Self.today.month, day: Self.today.day) + 1
        return earliest + int(0...(latest - earliest))
    }

    static let todayDays = days(year: today.year, month: today.month, day: today.day)

    /// How old a child born on `date` (YYYY-MM-DD) is on the data's day, in full years.
    static func age(born date: String) -> Int {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return 0 }
        return today.year - parts[0] - ((today.month, today.day) < (parts[1], parts[2]) ? 1 : 0)
    }

    /// Days since 1970-01-01 of a date of the proleptic Gregorian calendar, and back (the civil
    /// calendar algorithms of Howard Hinnant): exact for any day, without a calendar object.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func isoDate(_ days: Int) -> String {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let padded = String(year)
        return String(repeating: "0", count: max(0, 4 - padded.count)) + padded
            + "-\(twoDigits(month))-\(twoDigits(day))"
    }

    mutating func schoolStatus(age: Int) -> String {
        switch age {
        case 0...2: "not_yet"
        case 3...5: "preschool"
        default:
            percent(6) ? "out_of_school" : (age <= 10 ? "primary" : age <= 14 ? "lower_secondary" : "upper_secondary")
        }
    }

    func twoDigits(_ value: Int) -> String { Self.twoDigits(value) }
    static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
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

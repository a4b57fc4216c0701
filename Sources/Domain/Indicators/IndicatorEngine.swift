public import SyncCore

/// Computes the catalogue's counts from a replica's records, for several periods in one read of
/// each collection, each record under the unit that owns it. A record counts by the date that
/// matters to it — a report by when it was received, a case's step by the last step taken by the
/// period's end, a child by their age at the period's end — as of the last day of the period.
///
/// What the records cannot say is taken as it is now: a child whose status is "moved away" or
/// "deceased" is in no period's count (the definition keeps no date for it), and a record
/// counts under the unit that owns it now.
public struct IndicatorEngine: Sendable {
    public let bands: AgeBands

    public init(bands: AgeBands = .standard) { self.bands = bands }

    static let ended: Set<String> = ["closed", "not_substantiated", "transferred"]

    /// The fields each collection is read for: each record's shown values of these only, read
    /// in place from its stored state (a field the counting asks for must be listed here).
    static let caseEventFields = ["case_id", "at", "to"]
    static let intakeFields = ["setting", "case_id", "received_at", "source"]
    static let caseFields = [
        "intake_id", "child_id", "received_at", "case_type", "status", "status_at", "closed_at", "closure_reason",
        "deadline_emergency", "deadline_plan", "deadline_decision", "deadline_placement",
    ]
    static let childFields = [
        "sex", "date_of_birth", "lifecycle", "at_risk", "birth_registered", "health_insurance", "circumstances",
    ]
    static let activityFields = [
        "date", "kind", "children_male", "children_female", "adults_male", "adults_female", "families",
    ]

    struct Window {
        let period: ReportPeriod
        let start: Int
        let end: Int
        let endYMD: (Int, Int, Int)

        init(_ period: ReportPeriod) {
            self.period = period
            start = period.start.dayNumber
            end = period.end.dayNumber
            endYMD = period.end.ymd
        }

        func contains(_ day: Int?) -> Bool { day.map { $0 >= start && $0 <= end } ?? false }
    }

    /// What a case is at each period, read once.
    struct CaseFacts {
        let unit: String
        let child: String?
        let received: Int?
        let type: String
        /// (local day, step) of each step taken, oldest first; empty when the case has no trail.
        let steps: [(Int, String)]
        let status: String
        let statusDay: Int?
        let closedDay: Int?
        let closureReason: String?
        let deadlines: [(due: Int, met: Int?)]

        /// The step the case was at by the end of `day`, nil if not received yet.
        func step(at day: Int) -> String? {
            guard let received, received <= day else { return nil }
            if steps.isEmpty {
                let since = statusDay ?? closedDay ?? received
                return since <= day ? status : "received"
            }
            return steps.last { $0.0 <= day }?.1 ?? "received"
        }

        /// The day it ended in (the last step into an end), if it had ended by `day`. Without a
        /// trail, the day of the step it stands at, as `step(at:)` takes it: a closing moment
        /// left from before a reopening is not when a later transfer ended it.
        func endedDay(by day: Int) -> Int? {
            guard let step = step(at: day), IndicatorEngine.ended.contains(step) else { return nil }
            if steps.isEmpty { return statusDay ?? closedDay ?? received }
            return steps.last { $0.0 <= day }?.0
        }
    }

    /// Counts for every period, from `replica`'s records whose owning unit `includes` accepts,
    /// reading every record of each collection.
    public func compute(
        from replica: Replica, periods: [ReportPeriod], includes: (String) -> Bool = { _ in true }
    ) throws -> [ReportPeriod: Figures] {
        try compute(from: replica, periods: periods, includes: includes, selecting: nil)
    }

    /// The same counts as `compute(from:periods:includes: units.contains)`, reading only what
    /// they rest on: each collection's records owned by `units` (a `RecordSelection` the store
    /// answers in its query), and the children a selected case names, wherever they live now
    /// (a child moved away keeps their closed cases here, and 0101 counts them by the child's
    /// sex and age). The store selects; the counting is this engine's, on the opened states.
    public func compute(
        from replica: Replica, periods: [ReportPeriod], units: Set<String>
    ) throws -> [ReportPeriod: Figures] {
        try compute(from: replica, periods: periods, includes: units.contains, selecting: units)
    }

    private func compute(
        from replica: Replica, periods: [ReportPeriod], includes: (String) -> Bool, selecting units: Set<String>?
    ) throws -> [ReportPeriod: Figures] {
        // One collection's live records: every one, or those the store selects.
        func scan(
            _ collection: String, _ fields: [String], naming ids: Set<RecordID> = [],
            _ body: (RecordID, ProjectedRecord) throws -> Void
        ) throws {
            if let units {
                try replica.forEachLiveRecord(
                    RecordSelection(collection: collection, units: units, ids: ids), reading: fields, body)
            } else {
                try replica.forEachLiveRecord(in: collection, reading: fields, body)
            }
        }
        let windows = periods.map(Window.init)
        var figures = [Figures](repeating: Figures(), count: windows.count)

        // The steps of every case.
        var steps: [String: [(String, String)]] = [:]
        try scan("case_events", Self.caseEventFields) { _, state in
            guard let unit = state.unit, includes(unit), let caseID = state.value("case_id")?.stringValue,
                let at = state.value("at")?.stringValue, let to = state.value("to")?.stringValue
            else { return }
            steps[caseID, default: []].append((at, to))
        }

        // Reports: the setting and source of each, and which case each led to.
        var intakes: [(id: String, unit: String, received: Int?, source: String, caseID: String?)] = []
        var settingOfCase: [String: String] = [:]
        var settingOfIntake: [String: String] = [:]
        try scan("intakes", Self.intakeFields) { id, state in
            guard let unit = state.unit, includes(unit) else { return }
            let setting = state.value("setting")?.stringValue ?? Dimension.unknown
            let caseID = state.value("case_id")?.stringValue
            if let caseID { settingOfCase[caseID] = setting }
            settingOfIntake[id.description] = setting
            intakes.append(
                (
                    id.description, unit, state.value("received_at")?.stringValue.flatMap(DayNumbers.instant),
                    state.value("source")?.stringValue ?? Dimension.unknown, caseID
                ))
        }

        // Cases.
        var cases: [String: CaseFacts] = [:]
        var caseOfIntake: [String: String] = [:]
        try scan("cases", Self.caseFields) { id, state in
            guard let unit = state.unit, includes(unit) else { return }
            let key = id.description
            if let intake = state.value("intake_id")?.stringValue {
                caseOfIntake[intake] = key
                if settingOfCase[key] == nil, let setting = settingOfIntake[intake] { settingOfCase[key] = setting }
            }
            var trail = (steps[key] ?? []).compactMap { at, to in DayNumbers.instant(at).map { (at, $0, to) } }
            trail.sort { $0.0 < $1.0 }
            var deadlines: [(Int, Int?)] = []
            for name in ["deadline_emergency", "deadline_plan", "deadline_decision", "deadline_placement"] {
                guard case .object(let deadline) = state.value(name),
                    let due = deadline["due"]?.stringValue.flatMap(DayNumbers.instant)
                else { continue }
                deadlines.append((due, deadline["met"]?.stringValue.flatMap(DayNumbers.instant)))
            }
            cases[key] = CaseFacts(
                unit: unit, child: state.value("child_id")?.stringValue,
                received: state.value("received_at")?.stringValue.flatMap(DayNumbers.instant),
                type: state.value("case_type")?.stringValue ?? "other", steps: trail.map { ($0.1, $0.2) },
                status: state.value("status")?.stringValue ?? "received",
                statusDay: state.value("status_at")?.stringValue.flatMap(DayNumbers.instant),
                closedDay: state.value("closed_at")?.stringValue.flatMap(DayNumbers.instant),
                closureReason: state.value("closure_reason")?.stringValue,
                deadlines: deadlines.map { (due: $0.0, met: $0.1) })
        }
        steps = [:]

        // Which children have a case handled in each period (for 0104), and who they are (0101).
        var handled = [Set<String>](repeating: [], count: windows.count)
        var caseChildren: [String: (sex: String, born: (Int, Int, Int)?)] = [:]
        for facts in cases.values {
            guard let child = facts.child else { continue }
            caseChildren[child] = (Dimension.unknown, nil)
            for (index, window) in windows.enumerated() {
                guard let received = facts.received, received <= window.end else { continue }
                // Ended before the period and not taken up again in it (a case reopened in the
                // period was handled in it).
                if facts.endedDay(by: window.start - 1) != nil,
                    !facts.steps.contains(where: { $0.0 >= window.start && $0.0 <= window.end })
                {
                    continue
                }
                handled[index].insert(child)
            }
        }

        try scan("children", Self.childFields, naming: Set(caseChildren.keys.compactMap(RecordID.init(string:)))) {
            id, state in
            let key = id.description
            let sex = state.value("sex")?.stringValue ?? Dimension.unknown
            let born = state.value("date_of_birth")?.stringValue.flatMap(DayNumbers.ymd)
            if caseChildren[key] != nil { caseChildren[key] = (sex, born) }
            guard let unit = state.unit, includes(unit), let born else { return }
            let lifecycle = state.value("lifecycle")?.stringValue
            if lifecycle == "moved_away" || lifecycle == "deceased" { return }
            let bornDay = DayNumbers.days(born.0, born.1, born.2)
            let atRisk = state.value("at_risk") == .bool(true)
            let registered = state.value("birth_registered") == .bool(true)
            let insured = state.value("health_insurance") == .bool(true)
            var circumstances: [(group: String, since: Int?, until: Int?)] = []
            if case .array(let entries) = state.value("circumstances") {
                for case .object(let entry) in entries {
                    guard let group = entry["group"]?.stringValue else { continue }
                    circumstances.append(
                        (
                            group, entry["since"]?.stringValue.flatMap(DayNumbers.date),
                            entry["until"]?.stringValue.flatMap(DayNumbers.date)
                        ))
                }
            }
            for (index, window) in windows.enumerated() {
                guard bornDay <= window.end, let age = bands.code(age: DayNumbers.age(born: born, on: window.endYMD))
                else { continue }
                figures[index].count(unit: unit, "0201", [(.sex, sex), (.age, age)], cross: true)
                if registered { figures[index].count(unit: unit, "0202", [(.sex, sex)]) }
                if insured { figures[index].count(unit: unit, "0204", [(.sex, sex)]) }
                if atRisk { figures[index].count(unit: unit, "0106", [(.sex, sex), (.age, age)]) }
                var groups: [String] = []
                for entry in circumstances
                where (entry.since ?? Int.min) <= window.end && (entry.until ?? Int.max) >= window.end
                    && !groups.contains(entry.group)
                {
                    groups.append(entry.group)
                }
                guard !groups.isEmpty else { continue }
                figures[index].count(unit: unit, "0103", [(.sex, sex), (.age, age)], overlapping: [(.group, groups)])
                if handled[index].contains(key) { figures[index].count(unit: unit, "0104", [(.sex, sex)]) }
            }
        }

        for (index, window) in windows.enumerated() {
            // Cases: received, open by step, overdue, ended — and the children abused.
            var abused: [String: [String: (first: Int, types: [String], settings: [String])]] = [:]
            for (key, facts) in cases {
                let unit = facts.unit
                if window.contains(facts.received) {
                    figures[index].count(unit: unit, "0110", [(.type, facts.type)])
                    if let child = facts.child {
                        let setting = settingOfCase[key] ?? Dimension.unknown
                        var entry = abused[unit, default: [:]][child] ?? (facts.received!, [], [])
                        entry.first = min(entry.first, facts.received!)
                        if !entry.types.contains(facts.type) { entry.types.append(facts.type) }
                        if !entry.settings.contains(setting) { entry.settings.append(setting) }
                        abused[unit, default: [:]][child] = entry
                    }
                }
                guard let step = facts.step(at: window.end) else { continue }
                if Self.ended.contains(step) {
                    if let day = facts.endedDay(by: window.end), day >= window.start {
                        let reason = step == "closed" ? (facts.closureReason ?? "other") : "other"
                        figures[index].count(unit: unit, "0113", [(.reason, reason)])
                    }
                    continue
                }
                figures[index].count(unit: unit, "0111", [(.step, step)])
                if facts.deadlines.contains(where: { $0.due <= window.end && ($0.met.map { $0 > window.end } ?? true) })
                {
                    figures[index].count(unit: unit, "0112", [])
                }
            }
            for (unit, children) in abused {
                for (child, entry) in children {
                    let who = caseChildren[child] ?? (Dimension.unknown, nil)
                    let received = LocalDate(dayNumber: entry.first).ymd
                    let age = who.born.flatMap { bands.code(age: DayNumbers.age(born: $0, on: received)) }
                    figures[index].count(
                        unit: unit, "0101", [(.sex, who.sex), (.age, age ?? Dimension.unknown)],
                        overlapping: [(.type, entry.types), (.setting, entry.settings)])
                }
            }
            // Reports received, and resolved by the period's end.
            for intake in intakes where window.contains(intake.received) {
                figures[index].count(unit: intake.unit, "0107", [(.source, intake.source)])
                let caseKey = intake.caseID ?? caseOfIntake[intake.id]
                if let caseKey, let facts = cases[caseKey], facts.endedDay(by: window.end) != nil {
                    figures[index].count(unit: intake.unit, "0108", [(.source, intake.source)])
                }
            }
        }

        try scan("activities", Self.activityFields) { _, state in
            guard let unit = state.unit, includes(unit),
                let day = state.value("date")?.stringValue.flatMap(DayNumbers.date)
            else { return }
            func number(_ name: String) -> Int {
                // Bounded as the definition bounds it: a value stored against it (a set-aside
                // change accepted as sent) cannot overflow the sums.
                if case .int(let value) = state.value(name) { return Int(clamping: min(max(0, value), 100_000)) }
                return 0
            }
            let kind = state.value("kind")?.stringValue ?? "other"
            for (index, window) in windows.enumerated() where window.contains(day) {
                figures[index].count(unit: unit, "0301", [(.kind, kind)])
                for (audience, field) in [
                    ("boys", "children_male"), ("girls", "children_female"), ("men", "adults_male"),
                    ("women", "adults_female"),
                ] {
                    let people = number(field)
                    figures[index].add(people, unit: unit, indicator: "0302", key: "")
                    figures[index].add(
                        people, unit: unit, indicator: "0302", key: Indicator.key([(.audience, audience)]))
                }
                figures[index].add(number("families"), unit: unit, indicator: "0303", key: "")
            }
        }

        return Dictionary(uniqueKeysWithValues: zip(periods, figures))
    }
}

extension Figures {
    /// Counts one record: its total, one cell per dimension (and the cross of the first two
    /// with `cross`), and one cell per value of each overlapping dimension.
    mutating func count(
        unit: String, _ indicator: String, _ cells: [(Dimension, String)], cross: Bool = false,
        overlapping: [(Dimension, [String])] = []
    ) {
        add(1, unit: unit, indicator: indicator, key: "")
        for cell in cells { add(1, unit: unit, indicator: indicator, key: Indicator.key([cell])) }
        if cross, cells.count >= 2 {
            add(1, unit: unit, indicator: indicator, key: Indicator.key([cells[0], cells[1]]))
        }
        for (dimension, codes) in overlapping {
            for code in codes { add(1, unit: unit, indicator: indicator, key: Indicator.key([(dimension, code)])) }
        }
    }
}

public import Foundation
public import SyncCore

/// A case in one line: where it stands and what is due next.
public struct CaseSummary: Sendable {
    public let record: DomainRecord
    public let facts: CaseFacts?
    public let rules: DeadlineRules

    public init(_ record: DomainRecord, store: DomainStore) {
        self.record = record
        facts = try? store.facts(of: record)
        rules = store.rules
    }

    public var isOpen: Bool { facts?.state.isOpen ?? true }

    /// The earliest deadline still owed.
    public var nextDeadline: CaseDeadline? {
        facts?.deadlines.filter { $0.met == nil }.min { $0.due < $1.due }
    }

    public var nextDue: Date? { isOpen ? nextDeadline?.due : nil }

    public func line(_ language: Language) -> String {
        let state = facts?.state.label.text(language) ?? record.string("status") ?? "?"
        let received = record.string("received_at").flatMap(Instant.parse).map(Instant.display) ?? ""
        var line =
            "\(record.id)  \(state)  " + Localized(vi: "tiếp nhận", en: "received").text(language) + " \(received)"
        if isOpen, let next = nextDeadline {
            line +=
                "  " + Localized(vi: "hạn tiếp theo", en: "next due").text(language)
                + ": \(next.kind.label(rules: rules).text(language)) \(Instant.display(next.due))"
        }
        return line
    }
}

/// A case on paper: the step bar, its deadlines, its history and what is filed under it.
public struct CaseSheet: Sendable {
    public let record: DomainRecord
    public let filed: [String: [DomainRecord]]
    public let store: DomainStore

    public init(record: DomainRecord, filed: [String: [DomainRecord]], store: DomainStore) {
        self.record = record
        self.filed = filed
        self.store = store
    }

    /// The main line of steps with the case's place on it: done ✓, current ●, to come ○; a side
    /// state (not substantiated, transferred, reopened) is named after the bar.
    public static func stepBar(_ state: CaseState, _ language: Language, seriousDanger: Bool? = nil) -> String {
        // Emergency intervention is on a case's way only when serious danger was found.
        let line = CaseState.allCases.filter { $0.stepIndex != nil && ($0 != .emergency || seriousDanger == true) }
            .sorted { $0.stepIndex! < $1.stepIndex! }
        let current = state.stepIndex
        var parts: [String] = []
        for step in line {
            let mark: String
            if let current, step.stepIndex! < current {
                mark = "✓"
            } else if step == state {
                mark = "●"
            } else {
                mark = "○"
            }
            parts.append("\(mark) \(step.label.text(language))")
        }
        var bar = parts.joined(separator: " → ")
        if current == nil { bar += "   [\(state.label.text(language))]" }
        return bar
    }

    public func text(_ language: Language) -> String {
        let definition = store.definition
        func l(_ vi: String, _ en: String) -> String { Localized(vi: vi, en: en).text(language) }
        var out: [String] = []
        let facts = try? store.facts(of: record)
        out.append(l("Hồ sơ vụ việc", "Case") + " \(record.id)")
        if let facts { out.append(Self.stepBar(facts.state, language, seriousDanger: facts.seriousDanger)) }
        if !store.isOwn(record) {
            out.append(
                l(
                    "(đã chuyển sang đơn vị \(record.unit ?? "?"); chỉ xem)",
                    "(moved to unit \(record.unit ?? "?"); read-only)"))
        }
        var shown = record
        shown = DomainRecord(
            collection: record.collection, id: record.id,
            values: record.values.filter { !$0.key.hasPrefix("deadline_") }, unit: record.unit,
            conflictedFields: record.conflictedFields, deleted: record.deleted)
        out.append(Display.table(Display.lines(shown, definition: definition, language)))
        if let facts, !facts.deadlines.isEmpty {
            out.append("")
            out.append(l("Thời hạn", "Deadlines") + ":")
            let now = store.now()
            for deadline in facts.deadlines.sorted(by: { $0.due < $1.due }) {
                let status: String
                if let met = deadline.met {
                    status =
                        (met > deadline.due ? l("thực hiện muộn", "met late") : l("đã thực hiện", "met"))
                        + " \(Instant.display(met))"
                } else {
                    status = deadline.due < now ? l("QUÁ HẠN", "OVERDUE") : l("chưa đến hạn", "not yet due")
                }
                out.append(
                    "  \(deadline.kind.label(rules: store.rules).text(language)): \(Instant.display(deadline.due)) — \(status)"
                )
            }
        }
        let sections: [(String, Localized)] = [
            ("case_events", Localized(vi: "Diễn biến", en: "History")),
            ("assessments", Localized(vi: "Đánh giá", en: "Assessments")),
            ("plans", Localized(vi: "Kế hoạch", en: "Plans")),
            ("referrals", Localized(vi: "Chuyển gửi", en: "Referrals")),
            ("visits", Localized(vi: "Theo dõi, thăm hỏi", en: "Visits")),
        ]
        for (collection, title) in sections {
            let records = filed[collection] ?? []
            if records.isEmpty { continue }
            out.append("")
            out.append(title.text(language) + ":")
            for item in records {
                if collection == "case_events" {
                    let at = item.string("at").flatMap(Instant.parse).map(Instant.display) ?? ""
                    let to = CaseState(rawValue: item.string("to") ?? "")?.label.text(language) ?? ""
                    let action =
                        CaseAction(rawValue: item.string("action") ?? "")?.label.text(language)
                        ?? Localized(vi: "Mở hồ sơ", en: "Case opened").text(language)
                    var line =
                        "  \(at)  \(action)" + (action == to ? "" : " → \(to)") + "  (\(item.string("by") ?? "")"
                        + (item.string("role").map { ", \($0)" } ?? "") + ")"
                    if let reason = item.string("reason") { line += " — \(reason)" }
                    out.append(line)
                } else {
                    let lines = Display.lines(item, definition: definition, language)
                        .filter { $0.0 != definition.collection(collection)?.field("case_id")?.label.text(language) }
                    out.append("  " + item.id.description)
                    out.append(Display.table(lines).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                }
            }
        }
        return out.joined(separator: "\n")
    }
}

extension DomainRecord {
    /// A record with the given values (for views that leave some out).
    public init(
        collection: String, id: RecordID, values: [String: FieldValue], unit: String?, conflictedFields: [String],
        deleted: Bool
    ) {
        self.collection = collection
        self.id = id
        self.values = values
        self.unit = unit
        self.conflictedFields = conflictedFields
        self.deleted = deleted
    }
}

import Domain
import Foundation
import SyncCore

/// A `ReportDocument` laid out five ways: a terminal table, a CSV file for Excel, a JSON
/// document, an SVG chart per indicator, and the printable HTML page a chairman signs. The
/// renderers only lay the document out: every figure, label and name comes from it (unit names
/// from data, so every format escapes them), and the words around them are in `language`.
///
/// The functions live in one file per format (`ReportRender+Table.swift`, …); `ReportStyle`
/// holds what they share: how a figure reads, the approval marks, the notes.
public enum ReportRender {}

/// How a document's figures and notes read in one language.
///
/// Numbers follow the language: Vietnamese groups thousands with `.` and writes decimals with
/// `,` (`1.234`, `4,5 %`), English the other way round (`1,234`, `4.5 %`). A share has one
/// decimal (`—` when its denominator is zero), a hidden cell reads `<T` with T the document's
/// threshold, and a count that changed since it was approved or submitted carries the figure
/// then: `13 (đã duyệt: 12)`.
struct ReportStyle {
    let document: ReportDocument
    let language: Language

    init(_ document: ReportDocument, _ language: Language) {
        self.document = document
        self.language = language
    }

    func text(_ localized: Localized) -> String { localized.text(language) }

    func text(vi: String, en: String) -> String { language == .vi ? vi : en }

    // MARK: Numbers

    /// `1.234` (vi) or `1,234` (en).
    func integer(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = value < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(language == .vi ? "." : ",") }
            result.append(digit)
        }
        return result
    }

    /// `4,5 %` (vi) or `4.5 %` (en): one decimal.
    func percent(_ value: Double) -> String {
        let tenths = Self.tenths(value)
        return "\(integer(tenths / 10))\(language == .vi ? "," : ".")\(tenths % 10) %"
    }

    /// A percentage in tenths, rounded half away from zero: what every format shows.
    static func tenths(_ percent: Double) -> Int { Int((percent * 10).rounded()) }

    /// A target's percentage: `4`, `4,5` (vi) or `4.5` (en), without a trailing `,0`.
    func targetNumber(_ value: Double) -> String {
        let tenths = Self.tenths(value)
        return tenths % 10 == 0
            ? integer(tenths / 10) : "\(integer(tenths / 10))\(language == .vi ? "," : ".")\(tenths % 10)"
    }

    /// What a hidden cell shows: `<5`.
    var suppressed: String { "<\(document.threshold.map(String.init) ?? "")" }

    /// A cell as every human-readable format shows it.
    func cell(_ cell: ReportDocument.Cell) -> String {
        switch cell {
        case .count(let value): integer(value)
        case .share(let value?): percent(value)
        case .share(nil): "—"
        case .suppressed: suppressed
        }
    }

    /// A row's figure with the figure approved (or submitted) beside it when it changed since.
    func figure(_ row: ReportDocument.Row) -> String {
        guard let approved = row.approved else { return cell(row.value) }
        return "\(cell(row.value)) (\(approvedWord): \(integer(approved)))"
    }

    /// What the figure beside a changed one is: the approved, submitted or returned figure.
    var approvedWord: String {
        switch document.approval?.status {
        case "submitted": text(vi: "đã gửi", en: "submitted")
        case "returned": text(vi: "khi trả lại", en: "when returned")
        default: text(vi: "đã duyệt", en: "approved")
        }
    }

    // MARK: Names and dates

    /// `Xã Pà Cò (17605)`.
    func unit(_ unit: UnitTree.Unit) -> String { "\(unit.name) (\(unit.code))" }

    /// A unit's name and code when the document knows it (the unit or one below), else its code.
    func unit(code: String) -> String {
        if code == document.unit.code { return unit(document.unit) }
        for section in document.sections {
            if let figure = section.byUnit.first(where: { $0.unit.code == code }) { return unit(figure.unit) }
        }
        return code
    }

    /// The day the document was generated, `05/07/2026`, in Vietnam's time.
    var generatedDay: LocalDate { LocalDate.today(at: document.generated) }

    /// `6 tháng đầu năm 2026` → `6 tháng đầu năm 2026`; `first half of 2026` → `First half of 2026`.
    func heading(_ period: ReportPeriod) -> String {
        let label = text(period.label)
        return label.prefix(1).uppercased() + label.dropFirst()
    }

    /// `0101 Số trẻ em bị xâm hại`.
    func title(_ indicator: Indicator) -> String { "\(indicator.code) \(text(indicator.name))" }

    /// A cell's label from the document (`0201 Số trẻ em · Nữ`), for the list of changes.
    func cellLabel(indicator code: String, key: String) -> String {
        guard let section = document.section(code) else { return key.isEmpty ? code : "\(code) \(key)" }
        let row = section.rows.first { $0.key == key }
        return "\(title(section.indicator)) · \(row.map { text($0.label) } ?? key)"
    }

    /// The breakdown a row belongs to (`Giới tính`, `Giới tính × Nhóm tuổi`); nil for the total.
    func breakdown(_ key: String) -> String? {
        guard !key.isEmpty else { return nil }
        return key.split(separator: ",").map { pair in
            let name = String(pair.split(separator: "=", maxSplits: 1).first ?? "")
            return Dimension(rawValue: name).map { text($0.label) } ?? name
        }.joined(separator: " × ")
    }

    /// The rows, each with the heading of its breakdown when it is the first of it: a table
    /// shows `Giới tính` above Nam and Nữ, so two cells both labelled `Khác` (of the kind of
    /// abuse and of the setting) cannot be taken for one another.
    func grouped(_ rows: [ReportDocument.Row]) -> [(heading: String?, row: ReportDocument.Row)] {
        var previous: String?
        return rows.map { row in
            let breakdown = self.breakdown(row.key)
            defer { previous = breakdown }
            return (breakdown != previous ? breakdown : nil, row)
        }
    }

    // MARK: Targets

    /// `dưới 4 % (2030)`, with the number in the language's style.
    func target(_ target: Target) -> String {
        let number = targetNumber(target.percent)
        switch target.comparison {
        case .atMost: return text(vi: "dưới \(number) % (\(target.year))", en: "under \(number) % (\(target.year))")
        case .atLeast:
            return target.percent >= 100
                ? "\(number) % (\(target.year))"
                : text(vi: "trên \(number) % (\(target.year))", en: "over \(number) % (\(target.year))")
        }
    }

    /// Whether the section's total meets its target: nil for a count, a share without a
    /// denominator, a hidden total or no target.
    func met(_ section: ReportDocument.Section) -> Bool? {
        guard section.indicator.isShare, let target = section.target, case .share(let value?) = section.total.value
        else { return nil }
        return target.met(by: value)
    }

    /// `Mục tiêu: dưới 4 % (2030) ✓ đạt`.
    func targetLine(_ section: ReportDocument.Section) -> String? {
        guard let target = section.target else { return nil }
        var line = "\(text(vi: "Mục tiêu", en: "Target")): \(self.target(target))"
        if let met = met(section) {
            line += met ? " ✓ \(text(vi: "đạt", en: "met"))" : " ✗ \(text(vi: "chưa đạt", en: "not met"))"
        }
        return line
    }

    // MARK: Notes

    /// The note a published table carries.
    var thresholdNote: String? {
        guard let threshold = document.threshold else { return nil }
        return text(
            vi: "Số liệu công bố: số từ 1 đến \(threshold - 1) được ẩn và ghi <\(threshold)"
                + " (cùng một ô khác khi cần, để không suy ra được bằng phép trừ).",
            en: "Published figures: counts from 1 to \(threshold - 1) are hidden and shown as <\(threshold)"
                + " (with another cell where needed, so none can be worked out by subtraction).")
    }

    /// The units whose figures came from a lower hub's aggregates.
    var aggregatesNote: String? {
        guard !document.fromAggregates.isEmpty else { return nil }
        return text(vi: "Số liệu tổng hợp từ cấp dưới: ", en: "Figures from lower hubs' aggregates: ")
            + document.fromAggregates.map { unit(code: $0) }.joined(separator: ", ")
    }

    /// `Đã phê duyệt — gửi 02/07/2026 09:30 (Nguyễn Văn A), quyết định …`.
    var approvalLine: String? {
        guard let approval = document.approval else { return nil }
        var line =
            "\(text(vi: "Phê duyệt", en: "Approval")): "
            + Enumerations.approvalStatus.label(approval.status, language)
        func moment(_ word: String, _ at: String?, _ by: String?) {
            guard at != nil || by != nil else { return }
            line += "; \(word)"
            if let at { line += " " + (Instant.parse(at).map(Instant.display) ?? at) }
            if let by { line += " (\(by))" }
        }
        moment(text(vi: "gửi", en: "submitted"), approval.submittedAt, approval.submittedBy)
        moment(text(vi: "quyết định", en: "decided"), approval.decidedAt, approval.decidedBy)
        if let reason = approval.reason, !reason.isEmpty {
            line += "; \(text(vi: "lý do", en: "reason")): \(reason)"
        }
        return line
    }

    /// The heading of the list of changed figures, when there are any.
    var changesHeading: String? {
        guard let approval = document.approval, !approval.changes.isEmpty else { return nil }
        return switch approval.status {
        case "submitted": text(vi: "Số liệu thay đổi từ khi gửi:", en: "Figures changed since submitted:")
        case "returned": text(vi: "Số liệu thay đổi từ khi trả lại:", en: "Figures changed since returned:")
        default: text(vi: "Số liệu thay đổi từ khi duyệt:", en: "Figures changed since approved:")
        }
    }

    /// `0201 Số trẻ em · Tổng số: 12 → 13`, one per changed cell.
    var changeLines: [String] {
        (document.approval?.changes ?? []).map {
            "\(cellLabel(indicator: $0.indicator, key: $0.key)): \(integer($0.then)) → \(integer($0.now))"
        }
    }

    /// The indicators the compact table by unit shows, in catalogue order.
    static let mainIndicators = ["0201", "0101", "0102", "0103", "0107", "0109", "0112", "0203"]
}

/// Text safe to print on a terminal: a control or format character (an escape sequence, a
/// carriage return, a bidirectional override — unit names come from data) becomes `�`.
public func terminalSafe(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isTerminalUnsafe) else { return text }
    var result = String.UnicodeScalarView()
    for scalar in text.unicodeScalars { result.append(isTerminalUnsafe(scalar) ? "\u{FFFD}" : scalar) }
    return String(result)
}

/// Display width in a terminal: one column per character of the NFC text, so a Vietnamese letter
/// with its marks (`ệ`, precomposed or not) is one column, whatever its byte count.
func displayWidth(_ text: String) -> Int { text.precomposedStringWithCanonicalMapping.count }

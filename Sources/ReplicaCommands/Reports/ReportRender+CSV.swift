public import Domain
public import Foundation

extension ReportRender {
    /// The report as a CSV file that opens correctly in Excel: the bytes to write as they are
    /// (not through `print`, which would add a bare LF).
    ///
    /// - UTF-8 with a byte-order mark (EF BB BF), without which Excel reads the file in the
    ///   machine's ANSI code page and mangles every Vietnamese letter; CRLF line ends; RFC 4180
    ///   quoting (a field holding `,`, `"`, CR or LF is quoted, its quotes doubled).
    /// - A header row in `language`, then one row per indicator and cell, then one per indicator
    ///   and unit below (breakdown key `unit=17605`, label the unit's name). Columns, in order:
    ///   unit code, unit name, period (`2026-H1`), indicator code, indicator name, unit of
    ///   measure, breakdown key (empty for the total), breakdown label, value, previous period
    ///   (`2025-H2`), its value, and the value approved (or submitted) when the figure is not
    ///   that any more.
    /// - Figures are plain: a count without thousands separator (`1234`), a share in percent with
    ///   one decimal and a `.` (`4.5`), a share without a denominator empty, a hidden cell `<5`.
    ///   A count has no separator at all, so Excel reads it as a number in every regional
    ///   format. A share's decimal mark cannot suit every format; `.` is the one of RFC 4180 data,
    ///   of every program that reads CSV and of Excel in an English format. Where Windows uses a
    ///   decimal comma, Excel may keep a share as text: open the file with Data → From Text/CSV
    ///   and the English (United States) locale, or read the JSON.
    /// - A code of digits that starts with 0 (indicator `0101`, unit `01`) is written `="0101"`,
    ///   Excel's and LibreOffice's way to keep it text: opened plainly, Excel would make it the
    ///   number 101. The formula holds nothing but those digits.
    /// - Formula injection: a text field that starts with `=`, `+`, `-`, `@`, a tab or a CR
    ///   (unit names come from data) gets a leading `'`, so no spreadsheet runs it.
    public static func csv(_ document: ReportDocument, language: Language = .vi) -> Data {
        let style = ReportStyle(document, language)
        let head = [
            style.text(vi: "Mã đơn vị", en: "Unit code"), style.text(vi: "Tên đơn vị", en: "Unit name"),
            style.text(vi: "Kỳ báo cáo", en: "Period"), style.text(vi: "Mã chỉ tiêu", en: "Indicator code"),
            style.text(vi: "Tên chỉ tiêu", en: "Indicator"), style.text(vi: "Đơn vị tính", en: "Unit of measure"),
            style.text(vi: "Mã phân tổ", en: "Breakdown key"), style.text(vi: "Phân tổ", en: "Breakdown"),
            style.text(vi: "Giá trị", en: "Value"), style.text(vi: "Kỳ trước", en: "Previous period"),
            style.text(vi: "Giá trị kỳ trước", en: "Previous value"),
            style.text(vi: "Giá trị khi duyệt/gửi", en: "Value when approved or submitted"),
        ]
        var text = "\u{FEFF}" + head.map { CSVField.text($0).encoded }.joined(separator: ",") + "\r\n"
        func line(_ fields: [CSVField]) { text += fields.map(\.encoded).joined(separator: ",") + "\r\n" }
        let unit: [CSVField] = [
            .code(document.unit.code), .text(document.unit.name), .text(document.period.description),
        ]
        let previous = CSVField.text(document.previous.description)
        for section in document.sections {
            let indicator: [CSVField] = [
                .code(section.indicator.code), .text(style.text(section.indicator.name)),
                .text(style.text(section.indicator.unitName)),
            ]
            for row in section.rows {
                line(
                    unit + indicator + [
                        .text(row.key), .text(style.text(row.label)), csvCell(row.value, style), previous,
                        csvCell(row.previous, style), .number(row.approved.map(String.init) ?? ""),
                    ])
            }
            for figure in section.byUnit {
                line(
                    unit + indicator + [
                        .text("unit=\(figure.unit.code)"), .text(figure.unit.name), csvCell(figure.value, style),
                        previous, csvCell(figure.previous, style), .number(""),
                    ])
            }
        }
        return Data(text.utf8)
    }

    static func csvCell(_ cell: ReportDocument.Cell, _ style: ReportStyle) -> CSVField {
        switch cell {
        case .count(let value): .number(String(value))
        case .share(let value?):
            .number("\(ReportStyle.tenths(value) / 10).\(ReportStyle.tenths(value) % 10)")
        case .share(nil): .number("")
        case .suppressed: .text(style.suppressed)
        }
    }
}

/// One CSV field: text from the document or data (guarded against formulas), a number we wrote,
/// or a code kept as text.
enum CSVField {
    case text(String)
    case number(String)
    case code(String)

    /// The field as RFC 4180 writes it.
    var encoded: String {
        switch self {
        case .number(let value): return value
        case .code(let value):
            if value.count > 1, value.hasPrefix("0"), value.allSatisfy({ $0.isASCII && $0.isNumber }) {
                return Self.quoted("=\"\(value)\"")
            }
            return CSVField.text(value).encoded
        case .text(let value):
            let guarded = Self.isFormula(value) ? "'" + value : value
            return guarded.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
                ? Self.quoted(guarded) : guarded
        }
    }

    /// Whether a spreadsheet would read the text as a formula (OWASP's list).
    static func isFormula(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first else { return false }
        return ["=", "+", "-", "@", "\t", "\r"].contains(first)
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

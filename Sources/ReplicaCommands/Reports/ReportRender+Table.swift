public import Domain

extension ReportRender {
    /// The report as a terminal reads it: a header (unit, period, date, notes, approval), then
    /// each indicator with its target and its rows — this period and the previous one in columns
    /// aligned by display width — then, when the unit has units below, a compact table of the
    /// main indicators by unit. Lines end with `\n`.
    public static func table(_ document: ReportDocument, language: Language = .vi) -> String {
        let style = ReportStyle(document, language)
        var lines = header(style)
        for section in document.sections {
            lines.append("")
            lines += block(section, style)
        }
        let byUnit = compactByUnit(style)
        if !byUnit.isEmpty {
            lines.append("")
            lines += byUnit
        }
        return lines.map(terminalSafe).joined(separator: "\n") + "\n"
    }

    static func header(_ style: ReportStyle) -> [String] {
        let document = style.document
        var lines = [
            style.text(
                vi: "BÁO CÁO SỐ LIỆU VỀ TRẺ EM VÀ CÔNG TÁC BẢO VỆ TRẺ EM",
                en: "REPORT ON CHILDREN AND CHILD PROTECTION"),
            "\(style.text(vi: "Đơn vị", en: "Unit")): \(style.unit(document.unit))",
            "\(style.text(vi: "Kỳ báo cáo", en: "Period")): \(style.text(document.period.label))"
                + " · \(style.text(vi: "kỳ trước", en: "previous")): \(style.text(document.previous.label))",
            "\(style.text(vi: "Ngày lập", en: "Generated")): \(style.generatedDay.display)",
        ]
        if let note = style.thresholdNote { lines.append(note) }
        if let note = style.aggregatesNote { lines.append(note) }
        if let approval = style.approvalLine { lines.append(approval) }
        if let heading = style.changesHeading {
            lines.append(heading)
            lines += style.changeLines.map { "  " + $0 }
        }
        return lines
    }

    /// One indicator: its title and unit of measure, its target, then its rows in columns.
    static func block(_ section: ReportDocument.Section, _ style: ReportStyle) -> [String] {
        let document = style.document
        var lines = ["\(style.title(section.indicator)) (\(style.text(section.indicator.unitName)))"]
        if let target = style.targetLine(section) { lines.append(target) }
        var rows: [[String]] = []
        for (heading, row) in style.grouped(section.rows) {
            if let heading { rows.append([heading, "", ""]) }
            rows.append([
                String(repeating: "  ", count: row.depth) + style.text(row.label), style.figure(row),
                style.cell(row.previous),
            ])
        }
        let head = [
            style.text(vi: "Phân tổ", en: "Breakdown"), style.heading(document.period),
            style.heading(document.previous),
        ]
        lines += columns(head: head, rows: rows)
        return lines
    }

    /// The main indicators by unit below, this period only; a line of names under it.
    static func compactByUnit(_ style: ReportStyle) -> [String] {
        let sections = ReportStyle.mainIndicators.compactMap { style.document.section($0) }
            .filter { !$0.byUnit.isEmpty }
        guard let first = sections.first else { return [] }
        var rows: [[String]] = first.byUnit.indices.map { index in
            [style.unit(first.byUnit[index].unit)]
                + sections.map { $0.byUnit.indices.contains(index) ? style.cell($0.byUnit[index].value) : "" }
        }
        rows.append([style.text(vi: "Tổng số", en: "Total")] + sections.map { style.cell($0.total.value) })
        var lines = [
            "\(style.text(vi: "Theo đơn vị", en: "By unit")) · \(style.text(style.document.period.label))"
        ]
        lines += columns(
            head: [style.text(vi: "Đơn vị", en: "Unit")] + sections.map(\.indicator.code), rows: rows, labelWidth: 30)
        lines += sections.map { "  " + style.title($0.indicator) }
        return lines
    }

    /// Rows under a header, two spaces in, the first column left-aligned and the others right-
    /// aligned, each as wide as its widest cell by display width: every line is as wide. A first
    /// cell wider than `labelWidth` is wrapped on words, its figures on its first line.
    static func columns(head: [String], rows: [[String]], labelWidth: Int = 40) -> [String] {
        let all = ([head] + rows).map { $0.map(terminalSafe) }
        var widths = head.indices.map { column in all.map { displayWidth($0[column]) }.max() ?? 0 }
        widths[0] = min(widths[0], labelWidth)
        var lines: [String] = []
        for cells in all {
            let labels = wrap(cells[0], width: widths[0])
            var line = "  "
            for (column, cell) in cells.enumerated() {
                let text = column == 0 ? labels[0] : cell
                let padding = String(repeating: " ", count: max(0, widths[column] - displayWidth(text)))
                line += column == 0 ? text + padding : "   " + padding + text
            }
            lines.append(line)
            let rest = widths.dropFirst().reduce(0) { $0 + 3 + $1 }
            for label in labels.dropFirst() {
                lines.append("  " + label + String(repeating: " ", count: widths[0] - displayWidth(label) + rest))
            }
        }
        return lines
    }

    /// `text` in lines of at most `width` columns, broken between words (a word longer than a
    /// line is cut); lines after the first indented two more than the text is.
    static func wrap(_ text: String, width: Int) -> [String] {
        guard displayWidth(text) > width else { return [text] }
        let indent = String(text.prefix { $0 == " " })
        var lines: [String] = []
        var line = ""
        func lead() -> String { lines.isEmpty ? indent : indent + "  " }
        func room() -> Int { max(1, width - displayWidth(lead())) }
        for piece in text.dropFirst(indent.count).split(separator: " ") {
            var word = String(piece)
            if !line.isEmpty, displayWidth(line) + 1 + displayWidth(word) > room() {
                lines.append(lead() + line)
                line = ""
            }
            while line.isEmpty, displayWidth(word) > room() {
                lines.append(lead() + word.prefix(room()))
                word = String(word.dropFirst(room()))
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty || lines.isEmpty { lines.append(lead() + line) }
        return lines
    }
}

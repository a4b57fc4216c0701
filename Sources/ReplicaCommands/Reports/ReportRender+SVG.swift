public import Domain
import Foundation

extension ReportRender {
    /// One indicator as a horizontal bar chart, a standalone SVG (no XML declaration, so it can
    /// also sit inside an HTML page): a bar per unit below (`section.byUnit`) — or, for a unit
    /// with none, per breakdown cell (by sex, age…; the total when there is no breakdown) — its
    /// length proportional to the count or the percentage, the previous period as a thin grey bar
    /// under it, and for a share with a target a dashed vertical line at the target, bars green
    /// where the target is met and orange where not. A hidden cell is a short hatched bar labelled
    /// `<5`; a share without a denominator has no bar and reads `—`. 720 wide, as high as its
    /// bars need; every text from the document XML-escaped.
    public static func svg(_ document: ReportDocument, section: ReportDocument.Section, language: Language = .vi)
        -> String
    {
        SVGChart(section: section, style: ReportStyle(document, language)).render()
    }

    /// A chart per indicator, in the document's order, each with its indicator's code.
    public static func svgs(_ document: ReportDocument, language: Language = .vi) -> [(code: String, svg: String)] {
        document.sections.map { ($0.indicator.code, svg(document, section: $0, language: language)) }
    }
}

/// `&`, `<`, `>`, `"` and `'` as entities: text and attribute values safe in XML and HTML. A
/// character XML 1.0 does not allow at all (a control character other than tab, LF and CR;
/// U+FFFE, U+FFFF) becomes `�`, so a name from data cannot make a chart unreadable.
public func xmlEscaped(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
        case "\u{0}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": result += "\u{FFFD}"
        // Bidi controls: an override in a name would show the text after it reversed (a date
        // or a deadline forged in what is read), so they are made `�` like the C0 controls.
        case "\u{202A}"..."\u{202E}", "\u{2066}"..."\u{2069}", "\u{200E}", "\u{200F}", "\u{061C}":
            result += "\u{FFFD}"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// The layout of one chart.
struct SVGChart {
    struct Bar {
        let label: String
        let value: ReportDocument.Cell
        let previous: ReportDocument.Cell
    }

    let section: ReportDocument.Section
    let style: ReportStyle
    /// The units below, else the breakdown cells of depth 1, else the total.
    let bars: [Bar]
    /// The axis: its end and its step, a round number (1, 2 or 5 × 10ⁿ) giving four or five
    /// steps up to the largest figure or target.
    let axis: (end: Double, step: Double)

    init(section: ReportDocument.Section, style: ReportStyle) {
        self.section = section
        self.style = style
        if !section.byUnit.isEmpty {
            bars = section.byUnit.map { Bar(label: $0.unit.name, value: $0.value, previous: $0.previous) }
        } else {
            let cells = section.rows.filter { $0.depth == 1 }
            bars = (cells.isEmpty ? [section.total] : cells).map {
                Bar(label: style.text($0.label), value: $0.value, previous: $0.previous)
            }
        }
        let isShare = section.indicator.isShare
        let figures = bars.flatMap { [Self.number($0.value), Self.number($0.previous)] }.compactMap { $0 }
        let target = isShare ? section.target?.percent ?? 0 : 0
        let largest = max((figures + [target]).max() ?? 0, isShare ? 1 : 4)
        let raw = largest / 4
        let magnitude = pow(10, floor(log10(raw)))
        var step = ([1.0, 2, 5, 10].first { $0 * magnitude >= raw } ?? 10) * magnitude
        if !isShare { step = max(1, step.rounded(.up)) }
        axis = ((largest / step).rounded(.up) * step, step)
    }

    static let width = 720.0
    static let barsLeft = 232.0
    static let barsRight = 620.0
    static let rowHeight = 30.0
    static let hiddenWidth = 18.0
    static let font = "Noto Sans, DejaVu Sans, Arial, sans-serif"

    var isShare: Bool { section.indicator.isShare }

    /// The share target drawn as a line, if any.
    var target: Target? { isShare ? section.target : nil }

    static func number(_ cell: ReportDocument.Cell) -> Double? {
        switch cell {
        case .count(let value): Double(value)
        case .share(let value): value
        case .suppressed: nil
        }
    }

    func x(_ value: Double) -> Double {
        Self.barsLeft + (Self.barsRight - Self.barsLeft) * min(max(value / axis.end, 0), 1)
    }

    func tick(_ value: Double) -> String {
        isShare ? style.targetNumber(value) + " %" : style.integer(Int(value.rounded()))
    }

    func color(_ cell: ReportDocument.Cell) -> String {
        guard let target, case .share(let value?) = cell else { return "#2b6cb0" }
        return target.met(by: value) ? "#2f855a" : "#c05621"
    }

    /// A name no wider than the label column, cut with `…`.
    static func fit(_ text: String, _ columns: Int = 32) -> String {
        let text = text.precomposedStringWithCanonicalMapping
        return text.count <= columns ? text : String(text.prefix(columns - 1)) + "…"
    }

    func render() -> String {
        let code = section.indicator.code
        let top = target == nil ? 64.0 : 84.0
        let bottom = top + Double(bars.count) * Self.rowHeight
        let height = bottom + 64
        let document = style.document
        let title = style.title(section.indicator)
        let subtitle = [
            style.unit(document.unit), style.text(document.period.label), style.text(section.indicator.unitName),
        ].joined(separator: " · ")
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(n(Self.width))" height="\(n(height))" \
            viewBox="0 0 \(n(Self.width)) \(n(height))" font-family="\(Self.font)" font-size="12" \
            role="img" aria-labelledby="title-\(code)">
            <title id="title-\(code)">\(xmlEscaped(title + " — " + subtitle))</title>
            <defs><pattern id="hatch-\(code)" width="6" height="6" patternUnits="userSpaceOnUse" \
            patternTransform="rotate(45)"><rect width="6" height="6" fill="#e2e8f0"/>\
            <line x1="0" y1="0" x2="0" y2="6" stroke="#718096" stroke-width="3"/></pattern></defs>
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="16" y="24" font-size="15" font-weight="bold">\(xmlEscaped(title))</text>
            <text x="16" y="44" fill="#4a5568">\(xmlEscaped(subtitle))</text>

            """
        // Grid and axis.
        let (end, step) = axis
        var value = 0.0
        while value <= end + step / 2 {
            let at = n(x(value))
            out += "<line x1=\"\(at)\" y1=\"\(n(top))\" x2=\"\(at)\" y2=\"\(n(bottom))\" stroke=\"#e2e8f0\"/>"
            out += "<text x=\"\(at)\" y=\"\(n(bottom + 16))\" text-anchor=\"middle\" fill=\"#4a5568\" font-size=\"11\">"
            out += "\(xmlEscaped(tick(value)))</text>\n"
            value += step
        }
        out += "<line x1=\"\(n(Self.barsLeft))\" y1=\"\(n(top))\" x2=\"\(n(Self.barsLeft))\" y2=\"\(n(bottom))\""
        out += " stroke=\"#4a5568\"/>\n"
        for (index, bar) in bars.enumerated() {
            out += row(bar, at: top + Double(index) * Self.rowHeight, code: code)
        }
        if let target {
            let at = n(x(target.percent))
            let anchor = x(target.percent) > Self.barsRight - 80 ? "end" : "start"
            let label = "\(style.text(vi: "Mục tiêu", en: "Target")): \(style.target(target))"
            out += "<line class=\"target\" x1=\"\(at)\" y1=\"\(n(top - 14))\" x2=\"\(at)\" y2=\"\(n(bottom))\""
            out += " stroke=\"#c53030\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"
            out += "<text class=\"target-label\" x=\"\(at)\" y=\"\(n(top - 18))\" text-anchor=\"\(anchor)\""
            out += " fill=\"#c53030\">\(xmlEscaped(label))</text>\n"
        }
        out += legend(at: bottom + 40, hidden: bars.contains { $0.value == .suppressed || $0.previous == .suppressed })
        return out + "</svg>\n"
    }

    /// One bar: its label, this period's bar and figure, the previous period's thin bar.
    func row(_ bar: Bar, at y: Double, code: String) -> String {
        let label = xmlEscaped(Self.fit(bar.label))
        let tooltip =
            "\(bar.label): \(style.cell(bar.value)) (\(style.text(vi: "kỳ trước", en: "previous")): "
            + "\(style.cell(bar.previous)))"
        var out = "<g class=\"row\"><title>\(xmlEscaped(tooltip))</title>"
        out += "<text x=\"16\" y=\"\(n(y + 17))\">\(label)</text>"
        var end = Self.barsLeft
        switch bar.value {
        case .suppressed:
            end += Self.hiddenWidth
            out +=
                "<rect class=\"bar hidden\" x=\"\(n(Self.barsLeft))\" y=\"\(n(y + 6))\" width=\"\(n(Self.hiddenWidth))\""
            out += " height=\"14\" fill=\"url(#hatch-\(code))\" stroke=\"#718096\"/>"
        case .share(nil):
            out += "<rect class=\"bar\" x=\"\(n(Self.barsLeft))\" y=\"\(n(y + 6))\" width=\"0\" height=\"14\"/>"
        case .count, .share:
            end = x(Self.number(bar.value) ?? 0)
            out += "<rect class=\"bar\" x=\"\(n(Self.barsLeft))\" y=\"\(n(y + 6))\" width=\"\(n(end - Self.barsLeft))\""
            out += " height=\"14\" fill=\"\(color(bar.value))\"/>"
        }
        out += "<text x=\"\(n(end + 6))\" y=\"\(n(y + 17))\">\(xmlEscaped(style.cell(bar.value)))</text>"
        switch bar.previous {
        case .suppressed:
            out += "<rect class=\"previous hidden\" x=\"\(n(Self.barsLeft))\" y=\"\(n(y + 22))\""
            out += " width=\"\(n(Self.hiddenWidth))\" height=\"4\" fill=\"url(#hatch-\(code))\"/>"
        case .share(nil):
            break
        case .count, .share:
            let width = x(Self.number(bar.previous) ?? 0) - Self.barsLeft
            out += "<rect class=\"previous\" x=\"\(n(Self.barsLeft))\" y=\"\(n(y + 22))\" width=\"\(n(width))\""
            out += " height=\"4\" fill=\"#a0aec0\"/>"
        }
        return out + "</g>\n"
    }

    /// What the bar, the thin bar, the dashed line and the hatching mean.
    func legend(at y: Double, hidden: Bool) -> String {
        let document = style.document
        var out = "<g class=\"legend\" font-size=\"11\" fill=\"#2d3748\">"
        if target == nil {
            out += "<rect x=\"16\" y=\"\(n(y - 9))\" width=\"14\" height=\"10\" fill=\"#2b6cb0\"/>"
        } else {
            // Green where the target is met, orange where not.
            out += "<rect x=\"16\" y=\"\(n(y - 9))\" width=\"7\" height=\"10\" fill=\"#2f855a\"/>"
            out += "<rect x=\"23\" y=\"\(n(y - 9))\" width=\"7\" height=\"10\" fill=\"#c05621\"/>"
        }
        out += "<text x=\"36\" y=\"\(n(y))\">\(xmlEscaped(style.text(document.period.label)))</text>"
        out += "<rect x=\"200\" y=\"\(n(y - 6))\" width=\"14\" height=\"4\" fill=\"#a0aec0\"/>"
        out += "<text x=\"220\" y=\"\(n(y))\">\(xmlEscaped(style.text(document.previous.label)))</text>"
        var next = 384.0
        if target != nil {
            out += "<line x1=\"\(n(next))\" y1=\"\(n(y - 10))\" x2=\"\(n(next))\" y2=\"\(n(y + 2))\" stroke=\"#c53030\""
            out += " stroke-width=\"2\" stroke-dasharray=\"3 2\"/>"
            out += "<text x=\"\(n(next + 6))\" y=\"\(n(y))\">\(style.text(vi: "Mục tiêu", en: "Target"))</text>"
            next += 90
        }
        if hidden {
            let text = style.text(
                vi: "\(style.suppressed): số nhỏ được ẩn", en: "\(style.suppressed): small count hidden")
            out += "<rect x=\"\(n(next))\" y=\"\(n(y - 9))\" width=\"14\" height=\"10\" fill=\"url(#hatch-"
            out += "\(section.indicator.code))\" stroke=\"#718096\"/>"
            out += "<text x=\"\(n(next + 20))\" y=\"\(n(y))\">\(xmlEscaped(text))</text>"
        }
        return out + "</g>\n"
    }

    /// A coordinate with at most one decimal and a `.`, whatever the machine's locale.
    func n(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(abs(tenths % 10))"
    }
}

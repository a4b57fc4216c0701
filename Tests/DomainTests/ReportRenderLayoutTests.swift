import Domain
import Foundation
import ReplicaCommands
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The SVG charts, the printable HTML page and the terminal table of the fixture's reports.
@Suite struct ReportRenderLayoutTests {
    typealias F = RenderFixture

    /// Every element of an XML document with its attributes and text.
    final class Collector: NSObject, XMLParserDelegate {
        struct Element {
            let name: String
            let attributes: [String: String]
            var text = ""
        }
        var elements: [Element] = []
        private var open: [Int] = []

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            open.append(elements.count)
            elements.append(Element(name: name, attributes: attributes))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let last = open.last { elements[last].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            open.removeLast()
        }

        func named(_ name: String, class prefix: String? = nil) -> [Element] {
            elements.filter { element in
                element.name == name && (prefix.map { element.attributes["class"]?.hasPrefix($0) == true } ?? true)
            }
        }
    }

    func parse(_ svg: String) throws -> Collector {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        let parsed = parser.parse()
        #expect(parsed, "not well-formed XML: \(String(describing: parser.parserError))")
        return collector
    }

    func chart(_ document: ReportDocument, _ code: String, language: Language = .vi) throws -> Collector {
        let section = try #require(document.section(code))
        return try parse(ReportRender.svg(document, section: section, language: language))
    }

    func double(_ element: Collector.Element, _ name: String) -> Double {
        Double(element.attributes[name] ?? "") ?? .nan
    }

    @Test func aShareChartHasABarPerUnitAndItsTargetLine() throws {
        let svg = try chart(F.district(), "0102")
        let root = try #require(svg.elements.first)
        #expect(root.name == "svg" && root.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(root.attributes["viewBox"]?.hasPrefix("0 0 720 ") == true && root.attributes["width"] == "720")
        #expect(root.attributes["font-family"] == "Noto Sans, DejaVu Sans, Arial, sans-serif")
        #expect(svg.named("text").contains { $0.text.contains("0102 Tỷ lệ trẻ em bị xâm hại") })
        #expect(svg.named("text").contains { $0.text.contains("6 tháng đầu năm 2026") })

        let bars = svg.named("rect", class: "bar")
        #expect(bars.count == F.communes.count)
        let targets = svg.named("line", class: "target")
        #expect(targets.count == 1)
        #expect(targets.first?.attributes["stroke-dasharray"] != nil)
        #expect(svg.named("text").contains { $0.text == "Mục tiêu: dưới 4 % (2030)" })
        // Lengths proportional to the percentages, the target line at 4 % on the same scale.
        let shares = F.communes.map { Double(F.sum("0101", over: [$0])) * 100 / Double(F.sum("0201", over: [$0])) }
        let origin = double(bars[0], "x")
        let line = try #require(targets.first)
        for (bar, share) in zip(bars, shares) {
            #expect(double(bar, "x") == origin)
            #expect(abs(double(bar, "width") / (double(line, "x1") - origin) - share / 4) < 0.01, "\(share)")
        }
        // Names from data come back as they were: the parser saw text, not markup.
        #expect(svg.named("title").contains { $0.text.hasPrefix(F.hostile + ": ") })
        #expect(!svg.elements.contains { $0.name == "Sơn" })
        #expect(svg.named("text").contains { $0.text == "2,4 %" })  // 12 of 500
    }

    @Test func aCountChartIsProportionalAndHiddenBarsAreHatched() throws {
        let counts = try chart(F.district(), "0201", language: .en)
        let bars = counts.named("rect", class: "bar")
        #expect(bars.count == 3 && counts.named("line", class: "target").isEmpty)
        let values = F.communes.map { Double(F.sum("0201", over: [$0])) }
        for index in 1..<3 {
            #expect(abs(double(bars[index], "width") / double(bars[0], "width") - values[index] / values[0]) < 0.01)
        }
        #expect(counts.named("text").contains { $0.text == "1,234" })

        let published = try chart(F.district(threshold: 5), "0101")
        let hidden = published.named("rect", class: "bar hidden")
        #expect(hidden.count == 2)  // 3 in 17605, and 12 in 17611 so 3 cannot be worked out
        #expect(hidden.allSatisfy { $0.attributes["fill"]?.hasPrefix("url(#hatch-") == true })
        #expect(published.named("text").filter { $0.text == "<5" }.count == 2)
        #expect(published.named("text").contains { $0.text == "40" })
    }

    @Test func aCommuneChartsItsBreakdown() throws {
        let document = F.commune("17605")
        let expected = Catalogue.indicator("0201")!.keys(bands: .standard).filter {
            !$0.isEmpty && !$0.contains(",") && !$0.contains("unknown")
        }
        let svg = try chart(document, "0201")
        #expect(svg.named("rect", class: "bar").count == expected.count)  // Nam, Nữ and four age bands
        #expect(svg.named("text").contains { $0.text == "Nữ" })
        // 0112 has no breakdown: its total alone.
        #expect(try chart(document, "0112").named("rect", class: "bar").count == 1)
        let all = ReportRender.svgs(document)
        #expect(all.map(\.code) == Catalogue.indicators.map(\.code))
        for (_, text) in all { _ = try parse(text) }
    }

    @Test func theHTMLPageIsThePaperAChairmanSigns() throws {
        let html = ReportRender.html(F.district(threshold: 5))
        for part in [
            "<!DOCTYPE html>", "<html lang=\"vi\">", "<meta charset=\"utf-8\">", "@page { size: A4; margin: 15mm; }",
            "break-inside: avoid", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
            "ỦY BAN NHÂN DÂN", "HUYỆN MAI CHÂU", "BÁO CÁO", "SỐ LIỆU VỀ TRẺ EM VÀ CÔNG TÁC BẢO VỆ TRẺ EM",
            "6 tháng đầu năm 2026", "Mai Châu, ngày 05 tháng 7 năm 2026", "NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)",
            "CHỦ TỊCH", "(Ký tên, đóng dấu)", "Đã phê duyệt", "2.534", "&lt;5",
            "Mục tiêu: dưới 4 % (2030)", "<svg xmlns=\"http://www.w3.org/2000/svg\"",
        ] {
            #expect(html.contains(part), "\(part)")
        }
        // The approved figure beside a changed one: on the exact page only (published, it could
        // give a hidden cell back).
        #expect(!html.contains("(đã duyệt: 2.530)"))
        #expect(ReportRender.html(F.district()).contains("(đã duyệt: 2.530)"))
        #expect(html.contains(F.escaped(F.hostile) + " (17611)"))
        #expect(!html.contains(F.hostile) && !html.contains("<Sơn>"))
        // Nothing external, and every `<` opens a tag: none comes from data.
        for external in ["src=", "href=", "<link", "@import", "url(http"] { #expect(!html.contains(external)) }
        var rest = html[...]
        while let at = rest.firstIndex(of: "<") {
            let next = rest[rest.index(after: at)...].first
            #expect(next.map { $0.isLetter && $0.isASCII || $0 == "/" || $0 == "!" } == true, "\(rest.prefix(40))")
            rest = rest[rest.index(after: at)...]
        }

        let english = ReportRender.html(F.commune("17611"), language: .en)
        for part in [
            "<html lang=\"en\">", "SOCIALIST REPUBLIC OF VIET NAM", "PREPARED BY", "CHAIRPERSON",
            F.escaped(F.hostile.uppercased()), ", 5 July 2026",
        ] {
            #expect(english.contains(part), "\(part)")
        }
        #expect(!english.contains("<Sơn>") && !english.contains("<SƠN>"))
    }

    @Test func controlCharactersInANameReachNoTerminalAndNoChart() throws {
        let name = "Xã \u{1B}[2J\u{1B}]0;pwned\u{07}Bản\u{0}\u{202E}Lạ"
        let tree = UnitTree([
            .init(code: "1", name: "Huyện", parent: nil), .init(code: "2", name: name, parent: "1"),
        ])
        var figures = Figures()
        figures.add(7, unit: "2", indicator: "0201", key: "")
        let document = ReportBuilder(tree: tree, bands: .standard).build(
            unit: "1", period: F.period, current: figures, previous: Figures(), generated: F.generated)
        let table = ReportRender.table(document)
        #expect(!table.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || $0 == "\u{202E}" })
        #expect(table.contains("Xã \u{FFFD}[2J"))
        let svg = try chart(document, "0201")
        #expect(svg.named("rect", class: "bar").count == 1)
        #expect(!ReportRender.html(document).unicodeScalars.contains { $0.value < 0x09 || $0 == "\u{1B}" })
    }

    /// The lines of a table: from its header line through the first blank line, or through the
    /// line starting with `until`.
    func table(_ text: String, header: String, until: String? = nil) -> [String] {
        let lines = text.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix(header) }) else { return [] }
        var result: [String] = []
        for line in lines[start...] {
            if line.isEmpty { break }
            result.append(line)
            if let until, line.hasPrefix(until) { break }
        }
        return result
    }

    func width(_ line: String) -> Int { line.precomposedStringWithCanonicalMapping.count }

    @Test func theTableAlignsByDisplayWidth() throws {
        let text = ReportRender.table(F.district(threshold: 5))
        #expect(text.contains("Đơn vị: Huyện Mai Châu (176)"))
        #expect(text.contains("Ngày lập: 05/07/2026"))
        #expect(text.contains("Phê duyệt: Đã phê duyệt"))
        #expect(!text.contains("2.530"), "published: no approved figure beside today's")
        let exact = ReportRender.table(F.district())
        #expect(exact.contains("0201 Số trẻ em · Tổng số: 2.530 → 2.534"))
        #expect(text.contains("Số liệu tổng hợp từ cấp dưới: \(F.decomposed) (17608)"))
        #expect(text.contains("<5"))
        // Every block: the header and its rows as wide as each other, figures right-aligned.
        var blocks = 0
        var lines = text.components(separatedBy: "\n")[...]
        while let start = lines.firstIndex(where: { $0.hasPrefix("  Phân tổ") }) {
            let block = table(lines[start...].joined(separator: "\n"), header: "  Phân tổ")
            #expect(block.count >= 2)
            #expect(Set(block.map(width)).count == 1, "\(block)")
            blocks += 1
            lines = lines[(start + 1)...]
        }
        #expect(blocks == Catalogue.indicators.count)
        let children = table(text, header: "0201 Số trẻ em")
        let total = try #require(children.first { $0.hasPrefix("  Tổng số") })
        #expect(total.contains(" 2.534 ") && total.hasSuffix(" 2.505"))
        let exactTotal = try #require(table(exact, header: "0201 Số trẻ em").first { $0.hasPrefix("  Tổng số") })
        #expect(exactTotal.contains(" 2.534 (đã duyệt: 2.530) ") && exactTotal.hasSuffix(" 2.505"))
        // Each breakdown under its heading, so the two `Khác` of 0101 (kind, setting) differ.
        let abused = table(text, header: "0101 ")
        #expect(abused.contains { $0.hasPrefix("  Hình thức xâm hại ") })
        #expect(abused.contains { $0.hasPrefix("  Nơi xảy ra ") })
        let shares = table(text, header: "0102 ")
        #expect(shares.contains("Mục tiêu: dưới 4 % (2030) ✓ đạt"))
        // The compact table by unit, with a decomposed name: one column per letter all the same.
        let byUnit = table(text, header: "  Đơn vị", until: "  Tổng số")
        #expect(byUnit.count == 6)  // header, three units (the long name on two lines), total
        #expect(Set(byUnit.map(width)).count == 1, "\(byUnit)")
        #expect(byUnit[1].hasPrefix("  Xã Pà Cò (17605)") && byUnit[1].contains("1.234"))

        let english = ReportRender.table(F.district(), language: .en)
        #expect(english.contains("2,534 (approved: 2,530)"))
        #expect(english.contains("Generated: 05/07/2026"))
        #expect(english.contains("Target: under 4 % (2030) ✓ met"))
        #expect(english.contains(String(format: "%.1f %%", F.share(F.sum("0101"), F.sum("0201")))))
    }
}

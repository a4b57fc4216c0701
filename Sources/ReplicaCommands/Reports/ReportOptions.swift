public import ArgumentParser
public import Domain
import Foundation

/// Worker-facing commands of both programs speak Vietnamese or English.
extension Language: ExpressibleByArgument {}

/// How a report is printed.
public enum ReportFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case table
    case csv
    case json
    case svg
    case html
}

/// The options `tre-node report` and `tre-hub report` share.
public struct ReportOptions: ParsableArguments {
    public init() {}

    @Option(help: "The period: 2026-H1, 2026-H2, 2026 (the year), or 2026-01-01..2026-03-31 (default: this half-year).")
    public var period: String?

    @Option(
        help: "table (the default), csv (for Excel), json, svg (charts by unit) or html (the page to print and sign).")
    public var format: ReportFormat = .table

    @Option(help: "Write to this file instead of the screen (svg: a folder, one chart per indicator).")
    public var out: String?

    @Option(help: "Only this indicator (its four-digit code, e.g. 0101).")
    public var indicator: String?

    @Flag(help: "Tables to publish: counts under the threshold shown as <5, and the cells that would give them away.")
    public var publish = false

    @Option(help: "With --publish: hide counts under this number (default: the configured one, else 5).")
    public var threshold: Int?

    @Option(help: "Age bands, e.g. 0-2,3-5,6-10,11-15 (default: the configured ones, else those).")
    public var bands: String?

    @Option(help: "Language: vi (Vietnamese, the default) or en (English).")
    public var lang: Language = .vi

    /// A refusal in the reader's language.
    func refuse(_ code: String, _ vi: String, _ en: String, hint: Localized) -> CommandFailure {
        CommandFailure(code: code, message: Localized(vi: vi, en: en).text(lang), hint: hint.text(lang))
    }

    /// The period asked for, or this half-year.
    public func reportPeriod(_ reporting: Reporting) throws -> ReportPeriod {
        guard let period else { return reporting.currentPeriod }
        guard let parsed = ReportPeriod(period) else {
            throw refuse(
                "bad_period", "kỳ báo cáo \"\(period)\" không hợp lệ", "\"\(period)\" is not a period",
                hint: Localized(
                    vi: "Viết 2026-H1 (6 tháng đầu năm), 2026-H2, 2026 (cả năm) hoặc 01/01/2026..31/03/2026.",
                    en: "Write 2026-H1 (first half), 2026-H2, 2026 (the year) or 2026-01-01..2026-03-31."))
        }
        return parsed
    }

    /// The age bands asked for, else nil (the configured ones).
    public func ageBands() throws -> AgeBands? {
        guard let bands else { return nil }
        guard let parsed = AgeBands(bands) else {
            throw refuse(
                "bad_bands", "nhóm tuổi \"\(bands)\" không hợp lệ", "\"\(bands)\" are not age bands",
                hint: AgeBands.problem)
        }
        return parsed
    }

    /// The suppression threshold when publishing, nil for exact figures.
    public func suppression(_ reporting: Reporting) throws -> Int? {
        guard publish else {
            if threshold != nil {
                throw refuse(
                    "bad_option", "--threshold chỉ dùng với --publish", "--threshold goes with --publish",
                    hint: Localized(vi: "Thêm --publish.", en: "Add --publish."))
            }
            return nil
        }
        if let threshold {
            guard (2...100).contains(threshold) else {
                throw refuse(
                    "bad_option", "--threshold \(threshold) không hợp lệ", "--threshold \(threshold) is out of range",
                    hint: Localized(vi: "Chọn từ 2 đến 100 (thường là 5).", en: "Choose 2 to 100 (5 is usual)."))
            }
            return threshold
        }
        return try reporting.threshold()
    }

    /// Prints or writes `document` in the chosen format.
    public func emit(_ document: ReportDocument) throws {
        var document = document
        if let indicator {
            guard document.section(indicator) != nil else {
                throw refuse(
                    "bad_indicator", "không có chỉ tiêu \(indicator)", "no indicator \(indicator)",
                    hint: Localized(
                        vi: "Các chỉ tiêu: \(Catalogue.indicators.map(\.code).joined(separator: ", ")).",
                        en: "The indicators: \(Catalogue.indicators.map(\.code).joined(separator: ", "))."))
            }
            document = document.only(indicator)
        }
        switch format {
        case .svg:
            let charts = ReportRender.svgs(document, language: lang)
            guard let out else {
                guard charts.count == 1 else {
                    throw refuse(
                        "bad_option", "biểu đồ cần --out THƯ_MỤC hoặc --indicator MÃ",
                        "charts need --out FOLDER or --indicator CODE",
                        hint: Localized(
                            vi: "Mỗi chỉ tiêu một tệp SVG trong thư mục --out; hoặc một biểu đồ với --indicator.",
                            en: "One SVG file per indicator in the --out folder; or one chart with --indicator."))
                }
                print(charts[0].svg)
                return
            }
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            } catch {
                throw cannotWrite(out)
            }
            for chart in charts {
                try write(
                    Data(chart.svg.utf8), to: URL(fileURLWithPath: out).appendingPathComponent("\(chart.code).svg").path
                )
            }
            print(
                Localized(vi: "đã ghi \(charts.count) biểu đồ vào \(out)", en: "wrote \(charts.count) charts to \(out)")
                    .text(lang))
        default:
            let bytes: Data =
                switch format {
                case .table: Data(ReportRender.table(document, language: lang).utf8)
                case .csv: ReportRender.csv(document, language: lang)
                case .json: Data(ReportRender.json(document).utf8)
                case .html: Data(ReportRender.html(document, language: lang).utf8)
                case .svg: Data()
                }
            if let out {
                try write(bytes, to: out)
                print(Localized(vi: "đã ghi \(out)", en: "wrote \(out)").text(lang))
            } else {
                FileHandle.standardOutput.write(bytes)
                if bytes.last != UInt8(ascii: "\n") { print("") }
            }
        }
    }

    func write(_ bytes: Data, to path: String) throws {
        do {
            try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw cannotWrite(path)
        }
    }

    func cannotWrite(_ path: String) -> CommandFailure {
        refuse(
            "cannot_write", "không ghi được \(path)", "cannot write \(path)",
            hint: Localized(
                vi: "Kiểm tra thư mục có tồn tại và được phép ghi.", en: "Check that the folder exists and is writable."
            ))
    }
}

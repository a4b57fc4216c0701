public import ArgumentParser
import Domain
import Foundation
import SyncCore

/// `report settings`: the age bands, the suppression threshold and (at a hub) the years of
/// aggregates kept, as replica settings both programs read.
public struct ReportSettings<Location: ReplicaLocation>: ParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "settings",
            abstract: "Show or set the age bands, the suppression threshold and the years of aggregates kept.")
    }

    public init() {}

    @OptionGroup var location: Location
    @Option(help: "Age bands, e.g. 0-2,3-5,6-10,11-15.") var bands: String?
    @Option(help: "Hide published counts under this number (2–100).") var threshold: Int?
    @Option(help: "Years of half-year and year aggregates a hub keeps and sends up (1–20).") var years: Int?
    @Flag(help: "Print JSON.") var json = false

    public func run() throws {
        try reporting(json: json) {
            let replica = try location.open()
            if let bands {
                guard let parsed = AgeBands(bands) else {
                    throw CommandFailure(
                        code: "bad_bands", message: "\"\(bands)\" are not age bands", hint: AgeBands.problem.en)
                }
                try replica.setSetting(Reporting.Setting.bands, parsed.description)
            }
            if let threshold {
                guard (2...100).contains(threshold) else {
                    throw CommandFailure(
                        code: "bad_option", message: "--threshold \(threshold) is out of range",
                        hint: "Choose 2 to 100 (5 is usual).")
                }
                try replica.setSetting(Reporting.Setting.threshold, String(threshold))
            }
            if let years {
                guard (1...20).contains(years) else {
                    throw CommandFailure(
                        code: "bad_option", message: "--years \(years) is out of range",
                        hint: "Choose 1 to 20 (3 is usual).")
                }
                try replica.setSetting(Reporting.Setting.years, String(years))
            }
            let reporting = try Reporting(replica: replica, tree: UnitTree(single: replica.unit, name: replica.unit))
            let values: [String: String] = [
                "age_bands": reporting.bands.description, "suppress_below": String(try reporting.threshold()),
                "aggregate_years": try replica.setting(Reporting.Setting.years) ?? String(Reporting.defaultYears),
            ]
            if json {
                printJSON(values)
            } else {
                for key in values.keys.sorted() { print("\(key) = \(values[key]!)") }
            }
        }
    }
}

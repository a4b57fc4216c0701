import ArgumentParser
import Foundation
import ReplicaCommands
import SyncCore

extension TreHub {
    struct Enroll: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a one-time enrolment code for a node of a commune, or for a lower hub of a unit.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Option(help: "The unit (commune or district) under this hub.")
        var unit: String

        @Option(help: "Days the code stays valid.")
        var days = 7

        func validate() throws {
            guard (1...90).contains(days) else { throw ValidationError("--days must be 1 to 90.") }
        }

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub()
                guard try hub.subtree(of: hub.replica.unit).contains(unit), unit != hub.replica.unit else {
                    throw CommandFailure(
                        code: "unit_not_below", message: "unit \(unit) is not under this hub (\(hub.replica.unit))",
                        hint:
                            "Import the units first (`tre-hub units import FILE.csv`), then enrol a unit below this hub."
                    )
                }
                let code = try hub.createEnrolment(unit: unit, days: days, now: hub.replica.time.nowMillis())
                if output.json {
                    printJSON(["code": code, "unit": unit, "valid_days": String(days)])
                } else {
                    print(code)
                }
            }
        }
    }
}

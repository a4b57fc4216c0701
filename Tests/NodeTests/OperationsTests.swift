import Foundation
import TestSupport
import Testing

/// What a district's IT officer meets running the programs: `--version`, times in the local
/// zone, moving a node to a new hub address, `serve`'s address and a port in use, and a hub
/// stopped (SIGTERM, as systemd does) in the middle of a push.
@Suite struct OperationsTests {
    @Test func bothProgramsSayTheirVersion() throws {
        for program in ["tre-node", "tre-hub"] {
            let result = try Executables.run(program, ["--version"])
            #expect(result.status == 0, "\(result.stderr)")
            // The release, then what two replicas must agree on; change with a new release.
            let pattern = "^\(program) [0-9]+\\.[0-9]+\\.[0-9]+ \\(schema 4, definition 2, wire format 3\\)$"
            #expect(result.line.range(of: pattern, options: .regularExpression) != nil, "\(result.line)")
        }
    }
}

import Foundation
import Testing

/// Runs a built executable (tre-node, tre-hub) as a user would, capturing stdout, stderr and
/// the exit code.
struct CommandResult {
    let stdout: String
    let stderr: String
    let status: Int32

    var line: String { stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
}

enum Executables {
    /// The folder of the built products: the test runner is built beside them.
    static let binDirectory: URL = {
        let me = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
        var directory = me.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("tre-node").path),
            directory.path != "/"
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }()

    /// Runs `name` to its end; with `timeout`, kills it (SIGKILL) if it runs longer, so a
    /// command that should refuse at once but serves instead fails the test, not hangs it.
    static func run(_ name: String, _ arguments: [String], timeout: TimeInterval? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent(name)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        if let timeout {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if process.isRunning { kill(pid, SIGKILL) }
            }
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
            status: process.terminationStatus)
    }

    static func node(_ arguments: String...) throws -> CommandResult { try run("tre-node", arguments) }
    static func hub(_ arguments: String...) throws -> CommandResult { try run("tre-hub", arguments) }
}

/// Decodes a command's `--json` output.
func json(_ result: CommandResult) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
}

extension Executables {
    static func node(_ arguments: [String]) throws -> CommandResult { try run("tre-node", arguments) }
    static func hub(_ arguments: [String]) throws -> CommandResult { try run("tre-hub", arguments) }
}

/// Records as the domain definition requires them (every `record put` is checked against it):
/// what a test creates before it changes the field it is about.
enum Sample {
    /// A child: name, sex, date of birth and village, the required fields.
    static func child(_ name: String = "Lò Thị Mai", sex: String = "F", village: String = "Bản Mòn") -> [String] {
        ["full_name=\(name)", "sex=\(sex)", "date_of_birth=2019-09-05", "village=\(village)"]
    }

    /// A case of `child` (an id), received and at its first step: the required fields.
    static func protectionCase(of child: String = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b") -> [String] {
        ["child_id=\(child)", "received_at=2026-10-05T02:30:00Z", "status=received"]
    }
}

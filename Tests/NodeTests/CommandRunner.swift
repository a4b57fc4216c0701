import Foundation
import SyncCore
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
    /// `environment` is added to this process's own. Standard input is empty, never the
    /// terminal the tests may run from: a command that would ask for a passphrase refuses.
    /// `keyFile: false` leaves a node command without the tests' key file (`nodeArguments`).
    static func run(
        _ name: String, _ arguments: [String], timeout: TimeInterval? = nil, environment: [String: String] = [:],
        keyFile: Bool = true
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent(name)
        process.arguments =
            name == "tre-node" && keyFile ? nodeArguments(arguments, environment: environment) : arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = FileHandle.nullDevice
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
    static func node(_ arguments: [String]) throws -> CommandResult { try run("tre-node", arguments) }

    /// Every node the tests make is protected at rest, as a real one is: by a key file beside
    /// its folder (`FOLDER.key`, outside it as `init` requires; a key file needs no slow
    /// passphrase stretching). A `tre-node` command naming `--dir` gets `--key-file` unless the
    /// test chose otherwise (`--key-file`, `--passphrase-file`, `--unprotected`, or
    /// `TRE_PASSPHRASE` in `environment`). An unprotected node ignores the key file.
    static func nodeArguments(_ arguments: [String], environment: [String: String] = [:]) -> [String] {
        guard let index = arguments.firstIndex(of: "--dir"), index + 1 < arguments.count,
            environment["TRE_PASSPHRASE"] == nil,
            !arguments.contains(where: { ["--key-file", "--passphrase-file", "--unprotected"].contains($0) })
        else { return arguments }
        return arguments + ["--key-file", keyFile(forNode: arguments[index + 1])]
    }

    /// The key file the tests protect the node in `folder` with.
    static func keyFile(forNode folder: String) -> String {
        URL(fileURLWithPath: folder).standardizedFileURL.path + ".key"
    }
    static func hub(_ arguments: String...) throws -> CommandResult { try run("tre-hub", arguments) }
}

/// Decodes a command's `--json` output.
func json(_ result: CommandResult) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
}

/// Opens a replica file in this process as the commands do: a node's (`FOLDER/replica.sqlite`)
/// unlocked with the key file the tests gave it (`Executables.keyFile(forNode:)`).
func openReplica(_ path: String) throws -> Replica {
    try Replica(storage: try openStorage(path), time: SystemTimeSource())
}

/// `openReplica`'s storage.
func openStorage(_ path: String) throws -> SQLiteStorage {
    guard try SQLiteStorage.protection(ofReplicaAt: path) == .keyFile else { return try SQLiteStorage(path: path) }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    let text = try String(contentsOfFile: Executables.keyFile(forNode: folder), encoding: .utf8)
    guard let key = ReplicaKey(keyFileText: text) else { throw HarnessError("the key file of \(folder) is unreadable") }
    return try SQLiteStorage(path: path, secret: .key(key))
}

extension Executables {
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

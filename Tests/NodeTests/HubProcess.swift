import Foundation
import TestSupport
import Testing

/// A `tre-hub serve` running as its own process on 127.0.0.1, on a port it picked itself.
final class HubProcess: @unchecked Sendable {
    let process = Process()
    let url: String
    let database: String
    private let output = Pipe()
    private let errors: FileHandle
    private let lock = NSLock()
    private var printed = Data()

    init(database: String, logFile: String, port: UInt16 = 0, extra: [String] = []) throws {
        self.database = database
        process.executableURL = Executables.binDirectory.appendingPathComponent("tre-hub")
        process.arguments = ["serve", "--db", database, "--host", "127.0.0.1", "--port", String(port)] + extra
        if !FileManager.default.fileExists(atPath: logFile) {
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        }
        errors = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        errors.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // The first line says where it listens.
        var line = Data()
        let reader = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(30)
        while !line.contains(UInt8(ascii: "\n")) && Date() < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://127.0.0.1:[0-9]+", options: .regularExpression) else {
            process.terminate()
            throw HarnessError("tre-hub serve did not start: \(text)")
        }
        url = String(text[range])
        // Whatever it prints after that line is kept too (`standardOutput`), so the pipe never
        // fills and a test can read everything the hub said.
        lock.withLock { printed = line }
        let thread = Thread { [weak self] in
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { return }
                guard let self else { return }
                self.lock.withLock { self.printed.append(chunk) }
            }
        }
        thread.start()
    }

    /// Everything the hub printed on its standard output so far (its log goes to `logFile`).
    var standardOutput: String { lock.withLock { String(decoding: printed, as: UTF8.self) } }

    var port: UInt16 { UInt16(url.split(separator: ":").last!)! }

    /// Graceful stop (SIGTERM); returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? errors.close()
        return process.terminationStatus
    }

    /// kill -9: no chance to clean up.
    func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? errors.close()
    }

    deinit { if process.isRunning { kill() } }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension CommandResult {
    /// Fails the test with the command's stderr when it did not exit 0.
    @discardableResult
    func ok(_ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) -> CommandResult {
        #expect(status == 0, "\(what) exited \(status): \(stderr)", sourceLocation: sourceLocation)
        return self
    }
}

/// A district hub (415) knowing its communes, serving on 127.0.0.1: the start of most
/// process-level tests.
struct DistrictHub {
    static let units = """
        code,name,level,parent_code
        415,Huyện Kỳ Sơn,district,
        17605,Xã Mường Lống,commune,415
        17608,Xã Huồi Tụ,commune,415

        """

    let database: String
    let log: String

    /// Creates the hub's database and units in `directory`, and starts serving.
    static func start(in directory: TemporaryDirectory) throws -> (DistrictHub, HubProcess) {
        let hub = DistrictHub(database: directory.path("district.sqlite"), log: directory.path("hub.log"))
        let csv = directory.path("units.csv")
        try units.write(toFile: csv, atomically: true, encoding: .utf8)
        try Executables.hub("init", "--db", hub.database, "--unit", "415", "--name", "Kỳ Sơn").ok()
        try Executables.hub("units", "import", "--db", hub.database, csv).ok()
        return (hub, try HubProcess(database: hub.database, logFile: hub.log))
    }

    /// A one-time code for a commune.
    func enrolment(_ commune: String) throws -> String {
        try Executables.hub("enroll", "--db", database, "--unit", commune).ok().line
    }

    /// A node for `commune` in `folder`, enrolled at `url`.
    func node(_ commune: String, in folder: String, url: String) throws {
        try Executables.node("init", "--dir", folder, "--hub", url, "--enrolment", try enrolment(commune)).ok()
    }
}

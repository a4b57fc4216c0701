import Foundation
import PostgresStore
import SyncClient
import SyncCore

/// The same night end to end: a real `tre-hub serve` on 127.0.0.1, commune nodes on SQLite
/// files, every push and pull through `tre-node sync`. Measures the bytes on the wire, the
/// night's wall time, and the peak memory of the hub and of a node. On PostgreSQL (`store`) the
/// hub is made with `tre-hub init --store` in a schema of the run's, and every `tre-hub` command
/// is given its configuration file, as an operator's are.
struct HTTPNight {
    let nights: [CommuneNight]
    /// Each commune's district, nil when it sits directly under the province.
    let districtOf: [String: String]
    let directory: URL
    let bin: URL
    let store: BenchStore

    struct Result {
        var wireBytesPerChange = 0.0
        var nightBytesPerCommune = 0
        var nightWallSeconds = 0.0
        var initialWallSeconds = 0.0
        var hubPeakRSSMegabytes = 0
        var nodePeakRSSMegabytes = 0
        var replicasEqual = false
        /// Changes the hub refused (the generated data is valid: must be 0).
        var setAside = 0
        var pushed = 0
        var pulled = 0
    }

    /// Peak resident memory seen in the `tre-node` processes run so far, in MB.
    final class PeakMemory: @unchecked Sendable {
        private let lock = NSLock()
        private var peak = 0
        func see(_ megabytes: Int) { lock.withLock { peak = max(peak, megabytes) } }
        var value: Int { lock.withLock { peak } }
    }

    let nodePeak = PeakMemory()

    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = bin.appendingPathComponent(tool)
        process.arguments = arguments
        if case .postgres(let scratch) = store { process.environment = scratch.environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        if tool == "tre-node" {
            // Sample the node's peak while it runs (its own high-water mark, from /proc).
            let pid = process.processIdentifier
            let peak = nodePeak
            Thread {
                while process.isRunning {
                    peak.see(Self.peakRSS(pid: pid))
                    usleep(2_000)
                }
            }.start()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let error = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("\(tool) \(arguments.first ?? "") failed: \(String(decoding: error, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Peak resident memory of a running process, from /proc (Linux).
    static func peakRSS(pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }

    func runNight(hubEdits: [(commune: String, id: RecordID, field: String, value: FieldValue)]) async throws -> Result
    {
        var result = Result()
        // An SQLite hub's file, or a PostgreSQL hub's configuration file naming its schema.
        var hubPath = directory.appendingPathComponent("http-hub.sqlite").path
        var storeArguments: [String] = []
        if case .postgres(let scratch) = store {
            hubPath = directory.appendingPathComponent("http-hub.conf").path
            storeArguments = ["--store", scratch.url("http")]
            _ = try scratch.address("http")  // dropped with the run's other schemas
        }
        try run("tre-hub", ["init", "--db", hubPath, "--unit", "44", "--name", "Tỉnh 44"] + storeArguments)
        var csv = "code,name,level,parent_code\n44,Tỉnh 44,province,\n"
        var districtsSeen = Set<String>()
        for night in nights {
            let district = districtOf[night.unit] ?? "44"
            if district != "44" && districtsSeen.insert(district).inserted {
                csv += "\(district),Huyện \(district),district,44\n"
            }
            csv += "\(night.unit),Xã \(night.unit),commune,\(district)\n"
        }
        let csvPath = directory.appendingPathComponent("units.csv").path
        try csv.write(toFile: csvPath, atomically: true, encoding: .utf8)
        try run("tre-hub", ["units", "import", "--db", hubPath, csvPath])

        let server = Process()
        server.executableURL = bin.appendingPathComponent("tre-hub")
        server.arguments = ["serve", "--db", hubPath, "--port", "0"]
        if case .postgres(let scratch) = store { server.environment = scratch.environment }
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            if server.isRunning {
                server.terminate()
                server.waitUntilExit()
            }
        }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard
            let range = String(decoding: line, as: UTF8.self).range(
                of: "http://127.0.0.1:[0-9]+", options: .regularExpression)
        else { throw BenchError("tre-hub serve did not start") }
        let url = URL(string: String(String(decoding: line, as: UTF8.self)[range]))!

        // Every commune: enrolled (the hub assigns its origin, so its night is reissued under
        // that origin), its replica holding its initial data, first sync.
        // Every node is protected at rest, as a real one is, by a key file kept outside its
        // folder (a key file, not a passphrase: the night measures the sync, not scrypt).
        var folders: [String] = []
        var keys: [String: ReplicaKey] = [:]
        let keyFolder = directory.appendingPathComponent("keys")
        try FileManager.default.createDirectory(at: keyFolder, withIntermediateDirectories: true)
        func keyFile(_ folder: String) -> String {
            keyFolder.appendingPathComponent(URL(fileURLWithPath: folder).lastPathComponent + ".key").path
        }
        var enrolledNights: [CommuneNight] = []
        for night in nights {
            let code = try run("tre-hub", ["enroll", "--db", hubPath, "--unit", night.unit])
            let answer = try await HubClient.enrol(baseURL: url, code: code, kind: "node", name: "")
            guard let origin = OriginID(string: answer.origin) else { throw BenchError("the hub assigned no origin") }
            let night = night.reissued(as: origin)
            enrolledNights.append(night)
            let folder = directory.appendingPathComponent("node-\(night.unit)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let key = ReplicaKey.random()
            keys[folder.path] = key
            try key.keyFileText.write(toFile: keyFile(folder.path), atomically: true, encoding: .utf8)
            let node = try Replica.initialize(
                storage: try SQLiteStorage(
                    path: folder.appendingPathComponent("replica.sqlite").path, role: .node, secret: .key(key)),
                origin: night.origin,
                unit: night.unit, time: SystemTimeSource())
            try Upstream(
                url: url, hubOrigin: OriginID(string: answer.hubOrigin)!, hubUnit: answer.hubUnit,
                key: PeerKey(hex: answer.key)!
            )
            .save(to: node)
            try node.apply(night.initial)
            folders.append(folder.path)
        }
        result.initialWallSeconds = try measure {
            for folder in folders { try run("tre-node", ["sync", "--dir", folder, "--key-file", keyFile(folder)]) }
        }
        // Offline: the communes' night, and the district staff's concurrent edits.
        for (night, folder) in zip(enrolledNights, folders) {
            let node = try Replica(
                storage: try SQLiteStorage(
                    path: URL(fileURLWithPath: folder).appendingPathComponent("replica.sqlite").path,
                    secret: keys[folder].map(ReplicaSecret.key)),
                time: SystemTimeSource())
            try node.apply(night.night)
        }
        for edit in hubEdits {
            try run(
                "tre-hub",
                [
                    "record", "put", "--db", hubPath, "children", "--id", edit.id.description,
                    // As JSON: a phone stays text, a yes/no a boolean.
                    "\(edit.field)=\(edit.value.json)",
                ])
        }
        // The night over HTTP.
        var bytes = 0
        result.nightWallSeconds = try measure {
            for folder in folders {
                let report =
                    try JSONSerialization.jsonObject(
                        with: Data(
                            try run("tre-node", ["sync", "--dir", folder, "--json", "--key-file", keyFile(folder)])
                                .utf8))
                    as? [String: Int] ?? [:]
                bytes += (report["bytes_sent"] ?? 0) + (report["bytes_received"] ?? 0)
                result.pushed += report["pushed"] ?? 0
                result.pulled += report["pulled"] ?? 0
            }
        }
        result.wireBytesPerChange = Double(bytes) / Double(max(1, result.pushed + result.pulled))
        result.nightBytesPerCommune = bytes / max(1, nights.count)
        result.hubPeakRSSMegabytes = Self.peakRSS(pid: server.processIdentifier)
        result.nodePeakRSSMegabytes = nodePeak.value
        server.terminate()
        server.waitUntilExit()

        let hubStorage: any ReplicaStorage =
            switch store {
            case .sqlite: try SQLiteStorage(path: hubPath)
            case .postgres(let scratch): try PostgresStorage(address: try scratch.address("http"), role: .hub)
            }
        let hub = try Replica(storage: hubStorage, time: SystemTimeSource())
        result.setAside = try hub.setAsideEntries(limit: .max).count
        let hashes = try hub.stateHashesByUnit()
        result.replicasEqual = true
        for (night, folder) in zip(nights, folders) {
            let node = try Replica(
                storage: try SQLiteStorage(
                    path: URL(fileURLWithPath: folder).appendingPathComponent("replica.sqlite").path,
                    secret: keys[folder].map(ReplicaSecret.key)),
                time: SystemTimeSource())
            if try node.stateHash(unit: { $0 == night.unit }) != hashes[night.unit] { result.replicasEqual = false }
        }
        return result
    }
}

import ArgumentParser
import Foundation
import SyncClient
import SyncCore

/// One commune's night over a 2G link: a real `tre-hub serve` and `tre-node sync` through
/// `LinkProxy` (40 kbit/s each way, 500 ms round trip, connections cut at random from a seed).
/// The same night runs twice from copies of the same files: once clean, once with cuts, each
/// `tre-node sync` that fails for the link run again as an operator or the daemon would. Then
/// one more sync with nothing pending on either side. Reports the round trips, the time beside
/// what the bytes alone need at that rate, the cuts, and the bytes of the cut night against the
/// clean one; fails unless node and hub end in the same state and the cut night's equals the
/// clean night's (nothing lost, nothing doubled).
struct LinkBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "A commune's night through a throttling, cutting proxy: time, round trips, bytes re-sent.")

    @Option(help: "Children in the commune (shared/WORKLOAD.md: 2,500).") var children = 2_500
    @Option(help: "Seed of the generated data and of the cuts.") var seed: UInt64 = 1
    @Flag(help: "500 children and quicker retries: a smoke run of a few seconds.") var quick = false
    @Option(help: "Bits per second each way.") var bitsPerSecond = 40_000
    @Option(help: "Round trip, milliseconds.") var roundTripMs = 500
    @Option(help: "Chance that a connection is cut (0…1).") var cutProbability = 0.25
    @Option(
        help: "A cut connection is cut after 1…N bytes, both ways together (0: the clean night's bytes per connection)."
    ) var cutWithin = 0
    @Option(help: "Seconds to wait before running tre-node sync again after the link failed.") var retryWait = 1.0
    @Option(help: "Give up after this many tre-node sync runs.") var maxAttempts = 60
    @Option(help: "Cut nights, each from the same files (--quick: at most 4).") var nights = 10
    @Option(help: "Keep the night's files (hub and node, clean and cut) in this folder.") var keep: String?

    func validate() throws {
        guard children >= 100, bitsPerSecond >= 1_000, roundTripMs >= 0, (0...0.9).contains(cutProbability),
            cutWithin >= 0, retryWait >= 0, maxAttempts >= 1, nights >= 1
        else {
            throw ValidationError(
                "--children ≥ 100, --bits-per-second ≥ 1000, --round-trip-ms ≥ 0, --cut-probability within 0…0.9, --cut-within ≥ 0, --retry-wait ≥ 0, --max-attempts ≥ 1, --nights ≥ 1."
            )
        }
    }

    struct Night {
        var counts = LinkProxy.Counts()
        var seconds = 0.0
        var attempts = 0
        var retryWaitSeconds = 0.0
        var bytes: Int { counts.bytesUp + counts.bytesDown }

        mutating func add(_ other: Night) {
            counts.connections += other.counts.connections
            counts.requests += other.counts.requests
            counts.requestsByConnection.merge(other.counts.requestsByConnection) { $0 + $1 }
            counts.bytesUp += other.counts.bytesUp
            counts.bytesDown += other.counts.bytesDown
            counts.cuts += other.counts.cuts
            seconds += other.seconds
            attempts += other.attempts
            retryWaitSeconds += other.retryWaitSeconds
        }
    }

    func run() async throws {
        let childCount = quick ? 500 : children
        let bin = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
        ).deletingLastPathComponent()
        let directory =
            keep.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("tre-link-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: directory) } }
        let tools = Tools(bin: bin)
        let unit = "44001"
        let base = directory.appendingPathComponent("base")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)

        // The commune and its night, as the province night makes them.
        let generated = try CommuneNight.make(
            unit: unit, origin: OriginID(UUID128(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0001)),
            children: childCount, seed: seed)
        let hubPath = base.appendingPathComponent("hub.sqlite").path
        try tools.run("tre-hub", ["init", "--db", hubPath, "--unit", "44", "--name", "Tỉnh 44"])
        let csv =
            "code,name,level,parent_code\n44,Tỉnh 44,province,\n401,Huyện 401,district,44\n\(unit),Xã \(unit),commune,401\n"
        let csvPath = directory.appendingPathComponent("units.csv").path
        try csv.write(toFile: csvPath, atomically: true, encoding: .utf8)
        try tools.run("tre-hub", ["units", "import", "--db", hubPath, csvPath])

        // Enrolled and loaded over a plain relay (the set-up is not the night).
        let hub = try HubServer(bin: bin, database: hubPath)
        let proxy = try LinkProxy(targetPort: hub.port, seed: seed ^ 0x11_4e)
        defer { proxy.stop() }
        let code = try tools.run("tre-hub", ["enroll", "--db", hubPath, "--unit", unit])
        let answer = try await HubClient.enrol(baseURL: hub.url, code: code, kind: "node", name: "")
        guard let origin = OriginID(string: answer.origin) else { throw BenchError("the hub assigned no origin") }
        let night = generated.reissued(as: origin)
        let nodeFolder = base.appendingPathComponent("node")
        try FileManager.default.createDirectory(at: nodeFolder, withIntermediateDirectories: true)
        let key = ReplicaKey.random()
        let keyPath = directory.appendingPathComponent("node.key").path
        try key.keyFileText.write(toFile: keyPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        do {
            let node = try Replica.initialize(
                storage: try SQLiteStorage(
                    path: nodeFolder.appendingPathComponent("replica.sqlite").path, role: .node, secret: .key(key)),
                origin: night.origin, unit: unit, time: SystemTimeSource())
            try Upstream(
                url: proxy.url, hubOrigin: OriginID(string: answer.hubOrigin)!, hubUnit: answer.hubUnit,
                key: PeerKey(hex: answer.key)!
            )
            .save(to: node)
            try node.apply(night.initial)
        }
        try tools.run("tre-node", ["sync", "--dir", nodeFolder.path, "--key-file", keyPath])
        hub.stop()
        // Offline: the commune's night, and district staff editing 1 % of the children it
        // updated (at least one) on a field the commune did not touch, so the pull carries some.
        do {
            let node = try Replica(
                storage: try SQLiteStorage(
                    path: nodeFolder.appendingPathComponent("replica.sqlite").path, secret: .key(key)),
                time: SystemTimeSource())
            try node.apply(night.night)
        }
        // At least one such edit, so the pull carries the hub's side too.
        var districtEdits = 0
        let candidates = night.updated.filter { $0.age < 12 && $0.written["notes"] == nil }
        for update in candidates.prefix(max(1, night.updated.count / 100)) {
            try tools.run(
                "tre-hub",
                [
                    "record", "put", "--db", hubPath, "children", "--id", update.id.description,
                    "notes=\"huyện bổ sung\"",
                ])
            districtEdits += 1
        }

        var settings = LinkProxy.Settings()
        settings.throttled = true
        settings.bytesPerSecond = Double(bitsPerSecond) / 8
        settings.oneWayDelay = Double(roundTripMs) / 2000
        let clean = try nightOnCopy(
            "clean", from: base, in: directory, proxy: proxy, settings: settings, tools: tools, keyPath: keyPath,
            idle: true)
        // The same night again and again from the same files, each time cut where the seeded
        // draws say: one night has two connections, too few draws for a ratio.
        settings.cutProbability = cutProbability
        settings.cutWithin =
            cutWithin > 0 ? cutWithin : max(1, clean.night.bytes / max(1, clean.night.counts.connections))
        var cut = Night()
        let cutNames = (1...(quick ? min(nights, 4) : nights)).map { "cut-\($0)" }
        for name in cutNames {
            let one = try nightOnCopy(
                name, from: base, in: directory, proxy: proxy, settings: settings, tools: tools, keyPath: keyPath,
                idle: false
            ).night
            cut.add(one)
        }

        // Every copy: node and hub agree on the commune, and every cut night ends where the clean
        // one does (a change lost or applied twice would show in the hashes or the logs' length).
        var ends: [String] = []
        for name in ["clean"] + cutNames {
            let folder = directory.appendingPathComponent(name)
            let hubReplica = try Replica(
                storage: try SQLiteStorage(path: folder.appendingPathComponent("hub.sqlite").path),
                time: SystemTimeSource())
            let node = try Replica(
                storage: try SQLiteStorage(
                    path: folder.appendingPathComponent("node/replica.sqlite").path, secret: .key(key)),
                time: SystemTimeSource())
            let hubHash = try hubReplica.stateHashesByUnit()[unit] ?? ""
            guard try node.stateHash(unit: { $0 == unit }) == hubHash else {
                throw BenchError("after the \(name) night the node and the hub differ")
            }
            ends.append(
                "\(hubHash) hub log \(try hubReplica.counts().lastSequence) node log \(try node.counts().lastSequence)")
        }
        guard Set(ends).count == 1 else {
            throw BenchError("a cut night ended elsewhere than the clean one: \(ends)")
        }

        func seconds(_ value: Double) -> Double { (value * 100).rounded() / 100 }
        let roundTrip = Double(roundTripMs) / 1000
        func alone(_ night: Night) -> Double {
            Double(night.bytes) * 8 / Double(bitsPerSecond) + Double(night.counts.requests.count) * roundTrip
        }
        func figures(_ night: Night, runs: Int) -> [String: Any] {
            [
                "requests": night.counts.requests.count, "connections": night.counts.connections,
                // In the order the connections were opened; a connection that carried none is 0.
                "requests_per_connection": night.counts.requestsByConnection.sorted { $0.key < $1.key }.map(\.value),
                "bytes_up": night.counts.bytesUp, "bytes_down": night.counts.bytesDown, "bytes": night.bytes,
                "seconds": seconds(night.seconds), "bytes_alone_s": seconds(alone(night)),
                "seconds_vs_bytes_alone": seconds(night.seconds / max(alone(night), 0.001)),
                // Each connection first waits a round trip for its handshake.
                "with_handshakes_s": seconds(alone(night) + Double(night.counts.connections) * roundTrip),
                "tre_node_runs": night.attempts, "cuts": night.counts.cuts,
                "retry_wait_s": seconds(night.retryWaitSeconds),
                "seconds_without_retry_wait": seconds(night.seconds - night.retryWaitSeconds),
                "bytes_per_night": night.bytes / max(1, runs),
            ]
        }
        var cleanFigures = figures(clean.night, runs: 1)
        cleanFigures["request_list"] = clean.night.counts.requests
        var idleFigures = figures(clean.idle, runs: 1)
        idleFigures["request_list"] = clean.idle.counts.requests
        printJSONObject([
            "children": childCount, "night_changes": night.night.count, "district_edits": districtEdits,
            "seed": seed, "bits_per_second": bitsPerSecond, "round_trip_ms": roundTripMs,
            "cut_probability": cutProbability, "cut_within_bytes": settings.cutWithin, "cut_nights": cutNames.count,
            "clean": cleanFigures, "idle": idleFigures, "cut": figures(cut, runs: cutNames.count),
            // The cut nights' bytes against as many clean nights.
            "resent_ratio": (Double(cut.bytes) / Double(max(1, clean.night.bytes * cutNames.count)) * 1000)
                .rounded() / 1000,
            "states_equal": true,
        ])
    }

    /// The night on a copy of `base`: syncs until one succeeds, then once more with nothing pending.
    func nightOnCopy(
        _ name: String, from base: URL, in directory: URL, proxy: LinkProxy, settings: LinkProxy.Settings,
        tools: Tools, keyPath: String, idle: Bool
    ) throws -> (night: Night, idle: Night) {
        let folder = directory.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.copyItem(at: base, to: folder)
        let hub = try HubServer(bin: tools.bin, database: folder.appendingPathComponent("hub.sqlite").path)
        defer { hub.stop() }
        proxy.configure(settings, targetPort: hub.port)
        _ = proxy.takeCounts()
        let nodeFolder = folder.appendingPathComponent("node").path
        func syncUntilDone() throws -> Night {
            var result = Night()
            let start = LinkProxy.now()
            while true {
                result.attempts += 1
                let (status, _, errors) = try tools.launch(
                    "tre-node", ["sync", "--dir", nodeFolder, "--key-file", keyPath, "--json"])
                if status == 0 { break }
                // 2: the hub was unreachable (the link); anything else is a real failure.
                guard status == 2, result.attempts < maxAttempts else {
                    throw BenchError(
                        "tre-node sync (\(name) night, run \(result.attempts)) exited \(status): \(errors)")
                }
                result.retryWaitSeconds += retryWait
                usleep(UInt32(retryWait * 1_000_000))
            }
            result.seconds = LinkProxy.now() - start
            result.counts = proxy.takeCounts()
            return result
        }
        let night = try syncUntilDone()
        // Nothing pending either side now: what a quiet night costs. No cuts here.
        var quiet = settings
        quiet.cutProbability = 0
        proxy.configure(quiet)
        return (night, idle ? try syncUntilDone() : Night())
    }
}

/// Runs the programs next to `tre-bench`.
struct Tools {
    let bin: URL

    func launch(_ tool: String, _ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = bin.appendingPathComponent(tool)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let error = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus,
            String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            String(decoding: error, as: UTF8.self)
        )
    }

    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let (status, output, errors) = try launch(tool, arguments)
        guard status == 0 else { throw BenchError("\(tool) \(arguments.first ?? "") failed: \(errors)") }
        return output
    }
}

/// A `tre-hub serve` on 127.0.0.1, on a port it picks.
final class HubServer {
    let process = Process()
    let url: URL
    var port: UInt16 { UInt16(url.port ?? 0) }

    init(bin: URL, database: String) throws {
        process.executableURL = bin.appendingPathComponent("tre-hub")
        process.arguments = ["serve", "--db", database, "--host", "127.0.0.1", "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://127.0.0.1:[0-9]+", options: .regularExpression) else {
            process.terminate()
            throw BenchError("tre-hub serve did not start: \(text)")
        }
        url = URL(string: String(text[range]))!
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

import Foundation
import PostgresNIO
import PostgresStore
import SyncCore
import Synchronization
import TestSupport
import Testing

/// A hub on PostgreSQL through the real `tre-hub`: made by `init --store`, served by two
/// `tre-hub serve` processes on the same database, with nodes pushing and pulling through both
/// at once. The test counts what must be there itself (what each node made) and reads the
/// server's log with plain SQL: nothing lost, nothing doubled, no hole in the log's sequence,
/// and every replica's state hash equal to the hub's.
@Suite(.serialized, .enabled(if: !PostgresTestServer.isOptedOut, "TRE_SKIP_POSTGRES=1 (outside CI)"))
struct PostgresHubProcessTests {
    static let communes = ["17605", "17608", "17611"]
    static let units = """
        code,name,level,parent_code
        415,Huyện Kỳ Sơn,district,
        17605,Xã Mường Lống,commune,415
        17608,Xã Huồi Tụ,commune,415
        17611,Xã Mỹ Lý,commune,415

        """
    /// New children per node; then every node edits every child of its commune.
    static let created = 4

    /// The sequences, origins and records of the hub's log, read with SQL from the server.
    static func logRows(_ address: PostgresAddress) throws -> [(sequence: Int64, origin: [UInt8], record: [UInt8])] {
        let storage = try PostgresStorage(address: address, role: .hub)
        return try storage.transaction(writing: false) { session in
            try session.query("SELECT sequence, origin, record FROM log ORDER BY sequence").map {
                (
                    try $0[0].decode(Int64.self), try PostgresSession.bytes($0[1]),
                    try PostgresSession.bytes($0[2])
                )
            }
        }
    }

    /// Runs `body` for each element on its own thread, all at once, and waits for them all.
    static func parallel<T: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) throws -> Int) throws -> Int {
        let results = Mutex<[Result<Int, any Error>]>([])
        DispatchQueue.concurrentPerform(iterations: items.count) { index in
            let result = Result { try body(items[index]) }
            results.withLock { $0.append(result) }
        }
        return try results.withLock { $0 }.reduce(0) { $0 + (try $1.get()) }
    }

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    /// One `tre-node sync`; how many changes it moved (1 when it failed: not quiet).
    static func sync(_ folder: String, failures: Counter) throws -> Int {
        let result = try Executables.node("sync", "--dir", folder, "--json")
        guard result.status == 0 else {
            failures.value.withLock { $0 += 1 }
            return 1
        }
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (report?["pushed"] as? Int ?? 0) + (report?["pulled"] as? Int ?? 0)
    }

    @Test func twoServersOnOneDatabaseMergeParallelPushesWithoutLossOrDuplicates() throws {
        let address = try PostgresTestServer.freshAddress()
        let directory = try TemporaryDirectory()
        let config = directory.path("hub.conf")
        let csv = directory.path("units.csv")
        try Self.units.write(toFile: csv, atomically: true, encoding: .utf8)
        try Executables.hub(
            "init", "--db", config, "--store", "\(address.description)", "--unit", "415", "--name", "Kỳ Sơn"
        ).required("init --store")
        try Executables.hub("units", "import", "--db", config, csv).required("units import")
        let first = try HubProcess(database: config, logFile: directory.path("first.log"))
        let second = try HubProcess(database: config, logFile: directory.path("second.log"))
        defer {
            first.stop()
            second.stop()
        }

        // Two nodes per commune, one through each server: each commune's records cross
        // between the two processes only through the database.
        var nodes: [(folder: String, commune: String)] = []
        for commune in Self.communes {
            for (index, server) in [first, second].enumerated() {
                let code = try Executables.hub("enroll", "--db", config, "--unit", commune).required("enroll").line
                let folder = directory.path("node-\(commune)-\(index)")
                try Executables.node("init", "--dir", folder, "--hub", server.url, "--enrolment", code).required(
                    "node init")
                nodes.append((folder, commune))
            }
        }
        let nodeList = nodes
        // A sync that fails (a timeout) moves nothing for good: the next one resumes from its
        // saved position. The traffic phases count such failures; the end must be quiet.
        let failedSyncs = Counter()
        func syncUntilQuiet() throws {
            for _ in 0..<10 {
                if try Self.parallel(nodeList, { try Self.sync($0.folder, failures: failedSyncs) }) == 0 { return }
            }
            throw HarnessError("the nodes still move changes after 10 rounds")
        }

        // Every node makes its children while the others push theirs through both servers.
        _ = try Self.parallel(nodeList) { node in
            for number in 0..<Self.created {
                try Executables.node(
                    ["record", "put", "--dir", node.folder, "children"]
                        + Sample.child("Trẻ \(node.commune) \(number)")
                ).ok("put")
                _ = try Self.sync(node.folder, failures: failedSyncs)
            }
            return 0
        }
        try syncUntilQuiet()
        // Then every node edits every child of its commune, both nodes of a commune the same
        // children at once (conflicts the merge resolves the same way everywhere).
        let edits = try Self.parallel(nodeList) { node in
            let listed = try Executables.node("record", "list", "--dir", node.folder, "children", "--json").ok()
            let ids = ((try json(listed) as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            for id in ids {
                try Executables.node(
                    "record", "put", "--dir", node.folder, "children", "--id", id,
                    "village=Bản \(node.folder.suffix(7))"
                ).ok("edit")
                _ = try Self.sync(node.folder, failures: failedSyncs)
            }
            return ids.count
        }
        try syncUntilQuiet()

        // What the test made: per node, its children and one edit of each child of its commune.
        let perCommune = 2 * Self.created
        #expect(edits == nodes.count * perCommune, "each node held its commune's children before editing")
        let expected = nodes.count * Self.created + edits

        let rows = try Self.logRows(address)
        #expect(rows.count == expected, "every change once in the hub's log: \(rows.count), expected \(expected)")
        #expect(rows.map(\.sequence) == Array(1...Int64(rows.count)), "sequences without a hole or a repeat")
        let byOrigin = Dictionary(grouping: rows, by: { $0.origin }).mapValues(\.count)
        #expect(byOrigin.count == nodes.count, "one origin per node")
        #expect(
            byOrigin.values.allSatisfy { $0 == Self.created + perCommune },
            "each node's changes once each: \(byOrigin.values.sorted())")

        // Every node holds its commune's children and agrees with the hub, through either server.
        for node in nodes {
            let listed = try Executables.node("record", "list", "--dir", node.folder, "children", "--json").ok()
            #expect((try json(listed) as? [[String: Any]])?.count == perCommune)
            let nodeHash = try Executables.node("state-hash", "--dir", node.folder).ok().line
            let hubHash = try Executables.hub("state-hash", "--db", config, "--unit", node.commune).ok().line
            #expect(!nodeHash.isEmpty && nodeHash == hubHash, "node \(node.folder) agrees with the hub")
        }
        #expect(first.stop() == 0 && second.stop() == 0, "both servers stop gracefully")
        print(
            "postgres hub: \(rows.count) changes through two servers; \(failedSyncs.value.withLock { $0 }) syncs failed and were resumed"
        )
    }

    /// Runs a PostgreSQL client program against the test server's database.
    static func client(_ program: String, _ arguments: [String], _ address: PostgresAddress) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(program)")
        process.arguments =
            ["-h", address.host, "-p", String(address.port), "-U", address.user] + arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HarnessError(
                "\(program) exited \(process.terminationStatus): \(String(decoding: said, as: UTF8.self))")
        }
    }

    /// The database restored from a dump taken before a node's last push (what a point-in-time
    /// recovery does), then `tre-hub restored`: the node is served again from the start and
    /// pushes again what the hub lost, so the hub ends with every change and the same hash.
    @Test func aRestoredDatabaseGetsBackWhatItsNodesHadPushedSinceTheBackup() throws {
        let address = try PostgresTestServer.freshAddress()
        let schema = try #require(address.schema)
        let directory = try TemporaryDirectory()
        let config = directory.path("hub.conf")
        let csv = directory.path("units.csv")
        try Self.units.write(toFile: csv, atomically: true, encoding: .utf8)
        try Executables.hub("init", "--db", config, "--store", address.description, "--unit", "415", "--name", "K")
            .required("init --store")
        try Executables.hub("units", "import", "--db", config, csv).required("units import")
        var server = try HubProcess(database: config, logFile: directory.path("hub.log"))
        defer { server.stop() }
        let code = try Executables.hub("enroll", "--db", config, "--unit", "17605").required("enroll").line
        let node = directory.path("node")
        try Executables.node("init", "--dir", node, "--hub", server.url, "--enrolment", code).required("node init")
        func child(_ name: String) throws {
            try Executables.node(["record", "put", "--dir", node, "children"] + Sample.child(name)).required("put")
            try Executables.node("sync", "--dir", node, "--json").required("sync")
        }
        try child("Trẻ trước")
        let dump = directory.path("hub.dump")
        try Self.client("pg_dump", ["-n", schema, "-Fc", "-f", dump, address.database], address)
        try child("Trẻ sau 1")
        try child("Trẻ sau 2")
        #expect(try Self.logRows(address).count == 3)

        // The server goes back to the dump; the operator says so before serving again.
        let port = server.port
        server.stop()
        let storage = try PostgresStorage(address: address, role: .hub)
        try storage.transaction(writing: true) { try $0.execute("DROP SCHEMA \(schema) CASCADE") }
        try Self.client("pg_restore", ["-d", address.database, dump], address)
        #expect(try Self.logRows(address).count == 1, "the restored database lacks the last two pushes")
        try Executables.hub("restored", "--db", config).required("restored")
        server = try HubProcess(database: config, logFile: directory.path("hub.log"), port: port)
        // District staff register a child before the node syncs: it takes a sequence the node's
        // cursor had passed before the restore, which only a new epoch makes it pull.
        try Executables.hub(
            ["record", "put", "--db", config, "children", "--unit", "17605"] + Sample.child("Trẻ của huyện")
        ).required("hub put")
        try Executables.node("sync", "--dir", node, "--json").required("sync after the restore")
        try Executables.node("sync", "--dir", node, "--json").required("second sync")

        let rows = try Self.logRows(address)
        #expect(rows.count == 4, "the node pushed again what the hub lost: \(rows.count)")
        #expect(Set(rows.map(\.record)).count == 4)
        let listed = try Executables.node("record", "list", "--dir", node, "children", "--json").required("list")
        #expect((try json(listed) as? [[String: Any]])?.count == 4, "the node pulled the district's child")
        let nodeHash = try Executables.node("state-hash", "--dir", node).required("node hash").line
        let hubHash = try Executables.hub("state-hash", "--db", config, "--unit", "17605").required("hub hash").line
        #expect(!nodeHash.isEmpty && nodeHash == hubHash)
        // And the node keeps working with it.
        try child("Trẻ sau khôi phục")
        #expect(try Self.logRows(address).count == 5)
    }

    @Test func initRefusesAMalformedOrUnreachableStoreWithoutShowingThePassword() throws {
        let directory = try TemporaryDirectory()
        let config = directory.path("hub.conf")
        let malformed = try Executables.hub(
            "init", "--db", config, "--store", "postgres://tre:s3cret-pw@/tre", "--unit", "415", "--name", "K")
        #expect(malformed.status != 0)
        #expect(malformed.stderr.contains("names no host"), "\(malformed.stderr)")
        #expect(!malformed.stderr.contains("s3cret-pw") && !malformed.stdout.contains("s3cret-pw"))
        // A port nothing listens on (bound, then released).
        let socket = try ListeningSocket()
        let port = socket.port
        socket.close()
        let unreachable = try Executables.hub(
            "init", "--db", config, "--store", "postgres://tre:s3cret-pw@127.0.0.1:\(port)/tre", "--unit", "415",
            "--name", "K")
        #expect(unreachable.status != 0)
        #expect(
            unreachable.stderr.contains("cannot reach the PostgreSQL server at 127.0.0.1:\(port)"),
            "\(unreachable.stderr)")
        #expect(!unreachable.stderr.contains("s3cret-pw") && !unreachable.stdout.contains("s3cret-pw"))
        #expect(!FileManager.default.fileExists(atPath: config), "no configuration naming a store that is not there")
    }
}

extension CommandResult {
    /// Throws, ending the test, when the command did not exit 0: for steps the rest depends on.
    @discardableResult
    func required(_ what: String) throws -> CommandResult {
        guard status == 0 else { throw HarnessError("\(what) exited \(status): \(stderr)") }
        return self
    }
}

/// A TCP socket bound to a free loopback port, to learn a port nothing listens on once closed.
final class ListeningSocket {
    private var descriptor: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            _ = Glibc.close(fd)
            throw HarnessError("cannot bind a loopback port")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { close() }
}

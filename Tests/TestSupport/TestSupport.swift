public import Foundation
public import PostgresStore
public import SyncCore

/// A clock the test moves by hand, optionally skewed: replicas with wrong clocks are the
/// ordinary case in the field.
public final class ManualClock: TimeSource, @unchecked Sendable {
    private let lock = NSLock()
    private var now: UInt64

    public init(_ start: UInt64 = 1_763_856_000_000) { now = start }

    public func nowMillis() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return now
    }

    public func advance(by millis: UInt64) {
        lock.lock()
        now += millis
        lock.unlock()
    }
}

/// SplitMix64: a tiny seeded generator, so every random schedule can be replayed from its seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// The storage implementations; tests that take a `StoreKind` run against each.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory
    case sqlite
    /// A fresh schema on the PostgreSQL server `TRE_TEST_POSTGRES` names (`scripts/test` starts
    /// one). Without it the tests fail, saying so — unless a developer opts out with
    /// `TRE_SKIP_POSTGRES=1`, which is ignored where `CI` is set: CI always runs them.
    case postgres

    public var description: String { rawValue }

    public static var allCases: [StoreKind] {
        PostgresTestServer.isOptedOut ? [.memory, .sqlite] : [.memory, .sqlite, .postgres]
    }

    public func makeStorage() throws -> any ReplicaStorage {
        switch self {
        case .memory: MemoryStorage()
        case .sqlite: try SQLiteStorage(inMemory: ())
        case .postgres: try PostgresTestServer.freshStorage()
        }
    }
}

extension StoreKind {
    /// A fresh store of this kind whose values are sealed at rest with `secret` (a memory store
    /// seals nothing); an SQLite file goes in `directory`.
    public func makeStorage(sealedWith secret: ReplicaSecret, in directory: TemporaryDirectory) throws
        -> any ReplicaStorage
    {
        switch self {
        case .memory: MemoryStorage()
        case .sqlite: try SQLiteStorage(path: directory.path("sealed.sqlite"), secret: secret)
        case .postgres:
            try PostgresStorage(address: try PostgresTestServer.freshAddress(), secret: secret, create: true)
        }
    }
}

/// The test PostgreSQL server (`TRE_TEST_POSTGRES`), and fresh stores on it, each in its own
/// schema so tests never see each other's rows.
public enum PostgresTestServer {
    public static let variable = "TRE_TEST_POSTGRES"

    /// True when a developer asked to skip the PostgreSQL tests, outside CI.
    public static var isOptedOut: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["TRE_SKIP_POSTGRES"] == "1" && environment["CI"] == nil
    }

    /// The server's address with a new schema named `tre_test_…`.
    public static func freshAddress() throws -> PostgresAddress {
        guard let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty else {
            throw PostgresTestServerMissing()
        }
        let schema = "tre_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return try PostgresAddress(url + (url.contains("?") ? "&" : "?") + "schema=\(schema)")
    }

    /// A hot standby of the test server (`TRE_TEST_POSTGRES_REPLICA`, which `scripts/test`
    /// starts with `scripts/test-postgres replica`), as the address of `primary`'s schema there.
    public static let replicaVariable = "TRE_TEST_POSTGRES_REPLICA"

    public static func replicaAddress(of primary: PostgresAddress) throws -> PostgresAddress {
        guard let url = ProcessInfo.processInfo.environment[replicaVariable], !url.isEmpty else {
            throw PostgresTestServerMissing(variable: replicaVariable)
        }
        let schema = primary.schema.map { (url.contains("?") ? "&" : "?") + "schema=\($0)" } ?? ""
        return try PostgresAddress(url + schema)
    }

    public static func freshStorage() throws -> PostgresStorage {
        try PostgresStorage(address: try freshAddress(), create: true)
    }
}

public struct PostgresTestServerMissing: Error, CustomStringConvertible {
    public var variable = PostgresTestServer.variable

    public init(variable: String = PostgresTestServer.variable) { self.variable = variable }

    public var description: String {
        variable == PostgresTestServer.variable
            ? "TRE_TEST_POSTGRES is not set: run the tests through scripts/test (it starts a throwaway PostgreSQL "
                + "server), or set it to postgres://USER@127.0.0.1:PORT/DB; outside CI, TRE_SKIP_POSTGRES=1 skips them"
            : "\(variable) is not set: run the tests through scripts/test (it starts a hot standby beside the test "
                + "server), or start one with `scripts/test-postgres replica DIR PRIMARY_DIR` and set it to the URL "
                + "that prints; outside CI, TRE_SKIP_POSTGRES=1 skips them"
    }
}

/// A fresh directory under the system's temporary folder, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tre-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Fixed identities for readable tests: origin `n` is `00000000-0000-0000-0000-00000000000n`.
public func testOrigin(_ number: UInt64) -> OriginID { OriginID(UUID128(high: 0, low: number)) }
public func testRecord(_ number: UInt64) -> RecordID { RecordID(UUID128(high: 0x0190_0000_0000_7000, low: number)) }

/// A replica on a fresh store of `kind`, with its own manual clock.
public func makeReplica(
    _ kind: StoreKind, origin: UInt64, unit: String = "01001", clock: ManualClock = ManualClock()
) throws -> Replica {
    try Replica.initialize(storage: try kind.makeStorage(), origin: testOrigin(origin), unit: unit, time: clock)
}

extension Replica {
    /// Every change in this replica's log.
    public func allChanges() throws -> [Change] {
        try log(after: 0, limit: Int.max).map(\.change)
    }
}

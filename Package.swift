// swift-tools-version: 6.1
import PackageDescription

// One list of Swift settings for every target (as Hummingbird does): upcoming features that
// make dependencies and existentials explicit.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Tre",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tre-node", targets: ["Node"]),
        .executable(name: "tre-hub", targets: ["Hub"]),
        .executable(name: "tre-bench", targets: ["TreBench"]),
        .library(name: "SyncCore", targets: ["SyncCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // No default traits: with them `swift test` rebuilds Hummingbird on every switch.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The hub's /metrics: swift-metrics' API (Hummingbird depends on it already) recorded into
        // a Prometheus registry of the hub's own; NIOCore for the peer's address (who may scrape).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // The hub's PostgreSQL store (only tre-hub and the tests link it; tre-node does not).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // The client's HTTP: libcurl's easy API directly (not FoundationNetworking's glue).
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(
            name: "SyncCore",
            dependencies: [
                "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                // scrypt, for the key of a replica protected by a passphrase.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The hub's store on a PostgreSQL server, apart so that tre-node never carries the driver.
        .target(
            name: "PostgresStore",
            dependencies: [
                "SyncCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Domain",
            // Crypto: the aggregates' record ids are name-based (SHA-256 of unit, period, cell).
            dependencies: ["SyncCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReplicaCommands",
            dependencies: [
                "SyncCore", "SyncClient", "Domain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SyncClient",
            dependencies: ["SyncCore", "CCurl"],
            swiftSettings: swiftSettings
        ),
        // The worker's page: server-rendered HTML over Hummingbird, apart from the executable so
        // tests drive it in process too.
        .target(
            name: "NodeUI",
            dependencies: [
                "SyncCore", "SyncClient", "Domain", "ReplicaCommands",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Node",
            dependencies: [
                "SyncCore", "ReplicaCommands", "SyncClient", "Domain", "NodeUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Hub",
            dependencies: [
                "SyncCore", "ReplicaCommands", "SyncClient", "Domain", "PostgresStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TreBench",
            dependencies: [
                // PostgresStore: `--store postgres://…` puts the benchmark's hub on PostgreSQL, and
                // PostgresNIO writes the raw PostgreSQL reference of the same rows.
                "SyncCore", "SyncClient", "Domain", "PostgresStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Bench",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: ["SyncCore", "PostgresStore"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SyncCoreTests",
            dependencies: [
                "SyncCore", "TestSupport", "PostgresStore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HubTests",
            dependencies: [
                "SyncCore", "SyncClient", "Domain", "TestSupport", "Hub", .product(name: "GRDB", package: "GRDB.swift"),
                // The metrics' access rule is decided on NIO's addresses and HTTP fields.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // The report bench's SQL reference, run at small sizes against the engine.
                "TreBench",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DomainTests",
            // ReplicaCommands: the report renderers, tested on documents the builder makes.
            dependencies: ["Domain", "SyncCore", "TestSupport", "ReplicaCommands"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NodeTests",
            dependencies: [
                "SyncCore", "SyncClient", "TestSupport", "Domain", "Node", "Hub", "NodeUI", "PostgresStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

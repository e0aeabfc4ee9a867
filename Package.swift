// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "kfarm",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kfarm", targets: ["kfarm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // rabbitmq-c from Debian's librabbitmq-dev, with a non-variadic login wrapper.
        .target(name: "CRabbitMQ", linkerSettings: [.linkedLibrary("rabbitmq")]),
        // glibc's close-from and close-on-exec pipe for spawning builds (GNU extensions Swift's Glibc hides).
        .target(name: "CSpawn"),
        // libzstd from Debian's libzstd-dev.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // Streaming zstd compression over libzstd; knows nothing of kfarm.
        .target(name: "Zstd", dependencies: ["CZstd"]),
        // An AMQP 0-9-1 client over rabbitmq-c; knows nothing of kfarm.
        .target(name: "AMQP", dependencies: ["CRabbitMQ"]),
        // The farm's AMQP topology over the AMQP client.
        .target(name: "FarmBus", dependencies: ["AMQP", "FarmModel", .product(name: "Logging", package: "swift-log")]),
        // Logs (text or JSON lines) and metrics (Prometheus) for every kfarm process; knows nothing of builds.
        .target(
            name: "FarmTelemetry",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // Pure domain types and validation rules; no I/O.
        .target(name: "FarmModel"),
        // PostgreSQL: migrations (plain SQL) and repositories.
        .target(
            name: "FarmStore",
            dependencies: [
                "FarmModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Migrations")]
        ),
        // The HTTP API.
        .target(
            name: "FarmServer",
            dependencies: [
                "FarmModel",
                "FarmStore",
                "FarmBus",
                "FarmTelemetry",
                "AMQP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // The broker's management API, to close revoked machines' connections.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The dashboard's server-rendered pages.
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Dashboard/Templates"), .copy("Dashboard/Static")]
        ),
        // What both machines (build worker, deployment agent) use: the farm's HTTP client,
        // commands, toolchain data, QEMU boot, JSON coders.
        .target(
            name: "FarmMachine",
            dependencies: [
                "CSpawn", "FarmModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),
        // The build worker: stage runner, recipes, sandbox, packaging, event spool, worker loop.
        .target(
            name: "FarmWorker",
            dependencies: [
                "AMQP", "FarmBus", "FarmMachine", "FarmModel", "Zstd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The deployment agent: A/B slots, order journal, verification, health checks.
        .target(
            name: "FarmAgent",
            dependencies: [
                "AMQP", "FarmBus", "FarmMachine", "FarmModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "kfarm",
            dependencies: [
                "AMQP",
                "FarmModel",
                "FarmStore",
                "FarmServer",
                "FarmMachine",
                "FarmWorker",
                "FarmAgent",
                "FarmTelemetry",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test helpers shared by the suites: the test database, fixtures and an artifact store.
        .target(
            name: "FarmTestSupport",
            dependencies: [
                "FarmStore", "FarmModel", "FarmServer", "FarmMachine",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/FarmTestSupport"
        ),
        .testTarget(name: "FarmModelTests", dependencies: ["FarmModel"]),
        .testTarget(name: "FarmTelemetryTests", dependencies: ["FarmTelemetry", .product(name: "Logging", package: "swift-log")]),
        // ARCHITECTURE.md's dependency rule, read from this file.
        .testTarget(name: "DependencyRuleTests"),
        .testTarget(name: "AMQPTests", dependencies: ["AMQP"]),
        .testTarget(name: "ZstdTests", dependencies: ["Zstd", "FarmMachine"]),
        .testTarget(
            name: "FarmMachineTests",
            dependencies: ["FarmMachine", "FarmModel", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "FarmWorkerTests", dependencies: ["FarmWorker", "FarmMachine", "FarmModel", "FarmTestSupport"]),
        .testTarget(name: "FarmAgentTests", dependencies: ["FarmAgent", "FarmModel"]),
        // The whole farm: API, relay, recorder, reaper, RabbitMQ, PostgreSQL, workers and real compilers.
        .testTarget(
            name: "FarmIntegrationTests",
            dependencies: [
                "AMQP", "FarmBus", "FarmMachine", "FarmModel", "FarmServer", "FarmStore", "FarmWorker", "FarmTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "FarmStoreTests",
            dependencies: ["FarmStore", "FarmModel", "FarmTestSupport"]
        ),
        .testTarget(
            name: "FarmServerTests",
            dependencies: [
                "FarmServer",
                "FarmStore",
                "FarmModel",
                "FarmTestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)

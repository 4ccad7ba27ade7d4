// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "logit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "logit", targets: ["logit"]),
        .executable(name: "logit-bench", targets: ["LogitBench"]),
        .executable(name: "hummingbird-reference", targets: ["HummingbirdReference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // The runtime library only: the ONNX messages are generated once (scripts/generate_onnx_proto.sh) and committed.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // Pure logic: CSV, standardization, the model, the trainer, prediction. No I/O.
        // Optimized even in debug builds: the test suite fits dozens of models, and an unoptimized kernel (SIMD types,
        // unsafe pointers) is ~100x slower, which made `swift test` take many minutes.
        .target(
            name: "LogitCore", dependencies: ["CLogitKernels"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // The two passes over the feature matrix, compiled for baseline x86-64 and for AVX2+FMA in one binary and
        // chosen at run time (Swift has no per-function target attribute). Our own code: no Sendable escape hatch.
        // Optimized even in debug builds, for the same reason as LogitCore.
        .target(name: "CLogitKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // glibc's malloc_trim, which Swift's Glibc module does not export: a process returns the free memory of a large
        // body or job to the system (an idle API stayed at ~350 MB after 176 MB uploads without it).
        .target(name: "CLogitSystem"),
        // The one C library boundary: hiredis.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(
            name: "LogitRedis",
            dependencies: [
                "CHiredis", "LogitCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LogitWorker",
            dependencies: [
                "LogitCore", "LogitRedis", "CLogitSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Export to ONNX: `onnx.pb.swift` (generated from ONNX's onnx.proto by scripts/generate_onnx_proto.sh, committed)
        // and the graph of a fitted model.
        .target(
            name: "LogitONNX",
            dependencies: ["LogitCore", "LogitAPI", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LogitServer",
            dependencies: [
                "LogitCore", "LogitRedis", "LogitAPI", "LogitONNX", "CLogitSystem",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The dashboard's page, style sheet and script, compiled into the binary as bytes (`PackageResources`):
            // no bundle to find at run time, so a binary copied anywhere (the Dockerfile copies only it) serves them.
            resources: [.embedInCode("Dashboard")],
            swiftSettings: swiftSettings
        ),
        // The API's documents (requests' answers and problems), shared by the server, the client and the tests.
        .target(name: "LogitAPI", dependencies: ["LogitCore"], swiftSettings: swiftSettings),
        // The HTTP API from the client's side, for the `logit train/status/predict/models/delete` subcommands. On
        // Foundation's URLSession (libcurl, shipped with the toolchain) rather than AsyncHTTPClient, whose TLS stack
        // (swift-nio-ssl, BoringSSL) doubled the cold release build of the one binary the server also runs.
        .target(name: "LogitClient", dependencies: ["LogitAPI", "LogitCore"], swiftSettings: swiftSettings),
        // One builder per role (API, worker, all-in-one): the services `logit serve|worker|dev` and the tests run.
        .target(
            name: "LogitApp",
            dependencies: [
                "LogitServer", "LogitWorker", "LogitRedis",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "logit",
            dependencies: [
                "LogitServer", "LogitWorker", "LogitRedis", "LogitClient", "LogitApp", "LogitAPI", "LogitCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmarks of the numeric core (parse, gradient pass, fit): `swift run -c release logit-bench --help`.
        .executableTarget(name: "LogitBench", dependencies: ["LogitCore"], swiftSettings: swiftSettings),
        // A bare Hummingbird app with one trivial route: the ceiling scripts/bench_serving.py measures the API against.
        .executableTarget(
            name: "HummingbirdReference",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(name: "LogitTestSupport", dependencies: ["LogitRedis"], path: "Tests/LogitTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "LogitCoreTests", dependencies: ["LogitCore", "CLogitKernels", "LogitTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LogitRedisTests",
            dependencies: ["LogitRedis", "CHiredis", "LogitTestSupport", "LogitCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LogitServerTests",
            dependencies: [
                "LogitServer", "LogitWorker", "LogitRedis", "LogitCore", "LogitTestSupport", "LogitAPI", "LogitApp", "LogitClient", "LogitONNX",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// swift-tools-version:6.1
import PackageDescription

/// The upcoming features Hummingbird turns on, in every target: a module's public surface is a decision
/// (imports are internal unless said), existentials are spelled `any`, members come only from modules imported.
let upcomingFeatures: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Framewise",
    // Linux only (oneDNN, FFmpeg and systemd from Debian's packages; the daemon speaks sd_notify): no Apple
    // platform line, which would promise a build there.
    products: [
        .executable(name: "framewise", targets: ["framewise"]),
    ],
    // PostgreSQL (the shared store of several machines) is a trait: PostgresNIO brings swift-nio-ssl and
    // swift-crypto, two copies of BoringSSL — about 750 of a cold build's 2000 compile steps. A single-machine
    // build (scripts/demo) leaves it out; CI, releases and the benchmarks turn it on: --traits PostgreSQL.
    traits: [
        .trait(name: "PostgreSQL", description: "The PostgreSQL store and job queue (postgres:// databases), via PostgresNIO."),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Without the swift-configuration and full-Foundation traits: neither is used, both cost build time.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries from Debian's -dev packages.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat libavcodec libswscale libavutil"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto"),
        // SHA-256 of model files and of video files' ends (libcrypto: no FFmpeg in the model, no BoringSSL to build).
        .target(name: "ContentDigest", dependencies: ["CCrypto"]),

        // Stage 1: decoding (FFmpeg) -> network input tensors.
        .target(name: "VideoDecoding", dependencies: ["CFFmpeg", .product(name: "Logging", package: "swift-log")]),
        // Stage 2: the network the workers run (oneDNN).
        .target(name: "GoogLeNet", dependencies: [
            "CDNNL",
            "ContentDigest",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
                exclude: ["onnx-subset.proto"]),
        // What is learned and searched on GoogLeNet's pool5 features: heads (softmax regression, trained with
        // nested cross-validation on oneDNN's sgemm), similar-frame ranking, the stored vectors' coding.
        // Optimised in debug builds too: its loops would make the tests' nested cross-validations 30× slower.
        .target(name: "FeatureSpace", dependencies: ["CDNNL"], swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // WordNet 3.0's nouns (Debian's wordnet-base): the categories above the model's classes.
        .target(name: "WordNet"),
        // Stage 3: the sink's store (SQLite through GRDB, or a PostgreSQL server through PostgresNIO).
        .target(name: "LabelStore", dependencies: [
            "ContentDigest",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
            .product(name: "Logging", package: "swift-log"),
        ],
                plugins: ["EmbedMigrations"]),
        // migrations/*.sql -> a Swift source of LabelStore (the schema ships inside the binary).
        .executableTarget(name: "MigrationEmbedder", path: "Plugins/MigrationEmbedder"),
        .plugin(name: "EmbedMigrations", capability: .buildTool(), dependencies: ["MigrationEmbedder"]),
        // The three stages joined: decoder -> worker pool -> sink.
        .target(name: "Pipeline", dependencies: [
            "VideoDecoding", "GoogLeNet", "LabelStore", "ContentDigest", "WordNet", "FeatureSpace",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "DequeModule", package: "swift-collections"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // The label timeline page (framewise report, the daemon's page): database rows -> one HTML file.
        .target(name: "Report", dependencies: ["LabelStore"]),
        .executableTarget(name: "framewise", dependencies: [
            "Pipeline", "VideoDecoding", "GoogLeNet", "LabelStore", "Report", "Daemon", "WordNet", "FeatureSpace",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // systemd's side of `framewise serve`: sd_notify over $NOTIFY_SOCKET, log lines for the journal.
        .target(name: "Daemon", dependencies: [
            "Pipeline", "GoogLeNet", "LabelStore", "VideoDecoding", "Report", "ContentDigest",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        // Shared by the test targets: the ../shared data, temporary directories, clips, child processes, an RTSP server.
        .target(name: "FramewiseTestSupport", path: "Tests/Support", exclude: ["Fixtures"]),
        // Test targets that run the `framewise` binary name it, so it is built first.
        .testTarget(name: "GoogLeNetTests", dependencies: [
            "GoogLeNet", "VideoDecoding", "FramewiseTestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .testTarget(name: "VideoDecodingTests", dependencies: ["VideoDecoding", "CFFmpeg", "GoogLeNet", "Pipeline", "FramewiseTestSupport"]),
        .testTarget(name: "LabelStoreTests", dependencies: [
            "LabelStore", "FramewiseTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
        ]),
        .testTarget(name: "PipelineTests", dependencies: [
            "Pipeline", "GoogLeNet", "VideoDecoding", "WordNet", "framewise", "FramewiseTestSupport",
        ]),
        .testTarget(name: "DaemonTests", dependencies: [
            "Daemon", "LabelStore", "GoogLeNet", "FramewiseTestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "FeatureSpaceTests", dependencies: ["FeatureSpace", "GoogLeNet", "VideoDecoding", "Pipeline", "FramewiseTestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "LabelStore", "VideoDecoding", "FeatureSpace", "framewise", "FramewiseTestSupport"]),
    ]
)

for target in package.targets where target.type != .system && target.type != .plugin {
    target.swiftSettings = (target.swiftSettings ?? []) + upcomingFeatures
}

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Framewise",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "framewise", targets: ["framewise"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries from Debian's -dev packages.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat libavcodec libswscale libavutil"),

        // Stage 1: decoding (FFmpeg) -> network input tensors.
        .target(name: "VideoDecoding", dependencies: ["CFFmpeg", "GoogLeNet", .product(name: "Logging", package: "swift-log")]),
        // Stage 2: the network the workers run (oneDNN).
        .target(name: "GoogLeNet", dependencies: ["CDNNL", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Stage 3: the sink's store (SQLite through GRDB).
        .target(name: "LabelStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        // The three stages joined: decoder -> worker pool -> sink.
        .target(name: "Pipeline", dependencies: [
            "VideoDecoding", "GoogLeNet", "LabelStore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "framewise", dependencies: [
            "Pipeline", "VideoDecoding", "GoogLeNet", "LabelStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "GoogLeNetTests", dependencies: ["GoogLeNet", "VideoDecoding"]),
        .testTarget(name: "VideoDecodingTests", dependencies: ["VideoDecoding", "GoogLeNet"]),
        .testTarget(name: "LabelStoreTests", dependencies: ["LabelStore"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "framewise"]),
    ]
)

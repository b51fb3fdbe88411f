// swift-tools-version:6.1
import PackageDescription

/// `make fuzz` sets this: it adds the fuzz drivers and keeps Swift's bounds and overflow checks.
let fuzzing = Context.environment["LSTMCHAT_FUZZ"] == "1"

let package = Package(
    name: "lstmchat",
    products: [
        .executable(name: "lstmchat", targets: ["LSTMChatCLI"]),
        .library(name: "LSTMChat", targets: ["LSTMChat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // `lstmchat serve`'s HTTP server; its default traits (swift-configuration) are not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // C libraries from Debian: libopenblas-dev and libreadline-dev (the Makefile installs them).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline", providers: [.apt(["libreadline-dev"])]),
        // lstmchat's own SIMD kernels for small products (C: one function per instruction set).
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(
            name: "LSTMChat",
            dependencies: ["CBLAS", "CKernels", .product(name: "Yams", package: "Yams")],
            swiftSettings: fuzzing ? [] : [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        // `lstmchat serve`: the HTTP routes, the chat page and the OpenAPI document over LSTMChat's Serving/.
        .target(
            name: "LSTMChatServer",
            dependencies: [
                "LSTMChat", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The `lstmchat` program: its commands, options, terminal and charts (a thin layer over LSTMChat).
        .executableTarget(
            name: "LSTMChatCLI",
            dependencies: [
                "LSTMChat", "LSTMChatServer", "CReadline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "LSTMChatTests", dependencies: ["LSTMChat"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LSTMChatCLITests", dependencies: ["LSTMChatCLI", "LSTMChat"]),
        .testTarget(name: "LSTMChatServerTests", dependencies: ["LSTMChatServer", "LSTMChat"]),
    ],
    swiftLanguageModes: [.v5]
)

// `make fuzz`: libFuzzer drivers, one per reader of hostile files (Fuzz/). Declared only when
// asked for, because they link only with -sanitize=fuzzer (libFuzzer's driver is in its runtime).
if fuzzing {
    package.targets.append(.systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"))
    for reader in ["Checkpoint", "Data"] {
        package.targets.append(.executableTarget(
            name: "fuzz-\(reader.lowercased())", dependencies: ["LSTMChat", "CLibFuzzer"], path: "Fuzz/\(reader)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ))
    }
}

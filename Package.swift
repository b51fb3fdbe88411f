// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "lstmchat",
    products: [
        .executable(name: "lstmchat", targets: ["lstmchat"]),
        .library(name: "LSTMChat", targets: ["LSTMChat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C libraries from Debian: libopenblas-dev and libreadline-dev (the Makefile installs them).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline", providers: [.apt(["libreadline-dev"])]),
        .target(
            name: "LSTMChat",
            dependencies: ["CBLAS", .product(name: "Yams", package: "Yams")],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "lstmchat",
            dependencies: [
                "LSTMChat", "CReadline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "LSTMChatTests", dependencies: ["LSTMChat"], resources: [.copy("Fixtures")]),
        .testTarget(name: "lstmchatTests", dependencies: ["lstmchat", "LSTMChat"]),
    ],
    swiftLanguageModes: [.v5]
)

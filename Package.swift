// swift-tools-version: 6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    .treatAllWarnings(as: .error),  // SE-0480: not applied when this package is someone else's dependency
]

// Layers, data flowing one way:
// CGDBM (C) → GDBMStore (safe wrapper) → AccessMap (text format, makemap, keys, search orders)
//   → AccessPolicy (session macros, rulesets, typed decisions) → accesspolicy (CLI, no logic)
let package = Package(
    name: "AccessPolicy",
    products: [
        .library(name: "AccessPolicy", targets: ["AccessPolicy"]),
        .library(name: "AccessMap", targets: ["AccessMap"]),
        .library(name: "PolicyReplay", targets: ["PolicyReplay"]),
        .library(name: "GDBMStore", targets: ["GDBMStore"]),
        .library(name: "AccessPolicyServer", targets: ["AccessPolicyServer"]),
        .executable(name: "accesspolicy", targets: ["AccessPolicyCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CGDBM", providers: [.apt(["libgdbm-dev"]), .brew(["gdbm"])]),
        .target(name: "GDBMStore", dependencies: ["CGDBM"], swiftSettings: swiftSettings),
        .target(name: "AccessMap", dependencies: ["GDBMStore"], swiftSettings: swiftSettings),
        .target(
            name: "AccessPolicy",
            dependencies: ["AccessMap", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Recorded sessions: sendmail/Postfix syslog lines → sessions → session macros for replay.
        .target(name: "RecordedSessions", dependencies: ["AccessPolicy"], swiftSettings: swiftSettings),
        // Replaying recorded sessions against access maps: replay, policy diff, policy tests, explain.
        .target(
            name: "PolicyReplay",
            dependencies: [
                "RecordedSessions", "AccessPolicy", "AccessMap", "GDBMStore", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Deterministic generator of realistic mixed sendmail/Postfix logs (fixtures, memory measurements).
        .target(name: "LogGenerator", path: "scripts/loggen/LogGenerator", swiftSettings: swiftSettings),
        .executableTarget(
            name: "loggen",
            dependencies: ["LogGenerator", "RecordedSessions"],
            path: "scripts/loggen/loggen",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AccessPolicyServer",
            dependencies: [
                "AccessPolicy", "AccessMap", "GDBMStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "AccessPolicyCLI",
            dependencies: [
                "AccessPolicy", "AccessMap", "GDBMStore", "AccessPolicyServer", "PolicyReplay", "RecordedSessions",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/accesspolicy",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "GDBMStoreTests", dependencies: ["GDBMStore"], swiftSettings: swiftSettings),
        // Runs the accesspolicy binary (built through the dependency) against goldens recorded from sendmail.
        .testTarget(
            name: "ConformanceTests",
            dependencies: ["AccessPolicyCLI", "OracleTestSupport"],
            swiftSettings: swiftSettings
        ),
        // Helpers shared by the test targets that drive the real sendmail.
        .target(name: "OracleTestSupport", path: "Tests/OracleTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "RecordedSessionsTests",
            dependencies: ["RecordedSessions", "LogGenerator", "AccessPolicy"],
            swiftSettings: swiftSettings
        ),
        // Depends on the CLI target so `swift test` builds the `accesspolicy` binary the CLI tests run.
        .testTarget(
            name: "AccessMapTests",
            dependencies: ["AccessMap", "GDBMStore", "AccessPolicyCLI"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AccessPolicyTests",
            dependencies: [
                "AccessPolicy", "AccessMap", "GDBMStore", "AccessPolicyCLI", "OracleTestSupport", "LogGenerator",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AccessPolicyServerTests",
            dependencies: [
                "AccessPolicyServer", "GDBMStore", "AccessMap", "AccessPolicy",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "AccessPolicyServer", "GDBMStore", "AccessPolicy", "AccessMap",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Load test for the servers (loopback only, bounded, stops by itself): not part of the unit suite.
        .executableTarget(
            name: "accesspolicy-loadtest",
            dependencies: [
                "AccessPolicyServer", "GDBMStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/LoadTest",
            swiftSettings: swiftSettings
        ),
        // Depends on the CLI target so the replay/diff/test CLI tests can run the built binary.
        .testTarget(
            name: "PolicyReplayTests",
            dependencies: [
                "PolicyReplay", "RecordedSessions", "AccessPolicy", "AccessMap", "LogGenerator", "AccessPolicyCLI",
                "OracleTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

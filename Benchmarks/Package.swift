// swift-tools-version: 6.2
import PackageDescription

// The benchmarks live in their own package so that package-benchmark (and its 40–60 s build) stays out of the
// main package's `swift build` / `swift test`. Run them with `cd Benchmarks && swift package benchmark`.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "AccessPolicyBenchmarks",
    dependencies: [
        // `name:` is needed: a bare `path:` takes the package identity from the checkout folder's name.
        .package(name: "AccessPolicy", path: "../"),
        // Naming the traits drops the default "RuntimeInterposer", whose dependency has no mirror here.
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The C floor: the same key chains walked with raw gdbm_fetch (also built stand-alone by scripts/c-floor.sh).
        .target(name: "CFloor", linkerSettings: [.linkedLibrary("gdbm"), .linkedLibrary("pthread")]),
        // Deterministic (seeded) map and session generator shared by every benchmark and the C floor.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                "CFloor",
                .product(name: "AccessMap", package: "AccessPolicy"),
                .product(name: "AccessPolicy", package: "AccessPolicy"),
                .product(name: "GDBMStore", package: "AccessPolicy"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LookupBenchmarks",
            dependencies: [
                "BenchmarkSupport", "CFloor",
                .product(name: "AccessMap", package: "AccessPolicy"),
                .product(name: "AccessPolicy", package: "AccessPolicy"),
                .product(name: "GDBMStore", package: "AccessPolicy"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/LookupBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "MakemapBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "AccessMap", package: "AccessPolicy"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/MakemapBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
)

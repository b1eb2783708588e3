import AccessMap
import Benchmark
import BenchmarkSupport
import Foundation

// Building a map from the generated access text (100k and 1M lines), in the same run:
// - `accesspolicy makemap` (MapBuilder, the library behind the CLI);
// - sendmail's `makemap hash` on the same file (skipped with a message when makemap is not installed);
// - the C floor: Benchmarks/makemap/gdbm_store_floor.c (plain gdbm_store loop, file order and --sorted).
// One operation is one whole build; peak memory of the builder is the process's resident peak (MapBuilder runs
// in-process; the others run as child processes, whose peak is printed by scripts/makemap-peak.sh).

private let benchmarksDirectory: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

private func configuration(_ lines: Int) -> Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .peakMemoryResident, .mallocCountTotal],
        warmupIterations: 0,
        scalingFactor: .one,
        maxDuration: .seconds(lines >= 1_000_000 ? 20 : 5),
        maxIterations: lines >= 1_000_000 ? 3 : 10
    )
}

/// Runs a command with stdin from a file; throws when it fails.
private func run(_ executable: String, _ arguments: [String], stdin: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdin))
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw WorkloadError("\(executable) \(arguments) exited \(process.terminationStatus)")
    }
}

/// The makemap helper's C store floor, compiled once into the data directory.
private func storeFloor() throws -> String {
    let binary = WorkloadFiles.directory + "/gdbm_store_floor"
    if !FileManager.default.fileExists(atPath: binary) {
        try run(
            "/usr/bin/cc",
            ["-O2", "-o", binary, benchmarksDirectory + "/makemap/gdbm_store_floor.c", "-lgdbm"],
            stdin: "/dev/null"
        )
    }
    return binary
}

private let sendmailMakemap = ["/usr/sbin/makemap", "/usr/bin/makemap"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

let benchmarks: @Sendable () -> Void = {
    for lines in [100_000, 1_000_000] {
        let label = lines >= 1_000_000 ? "1M" : "100k"
        let output = WorkloadFiles.directory + "/build-\(label)"

        Benchmark("makemap \(label): accesspolicy makemap (MapBuilder)", configuration: configuration(lines)) {
            benchmark,
            work in
            let fd = open(work.textPath, O_RDONLY)
            defer { close(fd) }
            benchmark.startMeasurement()
            let summary = try MapBuilder().build(from: fd, into: output + ".swift.db") { _ in }
            benchmark.stopMeasurement()
            blackHole(summary)
        } setup: {
            try SharedWorkload.get(lines: lines)
        }

        for sorted in [false, true] {
            Benchmark(
                "makemap \(label): C floor gdbm_store\(sorted ? " sorted" : " file order")",
                configuration: configuration(lines)
            ) { benchmark, work in
                let floor = try storeFloor()
                benchmark.startMeasurement()
                try run(floor, (sorted ? ["--sorted"] : []) + [output + ".floor.db"], stdin: work.textPath)
                benchmark.stopMeasurement()
            } setup: {
                try SharedWorkload.get(lines: lines)
            }
        }

        Benchmark("makemap \(label): sendmail makemap hash", configuration: configuration(lines)) { benchmark, work in
            guard let makemap = sendmailMakemap else {
                print("sendmail's makemap is not installed: skipping the sendmail comparison")
                return
            }
            try? FileManager.default.removeItem(atPath: output + ".sendmail.db")
            benchmark.startMeasurement()
            try run(makemap, ["hash", output + ".sendmail"], stdin: work.textPath)
            benchmark.stopMeasurement()
        } setup: {
            try SharedWorkload.get(lines: lines)
        }
    }
}

import AccessMap
import AccessPolicy
import Foundation
import PolicyReplay
import RecordedSessions

/// The package root, found from this file's path.
func packageRoot(filePath: String = #filePath) -> String {
    var parts = filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/PolicyReplayTests/Support.swift
    return parts.joined(separator: "/")
}

func fixture(_ relative: String) -> String { packageRoot() + "/Fixtures/" + relative }

func fixtureText(_ relative: String) throws -> String {
    try String(contentsOfFile: fixture(relative), encoding: .utf8)
}

/// A policy over an in-memory map built from makemap text.
func policy(map text: String, config: String? = nil) throws -> ReplayPolicy {
    let file = try config.map { try ConfigFile.parse(yaml: $0) } ?? ConfigFile()
    let (source, index) = try ReplayPolicy.mapSourceAndIndex(text: text)
    var policy = ReplayPolicy(configuration: file, source: source)
    policy.addressKeys = index
    return policy
}

/// Replays bytes; returns every session's decisions (sorted by session) and the report.
func replay(
    _ bytes: [UInt8],
    policy: ReplayPolicy,
    explain: Bool = false
) throws -> (
    [ReplaySessionResult], ReplayReport
) {
    var results: [ReplaySessionResult] = []
    let report = try Replayer(policy: policy, explain: explain).replay(reader: LogLineReader(bytes: bytes)) {
        results.append($0)
    }
    return (results.sorted { $0.session.sequenceNumber < $1.session.sequenceNumber }, report)
}

func replayFixture(_ name: String, policy: ReplayPolicy) throws -> ([ReplaySessionResult], ReplayReport) {
    try replay(Array(try Data(contentsOf: URL(fileURLWithPath: fixture("logs/" + name)))), policy: policy)
}

/// A per-test temporary directory (not under /tmp when sendmail must read from it), removed by `remove()`.
struct TemporaryDirectory {
    let path: String
    init(under parent: String = NSTemporaryDirectory()) throws {
        path = parent + "/replay-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func run(
    _ executable: String,
    _ arguments: [String],
    stdin: [UInt8]? = nil,
    environment: [String: String]? = nil
)
    throws -> ProcessResult
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        try input.fileHandleForWriting.write(contentsOf: Data(stdin))
        try input.fileHandleForWriting.close()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self)
    )
}

enum Tools {
    /// The `accesspolicy` binary next to the test bundle, or `ACCESSPOLICY_BIN`.
    static let accesspolicy: String = {
        if let path = ProcessInfo.processInfo.environment["ACCESSPOLICY_BIN"] { return path }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("accesspolicy").path
    }()

    static func find(_ name: String) -> String? {
        for directory in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"] {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static let sendmail = find("sendmail")
    static let makemap = find("makemap")
    static let python3 = find("python3")
}

extension ReplaySessionResult {
    func decisions(_ ruleset: String) -> [ReplayDecision] { decisions.filter { $0.step.ruleset.rawValue == ruleset } }
}

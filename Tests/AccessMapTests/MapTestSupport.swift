import AccessMap
import Foundation
import GDBMStore
import Testing

/// A per-test directory, removed when the test's suite instance goes away. Created under /var/tmp with mode
/// 0755 because sendmail's makemap refuses maps in world-writable directories such as /tmp.
final class TestDirectory {
    let url: URL

    init() throws {
        let base = URL(fileURLWithPath: "/var/tmp", isDirectory: true)
        url = base.appendingPathComponent("accessmap-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: url,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Names of the files in the directory (to check that no temporary file is left behind).
    func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

enum Fixture {
    /// `Fixtures/` at the package root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relative)))
    }
}

/// Every record of a GDBM file, through the wrapper.
func records(of path: String) throws -> [[UInt8]: [UInt8]] {
    let database = try GDBMDatabase(path: path, mode: .readOnly, lock: false)
    var result: [[UInt8]: [UInt8]] = [:]
    // swift-format-ignore: ReplaceForEachWithForLoop
    try database.forEach { key, value in result[Array(key)] = Array(value) }
    return result
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Builds a map from text in memory; returns the summary and the diagnostics.
func build(
    _ text: [UInt8],
    into path: String,
    options: MapBuilderOptions = MapBuilderOptions()
) throws(MapBuildError) -> (summary: MapBuildSummary, diagnostics: [MapBuildDiagnostic]) {
    var diagnostics: [MapBuildDiagnostic] = []
    let summary = try MapBuilder(options: options).build(
        from: text,
        into: path,
        diagnostics: { diagnostics.append($0) }
    )
    return (summary, diagnostics)
}

/// Runs a program and collects its output. `stdin` is a file path or bytes.
struct ProcessResult {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

enum Input {
    case none
    case file(String)
    case bytes([UInt8])
}

func run(_ executable: String, _ arguments: [String], input: Input = .none) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    var inputPipe: Pipe?
    switch input {
    case .none: process.standardInput = FileHandle.nullDevice
    case .file(let path): process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    case .bytes:
        inputPipe = Pipe()
        process.standardInput = inputPipe
    }
    try process.run()
    if case .bytes(let data) = input, let inputPipe {
        try inputPipe.fileHandleForWriting.write(contentsOf: Data(data))
        try inputPipe.fileHandleForWriting.close()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: Array(outData),
        stderr: String(decoding: errData, as: UTF8.self)
    )
}

enum Tools {
    /// The `accesspolicy` binary built next to the test bundle (`.build/<triple>/debug/`), or `ACCESSPOLICY_BIN`.
    static let accesspolicy: String = {
        if let path = ProcessInfo.processInfo.environment["ACCESSPOLICY_BIN"] { return path }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("accesspolicy").path
    }()

    static func find(_ name: String) -> String? {
        for directory in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin", "/usr/local/sbin"] {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// sendmail's makemap (Debian package sendmail-bin), if installed.
    static let makemap = find("makemap")
    static let gdbmtool = find("gdbmtool")
    static let gdbmDump = find("gdbm_dump")
}

/// Decodes `gdbm_dump`'s standard (base64) format into key/value pairs.
func parseGDBMDump(_ text: String) -> [[UInt8]: [UInt8]] {
    var result: [[UInt8]: [UInt8]] = [:]
    var pending: [UInt8]?
    var current = ""
    var inDatum = false
    func finish() {
        guard inDatum else { return }
        let decoded = Array(Data(base64Encoded: current) ?? Data())
        if let key = pending {
            result[key] = decoded
            pending = nil
        } else {
            pending = decoded
        }
        current = ""
        inDatum = false
    }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("#") {
            finish()
            if line.hasPrefix("#:len=") { inDatum = true }
        } else if inDatum {
            current += line
        }
    }
    finish()
    return result
}

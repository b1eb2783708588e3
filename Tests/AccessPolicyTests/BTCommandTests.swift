import Foundation
import Testing

/// The `accesspolicy bt` binary: stdin script, one stdout line per ruleset, `LINE: reason` on stderr, exit 1.
@Suite("accesspolicy bt command")
final class BTCommandTests {
    static let binary = Support.packageRoot.appendingPathComponent(".build/debug/accesspolicy").path
    // Runs only when the CLI has been built (swift build); the library behaviour is covered elsewhere.
    static let built = FileManager.default.isExecutableFile(atPath: binary)

    let directory: URL
    init() throws { directory = try Support.makeDirectory("bt-cli") }
    deinit { try? FileManager.default.removeItem(at: directory) }

    func run(_ arguments: [String], input: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    @Test("a map file and a script", .enabled(if: built))
    func script() throws {
        let map = directory.appendingPathComponent("access.db").path
        try Support.buildMap(text: "TLS_Srv:mx.example\tVERIFY+CN\n", at: map)
        let result = try run(
            ["bt", "--map", map],
            input: ".D{server_name}mx.example\n.D{cn_subject}evil.example\ntls_server OK\nStart,try_tls x\n"
        )
        #expect(result.status == 0)
        #expect(result.stdout == "$#error $@ 4.7.0 $: 454 CN evil.example does not match mx.example\nOK\n")
        #expect(result.stderr.isEmpty)
    }

    @Test("a missing map is an empty optional map; --required-map makes it a temporary failure", .enabled(if: built))
    func missingMap() throws {
        let missing = directory.appendingPathComponent("none.db").path
        let optional = try run(["bt", "--map", missing], input: "Start,try_tls x\n")
        #expect(optional.stdout == "OK\n")
        #expect(optional.status == 0)
        let required = try run(["bt", "--map", missing, "--required-map"], input: "Start,try_tls x\n")
        #expect(required.stdout == "$#error $@ 4.3.0 $: 451 Temporary system failure. Please try again later.\n")
    }

    @Test("script errors go to stderr as LINE: reason and the exit status is 1", .enabled(if: built))
    func errors() throws {
        let result = try run(["bt", "--map", directory.appendingPathComponent("x.db").path], input: ".Q\nRelayTLS x\n")
        #expect(result.stdout == "NO\n")
        #expect(result.stderr == "1: unsupported command '.Q'\n")
        #expect(result.status == 1)
    }

    @Test("an undefined ruleset prints its input (contract notation) and a note; exit status 0", .enabled(if: built))
    func undefinedRuleset() throws {
        let result = try run(
            ["bt", "--map", directory.appendingPathComponent("x.db").path],
            input: "bogus x\nRelayTLS x\n"
        )
        #expect(result.stdout == "x\nNO\n")
        #expect(result.stderr == "1: undefined ruleset 'bogus' (printed the input, as sendmail -bt shows it)\n")
        #expect(result.status == 0)
    }
}

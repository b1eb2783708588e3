import AccessMap
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Behaviour of the built `accesspolicy` binary (found next to the test bundle, see ``Tools/accesspolicy``).
@Suite("accesspolicy makemap / query (CLI)")
final class MakemapCLITests {
    let directory: TestDirectory
    let tool = Tools.accesspolicy

    init() throws { directory = try TestDirectory() }

    @Test("build from the articles fixture, query a key, round-trip with -u")
    func acceptance() throws {
        let map = directory.path("access")
        let built = try run(tool, ["makemap", "gdbm", map], input: .file(Fixture.path("maps/articles.access")))
        #expect(built.status == 0, "\(built.stderr)")
        let query = try run(tool, ["query", "--map", map + ".db", "tls_clt:desktop.example.net"])
        #expect(query.status == 0)
        #expect(query.stdoutText == "VERIFY:80\n")
        // The query folds the key as sendmail does.
        #expect(
            try run(tool, ["query", "--map", map + ".db", "TLS_Clt:Desktop.Example.NET"]).stdoutText == "VERIFY:80\n"
        )

        let dump = try run(tool, ["makemap", "-u", "gdbm", map])
        #expect(dump.status == 0)
        let rebuilt = directory.path("again")
        #expect(try run(tool, ["makemap", "hash", rebuilt], input: .bytes(dump.stdout)).status == 0)
        #expect(try records(of: rebuilt + ".db") == records(of: map + ".db"))
        #expect(try records(of: map + ".db").count == 5)
    }

    @Test("query: several keys print KEY<TAB>VALUE; a missing key exits 1; a missing map exits 73")
    func queryOutput() throws {
        let map = directory.path("q")
        _ = try run(tool, ["makemap", "gdbm", map], input: .bytes(bytes("a 1\nb 2\n")))
        let both = try run(tool, ["query", "--map", map + ".db", "a", "B", "c"])
        #expect(both.stdoutText == "a\t1\nB\t2\n")
        #expect(both.stderr == "c: not found\n")
        #expect(both.status == 1)
        #expect(try run(tool, ["query", "--map", directory.path("none.db"), "a"]).status == 73)
    }

    @Test("rejected lines are reported as FILE:LINE: reason, good lines stored, exit 65")
    func diagnostics() throws {
        let map = directory.path("errors")
        let fixture = Fixture.path("maps/malformed/errors.txt")
        let result = try run(tool, ["makemap", "gdbm", map, "--input", fixture])
        #expect(result.status == 65)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(
            lines.filter { $0.hasPrefix("\(fixture):") }.map { $0.split(separator: ":")[1] } == ["3", "4", "7", "6"]
        )
        #expect(lines.contains("\(fixture):4: key 'connect:novalue.example' has no value (-e allows empty values)"))
        #expect(try records(of: map + ".db").count == 3)
        // Standard input redirected from a file is named by its path.
        let redirected = try run(tool, ["makemap", "gdbm", map], input: .file(fixture))
        #expect(redirected.stderr.contains("\(fixture):3: "))
        // A pipe has no name.
        let piped = try run(tool, ["makemap", "gdbm", map], input: .bytes(bytes(" bad\n")))
        #expect(piped.stderr.hasPrefix("<stdin>:1: line starts with white space"))
    }

    @Test(
        "exit statuses: 64 usage, 73 unknown type or missing map, 66 unreadable --input",
        arguments: [
            (["makemap", "-Z", "gdbm", "x"], Int32(64)),
            (["makemap", "gdbm"], Int32(64)),
            (["makemap", "btree", "MAP"], Int32(73)),
            (["makemap", "dbm", "MAP"], Int32(73)),
            (["makemap", "-u", "gdbm", "MAP"], Int32(73)),
            (["makemap", "-o", "gdbm", "MAP"], Int32(73)),
            (["makemap", "--input", "/nonexistent/file", "gdbm", "MAP"], Int32(66)),
            (["makemap", "-l"], Int32(0)),
        ]
    )
    func exitStatus(arguments: [String], status: Int32) throws {
        let resolved = arguments.map { $0 == "MAP" ? directory.path("map") : $0 }
        let result = try run(tool, resolved, input: .bytes(bytes("k v\n")))
        #expect(result.status == status, "\(result.stderr)")
        #expect(try directory.files().isEmpty)
    }

    @Test("-l lists gdbm and its aliases; --help says the file is GDBM, not Berkeley DB")
    func listAndHelp() throws {
        #expect(try run(tool, ["makemap", "-l"]).stdoutText == "gdbm\nhash\nimplicit\n")
        let help = try run(tool, ["makemap", "--help"])
        #expect(help.stdoutText.contains("GDBM database"))
        #expect(help.stdoutText.contains("NOT Berkeley DB"))
    }

    @Test("-v prints each stored record; -t and -D; -N; -e; -f; -r; -d; -o; -c from the command line")
    func options() throws {
        let map = directory.path("opts")
        let verbose = try run(tool, ["makemap", "-v", "gdbm", map], input: .bytes(bytes("K v a\n")))
        #expect(verbose.stdoutText == "key=`k', val=`v a'\n")
        _ = try run(tool, ["makemap", "-t:", "-D%", "gdbm", map], input: .bytes(bytes("%c\n#A B::v\n")))
        #expect(try records(of: map + ".db") == [bytes("#a b"): bytes("v")])
        _ = try run(tool, ["makemap", "-N", "-e", "-f", "gdbm", map], input: .bytes(bytes("Key\n")))
        #expect(try records(of: map + ".db") == [bytes("Key") + [0]: [0]])
        #expect(try run(tool, ["makemap", "-r", "gdbm", map], input: .bytes(bytes("a 1\na 2\n"))).status == 0)
        #expect(try records(of: map + ".db") == [bytes("a"): bytes("2")])
        #expect(
            try run(tool, ["makemap", "-d", "-c", "20", "gdbm", map], input: .bytes(bytes("a 1\na 2\n"))).status == 0
        )
        #expect(try records(of: map + ".db") == [bytes("a"): bytes("1")])
        #expect(try run(tool, ["makemap", "-o", "gdbm", map], input: .bytes(bytes("b 3\n"))).status == 0)
        #expect(try records(of: map + ".db") == [bytes("a"): bytes("1"), bytes("b"): bytes("3")])
        let dump = try run(tool, ["makemap", "-u", "-t", "=", "gdbm", map])
        #expect(Set(dump.stdoutText.split(separator: "\n")) == ["a=1", "b=3"])
    }

    @Test("a symlinked map is refused (73) unless -s")
    func symlink() throws {
        let real = directory.path("real")
        _ = try run(tool, ["makemap", "gdbm", real], input: .bytes(bytes("k v\n")))
        try FileManager.default.createSymbolicLink(atPath: directory.path("link.db"), withDestinationPath: real + ".db")
        #expect(try run(tool, ["makemap", "gdbm", directory.path("link")], input: .bytes(bytes("k w\n"))).status == 73)
        #expect(
            try run(tool, ["makemap", "-s", "gdbm", directory.path("link")], input: .bytes(bytes("k w\n"))).status == 0
        )
        #expect(try records(of: real + ".db") == [bytes("k"): bytes("w")])
    }

    @Test("SIGKILL in the middle of a large build leaves the previous map intact and readable")
    func killedBuild() throws {
        let map = directory.path("big")
        _ = try run(tool, ["makemap", "gdbm", map], input: .bytes(bytes("connect:old.example OK\n")))
        let previous = try Data(contentsOf: URL(fileURLWithPath: map + ".db"))
        // 600,000 lines: long enough to be killed while storing.
        let input = directory.path("big.txt")
        var text = Data()
        text.reserveCapacity(600_000 * 40)
        for i in 0..<600_000 { text.append(contentsOf: Array("Connect:host\(i).example.net\tREJECT\n".utf8)) }
        try text.write(to: URL(fileURLWithPath: input))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["makemap", "gdbm", map]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the temporary file exists (the build is under way), then a little more, then kill -9.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try !directory.files().contains(where: { $0.hasPrefix(".big.db.build-") }) {
            usleep(1_000)
        }
        usleep(50_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(try Data(contentsOf: URL(fileURLWithPath: map + ".db")) == previous)
        let query = try run(tool, ["query", "--map", map + ".db", "connect:old.example"])
        #expect(query.stdoutText == "OK\n")
        // The killed build's temporary file is the only leftover; the next build works and replaces the map.
        #expect(try run(tool, ["makemap", "gdbm", map], input: .file(input)).status == 0)
        #expect(
            try run(tool, ["query", "--map", map + ".db", "connect:host599999.example.net"]).stdoutText == "REJECT\n"
        )
    }

    @Test("SIGTERM during a build is handled: previous map kept, temporary file removed, exit 75")
    func terminatedBuild() throws {
        let map = directory.path("term")
        _ = try run(tool, ["makemap", "gdbm", map], input: .bytes(bytes("k old\n")))
        let previous = try Data(contentsOf: URL(fileURLWithPath: map + ".db"))
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["makemap", "gdbm", map]
        process.standardInput = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Feed more than 4,096 lines (the cancellation check interval), then signal while it waits for more.
        let chunk = Array((0..<10_000).map { "k\($0) v\n" }.joined().utf8)
        _ = chunk.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        usleep(300_000)
        kill(process.processIdentifier, SIGTERM)
        usleep(100_000)
        _ = chunk.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        process.waitUntilExit()
        #expect(process.terminationStatus == 75)
        #expect(try Data(contentsOf: URL(fileURLWithPath: map + ".db")) == previous)
        #expect(try directory.files() == ["term.db"])
    }
}

/// Differential tests against sendmail's own makemap (Debian sendmail-bin) and GDBM's own tools.
@Suite("interoperability with sendmail makemap and GDBM tools")
final class MakemapInteropTests {
    let directory: TestDirectory
    let tool = Tools.accesspolicy

    init() throws { directory = try TestDirectory() }

    static let fixtures = [
        "maps/articles.access", "maps/debian-access", "maps/grammar.access", "maps/malformed/errors.txt",
        "maps/malformed/invalid-utf8.txt", "maps/malformed/no-final-newline.txt",
    ]

    /// Key/value pairs of `makemap -u` output (one pair per line, split at the first TAB).
    static func pairs(_ output: [UInt8]) -> Set<[UInt8]> {
        Set(output.split(separator: 0x0A, omittingEmptySubsequences: false).filter { !$0.isEmpty }.map(Array.init))
    }

    // Enabled only where sendmail's makemap is installed (Debian package sendmail-bin).
    @Test(
        "makemap -u lists the same pairs and the same exit status as sendmail's makemap -u hash",
        .enabled(if: Tools.makemap != nil, "sendmail's makemap is not installed"),
        arguments: fixtures
    )
    func sameAsSendmail(fixture: String) throws {
        let makemap = try #require(Tools.makemap)
        for options in [[String](), ["-N"], ["-f"], ["-r"], ["-e"], ["-t", ":"]] {
            let theirs = directory.path("sendmail")
            let ours = directory.path("ours")
            let theirBuild = try run(makemap, options + ["hash", theirs], input: .file(Fixture.path(fixture)))
            let ourBuild = try run(tool, ["makemap"] + options + ["gdbm", ours], input: .file(Fixture.path(fixture)))
            #expect(
                theirBuild.status == ourBuild.status,
                "\(fixture) \(options): \(theirBuild.stderr) / \(ourBuild.stderr)"
            )
            let theirDump = try run(makemap, ["-u"] + options + ["hash", theirs])
            let ourDump = try run(tool, ["makemap", "-u"] + options + ["gdbm", ours])
            #expect(theirDump.status == 0 && ourDump.status == 0)
            #expect(Self.pairs(theirDump.stdout) == Self.pairs(ourDump.stdout), "\(fixture) \(options)")
            #expect(!Self.pairs(ourDump.stdout).isEmpty)
        }
    }

    @Test(
        "gdbm_dump reads the same keys and values the builder stored",
        .enabled(if: Tools.gdbmDump != nil, "gdbm_dump (Debian package gdbmtool) is not installed"),
        arguments: ["maps/debian-access", "maps/articles.access", "maps/malformed/invalid-utf8.txt"]
    )
    func gdbmDump(fixture: String) throws {
        let map = directory.path("interop")
        #expect(try run(tool, ["makemap", "gdbm", map], input: .file(Fixture.path(fixture))).status == 0)
        let dump = try run(try #require(Tools.gdbmDump), [map + ".db", "-"])
        #expect(dump.status == 0)
        let expected = try MapTextOracle.expected(fixture)
        #expect(parseGDBMDump(dump.stdoutText) == expected)
    }

    @Test(
        "gdbmtool fetches a value from a built map",
        .enabled(if: Tools.gdbmtool != nil, "gdbmtool (Debian package gdbmtool) is not installed")
    )
    func gdbmtool() throws {
        let map = directory.path("tool")
        _ = try run(tool, ["makemap", "gdbm", map], input: .file(Fixture.path("maps/articles.access")))
        let fetched = try run(
            try #require(Tools.gdbmtool),
            ["-r", map + ".db", "fetch", "tls_clt:desktop.example.net"]
        )
        #expect(fetched.status == 0)
        #expect(fetched.stdoutText == "VERIFY:80\n")
        let count = try run(try #require(Tools.gdbmtool), ["-r", map + ".db", "count"])
        #expect(count.stdoutText.contains("5"))
    }
}

/// What a fixture should store, computed with the parser (the unit-tested grammar) rather than by the builder.
enum MapTextOracle {
    static func expected(_ fixture: String) throws -> [[UInt8]: [UInt8]] {
        var result: [[UInt8]: [UInt8]] = [:]
        for entry in AccessMapParser().entries(in: try Fixture.bytes(fixture)).entries where result[entry.key] == nil {
            result[entry.key] = entry.value
        }
        return result
    }
}

import AccessMap
import AccessPolicy
import ArgumentParser
import PolicyReplay

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension AccessPolicyTool {
    struct BT: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bt",
            abstract: "Run rulesets like `sendmail -bt`: read a script on stdin, print one line per ruleset call.",
            discussion: """
                Script lines: `.D{name}value` sets a macro, `.C{name}word…` adds to a class, `#` comments, and
                `RULESET INPUT` (e.g. `tls_client OK $| MAIL`; a leading `Start,` is ignored). Script errors go to
                stderr as `LINE: reason` and make the exit status 1. A --map that cannot be opened behaves like
                sendmail's optional (-o) map: every look-up finds nothing (use --required-map for temporary
                failures instead). --config loads a policy configuration file (docs/configuration.md): classes,
                FEATUREs and access_db options; its access_map.path is used when --map is not given (--map wins),
                and its access_map.optional: false acts like --required-map. Without --config the configuration
                is the baseline cf (class w = localhost, no other classes, no FEATUREs).
                """
        )

        @Option(name: .long, help: "The GDBM access map (.db); overrides the configuration file's access_map.path.")
        var map: String?

        @Option(name: .long, help: "A policy configuration file (YAML, see docs/configuration.md).")
        var config: String?

        @Flag(name: .long, help: "A map that cannot be opened gives temporary failures instead of an empty map.")
        var requiredMap = false

        @Option(
            name: .long,
            help: "Make look-ups fail temporarily for keys containing this text and for entries valued TMPF."
        )
        var tempfailMarker: String?

        @Flag(name: .long, help: "define(TLS_PERM_ERR): 554 5.7.0 instead of 454 4.7.0.")
        var tlsPermErr = false

        @Flag(name: .long, help: "access_db option skip.")
        var skip = false

        @Flag(name: .long, help: "access_db option lookupdotdomain.")
        var lookupdotdomain = false

        @Flag(name: .long, help: "After each result, list every key looked up, the match and the rule.")
        var explain = false

        func run() throws {
            let file = try config.map { path in try ConfigFile.load(path: path) } ?? ConfigFile()
            guard let map = map ?? file.accessMapPath else {
                throw ValidationError("no access map: give --map or name access_map.path in the --config file")
            }
            var configuration = file.policy
            if tlsPermErr { configuration.features.tlsPermanentErrors = true }
            if skip { configuration.features.accessLookup.insert(.skip) }
            if lookupdotdomain { configuration.features.accessLookup.insert(.lookupDotDomain) }
            var source = GDBMAccessMapSource.open(
                path: map,
                optional: !requiredMap && file.accessMapOptional
            )
            if let tempfailMarker { source = TemporaryFailureInjectingSource(base: source, marker: tempfailMarker) }
            var interpreter = TestModeInterpreter(configuration: configuration, source: source)
            var failed = false
            var number = 0
            var input = RawLineReader()
            while let line = input.next() {
                number += 1
                let before = (interpreter.configuration, interpreter.macros)
                switch interpreter.execute(line, number: number) {
                case .none: break
                case .result(let text):
                    print(text)
                    if explain,
                        let explanation = TestModeExplainer.explain(
                            line,
                            configuration: before.0,
                            source: source,
                            macros: before.1
                        )
                    {
                        for explained in explanation.lines(indent: "    ") { print(explained) }
                    }
                case .undefinedRuleset(let text, let note):
                    print(text)
                    var message = Array("\(note)\n".utf8)
                    _ = message.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
                case .error(let error):
                    failed = true
                    var message = Array("\(error)\n".utf8)
                    _ = message.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}

/// Reads standard input line by line as bytes (`readLine` would replace bytes that are not UTF-8); each line is
/// handed on through ``Token/losslessText(_:)`` so that every byte reaches the engine unchanged.
struct RawLineReader {
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    mutating func next() -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = buffer[start..<newline]
                start = newline + 1
                return Token.losslessText(line)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                return Token.losslessText(line)
            }
            buffer.removeFirst(start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n <= 0 {
                atEnd = true
            } else {
                buffer.append(contentsOf: chunk[0..<n])
            }
        }
    }
}

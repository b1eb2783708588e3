import AccessMap
import ArgumentParser
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension AccessPolicyTool {
    struct Makemap: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "makemap",
            abstract: "Build a GDBM access map from makemap text on standard input, like sendmail's makemap.",
            usage: "accesspolicy makemap [-N] [-c cachesize] [-d] [-D commentchar] [-e] [-f] [-l] [-o] [-r] [-s] "
                + "[-t delimiter] [-u] [-v] [--input FILE] gdbm MAPNAME < textfile",
            discussion: """
                Writes MAPNAME.db (MAPNAME as given when it already ends in .db). The file is a GDBM database \
                (libgdbm), NOT Berkeley DB: sendmail's own hash maps cannot be read by this tool and sendmail \
                cannot read these. The map type is 'gdbm'; 'hash' and 'implicit' are accepted as aliases so \
                existing makemap command lines work.

                Each input line is KEY, white space, VALUE; lines starting with '#' and empty lines are skipped; \
                keys are folded to lower case. Rejected lines are reported as FILE:LINE: reason and the exit \
                status is then 65; the good lines are stored. The map is built in a temporary file in the same \
                directory and renamed over MAPNAME.db only when complete, so a failed build leaves the old map.

                -d: a GDBM file holds one value per key, so -d keeps the first value and drops later ones \
                without an error. Lines are at most 1022 bytes (the key at most 1020).

                Exit status: 0 ok, 64 usage, 65 rejected lines, 73 database cannot be created or opened, \
                74 I/O error, 75 interrupted.
                """
        )

        @Flag(name: .customShort("N"), help: "Store keys and values with a trailing NUL byte.")
        var nulTerminate = false

        @Option(name: .customShort("c", allowingJoined: true), help: "GDBM bucket cache size (buckets).")
        var cacheSize: Int?

        @Flag(name: .customShort("d"), help: "Allow duplicate keys: keep the first value, no error.")
        var allowDuplicates = false

        @Option(
            name: .customShort("D", allowingJoined: true),
            help: "Comment character (first character of the argument; empty: no comments)."
        )
        var commentCharacter: String?

        @Flag(name: .customShort("e"), help: "Allow empty values.")
        var allowEmptyValues = false

        @Flag(name: .customShort("f"), help: "Do not fold keys to lower case.")
        var keepCase = false

        @Flag(name: .customShort("l"), help: "List the supported map types and exit.")
        var listTypes = false

        @Flag(name: .customShort("o"), help: "Append to the existing map instead of replacing it.")
        var append = false

        @Flag(name: .customShort("r"), help: "Allow duplicate keys: a later value replaces the earlier one.")
        var replace = false

        @Flag(name: .customShort("s"), help: "Skip safety checks: allow MAPNAME.db to be a symbolic link.")
        var skipSafetyChecks = false

        @Option(
            name: .customShort("t", allowingJoined: true),
            help: "Key/value separator (first character of the argument) instead of white space."
        )
        var separator: String?

        @Flag(name: .customShort("u"), help: "Dump the map as text (key<TAB>value) instead of building it.")
        var dump = false

        @Flag(name: .customShort("v"), help: "Print every stored record on standard output.")
        var verbose = false

        @Option(name: .long, help: "Read the text from FILE instead of standard input.")
        var input: String?

        @Argument(help: "Map type: gdbm (aliases: hash, implicit).")
        var mapType: String?

        @Argument(help: "Map name; the database is MAPNAME.db.")
        var mapName: String?

        func validate() throws {
            if listTypes { return }
            guard mapType != nil, mapName != nil else {
                throw ValidationError("expected a map type and a map name, e.g. 'gdbm /etc/mail/access'")
            }
            if let separator, let first = separator.utf8.first, first >= 0x80 {
                throw ValidationError("the -t separator must be an ASCII character")
            }
            if let commentCharacter, let first = commentCharacter.utf8.first, first >= 0x80 {
                throw ValidationError("the -D comment character must be an ASCII character")
            }
            if let cacheSize, cacheSize <= 0 { throw ValidationError("the -c cache size must be positive") }
        }

        func run() throws {
            if listTypes {
                for type in MapType.allCases where type != .btree { print(type.rawValue) }
                return
            }
            guard let mapType, let mapName else { throw ExitCode(SysExit.usage.rawValue) }
            guard let type = MapType(rawValue: mapType), type != .btree else {
                let reason =
                    mapType == "btree"
                    ? "btree maps are not supported: GDBM files are hash files (use gdbm)"
                    : "unknown map type (supported: gdbm, and hash or implicit as aliases)"
                printError("makemap: \(mapType): \(reason)")
                throw ExitCode(SysExit.cannotCreate.rawValue)
            }
            _ = type
            let path = MapBuilder.databasePath(forMapName: mapName)
            var separatorByte = separator?.utf8.first
            if separator == "" {
                printError("makemap: empty -t separator ignored")
                separatorByte = nil
            }
            if dump {
                do {
                    try MapDumper.dump(databaseAt: path, separator: separatorByte ?? 0x09) { chunk in
                        writeAll(1, chunk)
                    }
                } catch {
                    printError("makemap: \(error)")
                    throw ExitCode(error.exitStatus)
                }
                return
            }

            let syntax = AccessMapSyntax(
                separator: separatorByte,
                commentCharacter: commentCharacter == nil ? UInt8(ascii: "#") : commentCharacter?.utf8.first,
                foldKeys: !keepCase,
                allowEmptyValues: allowEmptyValues
            )
            let options = MapBuilderOptions(
                syntax: syntax,
                nulTerminate: nulTerminate,
                duplicates: replace ? .replace : allowDuplicates ? .keepFirst : .reject,
                append: append,
                allowSymbolicLink: skipSafetyChecks,
                cacheSize: cacheSize
            )

            var fd: Int32 = 0
            var sourceName = "<stdin>"
            if let input {
                fd = open(input, O_RDONLY | O_CLOEXEC)
                if fd < 0 {
                    printError("makemap: \(input): \(String(cString: strerror(errno)))")
                    throw ExitCode(SysExit.noInput.rawValue)
                }
                sourceName = input
            } else if let name = Self.pathOfStandardInput() {
                sourceName = name
            }
            defer { if input != nil { close(fd) } }

            let cancellation = MapBuildCancellation()
            let signalSources = [SIGINT, SIGTERM, SIGHUP].map { number -> any DispatchSourceSignal in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { cancellation.cancel() }
                source.resume()
                return source
            }
            defer { for source in signalSources { source.cancel() } }

            let showProgress = isatty(2) == 1
            let summary: MapBuildSummary
            do {
                summary = try MapBuilder(options: options).build(
                    from: fd,
                    into: path,
                    diagnostics: { diagnostic in
                        if showProgress { writeAll(2, "\r\u{1B}[K") }
                        printError("\(sourceName):\(diagnostic.line): \(diagnostic.message)")
                    },
                    stored: verbose ? { key, value in Self.printVerbose(key, value) } : nil,
                    progress: showProgress ? { Self.printProgress($0) } : nil,
                    cancellation: cancellation
                )
            } catch {
                if showProgress { writeAll(2, "\r\u{1B}[K") }
                printError("makemap: \(error)")
                throw ExitCode(error.exitStatus)
            }
            if showProgress { writeAll(2, "\r\u{1B}[K") }
            if summary.exitStatus != 0 {
                printError(
                    "makemap: \(summary.path): \(summary.stored) records stored, \(summary.rejected) lines rejected"
                )
                throw ExitCode(summary.exitStatus)
            }
        }

        enum MapType: String, CaseIterable {
            case gdbm, hash, implicit, btree
        }

        static func pathOfStandardInput() -> String? {
            var info = stat()
            guard fstat(0, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            var buffer = [CChar](repeating: 0, count: 4096)
            let n = readlink("/proc/self/fd/0", &buffer, buffer.count - 1)
            guard n > 0 else { return nil }
            return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        static func printVerbose(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
            var line = Array("key=`".utf8)
            line += key
            line += Array("', val=`".utf8)
            line += value
            line += Array("'\n".utf8)
            line.withUnsafeBytes { writeAll(1, $0) }
        }

        static func printProgress(_ progress: MapBuildProgress) {
            switch progress {
            case .reading(let lines): writeAll(2, "\rmakemap: read \(lines) lines\u{1B}[K")
            case .storing(let done, let total): writeAll(2, "\rmakemap: stored \(done) of \(total) records\u{1B}[K")
            case .syncing: writeAll(2, "\rmakemap: syncing to disk\u{1B}[K")
            }
        }
    }
}

/// Writes all bytes to a file descriptor (stdout is not buffered through print for binary-safe values).
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += n
    }
}

func writeAll(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
}

func printError(_ text: String) {
    writeAll(2, text + "\n")
}

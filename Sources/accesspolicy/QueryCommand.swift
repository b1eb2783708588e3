import AccessMap
import ArgumentParser

extension AccessPolicyTool {
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "query",
            abstract: "Look keys up exactly in a GDBM access map.",
            discussion: """
                Keys are folded to ASCII lower case as sendmail's access map does (--no-fold looks them up as \
                given) and are tried with and without a trailing NUL (maps built with -N). No search order, no \
                parent domains: one key, one answer. With one key the value is printed; with several, \
                KEY<TAB>VALUE per key. Exit status 1 when a key is not found, 73 when the map cannot be opened.
                """
        )

        @Option(name: .long, help: "The map file, e.g. /etc/mail/access.db.")
        var map: String

        @Flag(name: .customLong("no-fold"), help: "Do not fold the keys to lower case.")
        var noFold = false

        @Argument(help: "Keys to look up, e.g. 'TLS_Clt:desktop.example.net'.")
        var keys: [String]

        func validate() throws {
            if keys.isEmpty { throw ValidationError("give at least one key") }
        }

        func run() throws {
            var missing = false
            do {
                let query = try MapQuery(databaseAt: map, foldKeys: !noFold)
                for key in keys {
                    guard let value = try query.value(forKey: key) else {
                        printError("\(key): not found")
                        missing = true
                        continue
                    }
                    var line = keys.count == 1 ? [] : Array(key.utf8) + [0x09]
                    line += value
                    line.append(0x0A)
                    line.withUnsafeBytes { writeAll(1, $0) }
                }
            } catch {
                printError("query: \(error)")
                throw ExitCode(error.exitStatus)
            }
            if missing { throw ExitCode(1) }
        }
    }
}

import AccessPolicy
import ArgumentParser
import Foundation

extension AccessPolicyTool {
    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Policy configuration files.",
            subcommands: [Import.self, Check.self]
        )
    }
}

extension AccessPolicyTool.Config {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Translate a sendmail .mc (or .cf) into a policy configuration file.",
            discussion: """
                Prints the configuration as YAML on standard output (or writes it with --output) and lists on \
                standard error every line that was not translated. Class files named by the configuration \
                (local-host-names, relay-domains) are read as sendmail would read them.
                """
        )

        @Argument(help: "The sendmail.mc or sendmail.cf file.")
        var source: String

        @Option(
            name: .shortAndLong,
            help: "Write the configuration to this file instead of standard output."
        )
        var output: String?

        @Flag(help: "Also list lines that were translated or ignored.")
        var verbose = false

        func run() throws {
            let text: String
            do {
                text = try String(contentsOfFile: source, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read \(source): \(error.localizedDescription)")
            }
            let readFile: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }
            let result =
                source.hasSuffix(".cf")
                ? SendmailImport.importCF(text, readFile: readFile)
                : SendmailImport.importMC(text, readFile: readFile)
            let yaml = result.configuration.renderYAML()
            if let output {
                try yaml.write(toFile: output, atomically: true, encoding: .utf8)
            } else {
                print(yaml, terminator: "")
            }
            var standardError = StandardError()
            for note in result.notes where verbose || note.kind == .notTranslated {
                print(note.description, to: &standardError)
            }
            if let map = result.accessMapSource {
                print("access map source: \(map) (build it with: accesspolicy makemap)", to: &standardError)
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a policy configuration file."
        )

        @Argument(help: "The configuration file.")
        var file: String

        func run() throws {
            let configuration = try ConfigFile.load(path: file)
            print(configuration.renderYAML(), terminator: "")
        }
    }
}

/// Standard error as a text stream for `print(_:to:)`.
private struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}

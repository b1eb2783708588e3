import ArgumentParser
import PolicyReplay
import RecordedSessions

extension AccessPolicyTool {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Show which recorded sessions' decisions change between two access maps.",
            discussion: """
                Replays every session of the logs against both maps and groups the calls whose result changes \
                by ruleset, old and new result, with the number of sessions and a few examples. Exit status 0 \
                when nothing changes, 1 when something does. `-` reads standard input.
                """
        )

        @Option(name: .long, help: "The access map before the change (.db).")
        var old: String

        @Option(name: .long, help: "The access map after the change (.db).")
        var new: String

        @Option(name: .long, help: "Policy configuration file used for both maps.")
        var config: String?

        @Option(name: .long, help: "Configuration for the new map, when it differs (default: --config).")
        var newConfig: String?

        @Argument(help: "Log files (`-` for standard input).")
        var logs: [String]

        func validate() throws {
            if logs.isEmpty { throw ValidationError("give at least one log file (or - for standard input)") }
        }

        func run() throws {
            let diff: PolicyDiff
            do {
                diff = PolicyDiff(
                    old: try ReplayPolicy.load(mapPath: old, configPath: config),
                    new: try ReplayPolicy.load(mapPath: new, configPath: newConfig ?? config)
                )
            } catch {
                throw CLIError(error.description)
            }
            var report = PolicyDiffReport()
            let progress = ReplayCLI.progressWanted
            try ReplayCLI.withLogs(logs) { name, reader in
                try diff.run(
                    reader: reader,
                    name: name,
                    into: &report,
                    progressEvery: 50_000,
                    progress: progress
                        ? { statistics, soFar in ReplayCLI.progress(name, statistics, sessions: soFar.sessions) }
                        : nil
                )
                if progress { ReplayCLI.endProgress() }
            }
            print(report.text)
            if report.callsChanged > 0 { throw ExitCode(1) }
        }
    }
}

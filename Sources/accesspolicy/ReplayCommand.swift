import ArgumentParser
import PolicyReplay
import RecordedSessions

/// `--format` values.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}

extension AccessPolicyTool {
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Replay recorded sendmail/Postfix sessions against an access map.",
            discussion: """
                Rebuilds every session in the logs, runs every applicable ruleset (check_relay, tls_client, \
                check_mail, check_rcpt, RelayTLS, try_tls, tls_server, tls_rcpt) and prints each decision, whether it \
                agrees with what the log shows the MTA did, and a summary. Decisions that depend on a fact the \
                log lacks are marked undetermined and shown with unknown macros taken as empty. `-` reads \
                standard input. JSON Lines schema: docs/replay.md.
                """
        )

        @Option(name: .long, help: "The GDBM access map (.db, built by accesspolicy makemap).")
        var map: String?

        @Option(name: .long, help: "Policy configuration file (docs/configuration.md); default: the baseline.")
        var config: String?

        @Option(name: .long, help: "Output format: table or json (JSON Lines).")
        var format: OutputFormat = .table

        @Flag(name: .long, help: "Show every key looked up, the match and the rule for each decision.")
        var explain = false

        @Flag(name: .long, help: "Print only the summary.")
        var summaryOnly = false

        @Argument(help: "Log files (`-` for standard input).")
        var logs: [String]

        func validate() throws {
            if logs.isEmpty { throw ValidationError("give at least one log file (or - for standard input)") }
        }

        func run() throws {
            let policy: ReplayPolicy
            do {
                policy = try ReplayPolicy.load(mapPath: map, configPath: config)
            } catch {
                throw CLIError(error.description)
            }
            let replayer = Replayer(policy: policy, explain: explain)
            var report = ReplayReport()
            let progress = ReplayCLI.progressWanted
            try ReplayCLI.withLogs(logs) { name, reader in
                try replayer.replay(
                    reader: reader,
                    name: name,
                    into: &report,
                    progressEvery: 50_000,
                    progress: progress
                        ? { statistics, soFar in ReplayCLI.progress(name, statistics, sessions: soFar.sessions) }
                        : nil
                ) { session in
                    guard !summaryOnly else { return }
                    switch format {
                    case .table: print(ReplayRendering.table(session))
                    case .json: if !session.decisions.isEmpty { print(ReplayRendering.jsonLines(session)) }
                    }
                }
                if progress { ReplayCLI.endProgress() }
            }
            switch format {
            case .table: print(ReplayRendering.summary(report))
            case .json: print(ReplayRendering.jsonSummary(report))
            }
        }
    }
}

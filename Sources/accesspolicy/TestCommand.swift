import ArgumentParser
import PolicyReplay

extension AccessPolicyTool {
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Run policy test files: sessions and the decision expected from each ruleset.",
            discussion: """
                Format: docs/policy-tests.md. Prints one line per expectation (PASS/FAIL, expected versus \
                actual) and a count; exit status 1 when any expectation fails, 2 when a file cannot be read.
                """
        )

        @Flag(name: .long, help: "Show every key looked up, the match and the rule for each call.")
        var explain = false

        @Flag(name: .long, help: "Print only failures and the count.")
        var quiet = false

        @Argument(help: "Policy test files (.yaml).")
        var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one policy test file") }
        }

        func run() throws {
            let runner = PolicyTestRunner(explain: explain)
            var passed = 0
            var failed = 0
            var broken = false
            for path in files {
                let results: [PolicyTestResult]
                do {
                    results = try runner.run(try PolicyTestFile.load(path: path))
                } catch {
                    ReplayCLI.standardError("\(error)\n")
                    broken = true
                    continue
                }
                for result in results {
                    if result.passed { passed += 1 } else { failed += 1 }
                    if quiet && result.passed { continue }
                    print("\(path): \(result)")
                    for explanation in result.explanations {
                        for line in explanation.lines(indent: "    ") { print(line) }
                    }
                }
            }
            print("\(passed) passed, \(failed) failed")
            if broken { throw ExitCode(2) }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

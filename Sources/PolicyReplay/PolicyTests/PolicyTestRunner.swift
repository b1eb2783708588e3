import AccessMap
import AccessPolicy
import RecordedSessions

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The outcome of one expectation of one test session.
public struct PolicyTestResult: Hashable, Sendable, CustomStringConvertible {
    /// The test file (path), if it has one.
    public var file: String?
    /// The session's name (with ` [log session N]` for sessions read from a log).
    public var session: String
    /// The expectation.
    public var expectation: PolicyExpectation
    /// What the policy decided (each distinct result once, `; `-separated), or `nil` when no call was made.
    public var actual: String?
    /// The expectation holds.
    public var passed: Bool
    /// Why it failed, when it did for a reason other than a different result.
    public var message: String?
    /// Look-ups and rules of the calls, when the runner explains.
    public var explanations: [PolicyExplanation]

    /// `PASS name: call => expected` or `FAIL name: call: expected X, got Y`.
    public var description: String {
        let head = "\(passed ? "PASS" : "FAIL") \(session): \(expectation.call)"
        if passed { return "\(head) => \(actual ?? expectation.expected)" }
        var text = "\(head): expected \(expectation.expected), got \(actual ?? "no such call")"
        if let message { text += " (\(message))" }
        return text
    }
}

/// Runs policy test files (``PolicyTestFile``): builds each session's calls, evaluates them against the file's
/// map and configuration, and compares every decision with the expectation.
///
/// Use it from Swift Testing:
///
/// ```swift
/// @Test func accessPolicy() throws {
///     let file = try PolicyTestFile.load(path: "Tests/policy/relaying.yaml")
///     for result in try PolicyTestRunner().run(file) {
///         #expect(result.passed, "\(result)")
///     }
/// }
/// ```
public struct PolicyTestRunner: Sendable {
    /// Record look-ups and rules for every call.
    public var explain: Bool

    /// Creates a runner.
    public init(explain: Bool = false) { self.explain = explain }

    /// The policy a test file describes.
    ///
    /// - Throws: ``PolicyLoadError`` when the map or configuration cannot be read.
    public func policy(for file: PolicyTestFile) throws(PolicyLoadError) -> ReplayPolicy {
        var configuration = ConfigFile()
        switch file.config {
        case .baseline: break
        case .path(let path):
            do {
                configuration = try ConfigFile.load(path: file.resolve(path))
            } catch {
                throw PolicyLoadError("\(file.resolve(path)): \(error)")
            }
        case .yaml(let text):
            do {
                configuration = try ConfigFile.parse(yaml: text)
            } catch {
                throw PolicyLoadError("\(file.path ?? "<policy test>"): config: \(error)")
            }
        }
        switch file.map {
        case .text(let text):
            let (source, index) = try ReplayPolicy.mapSourceAndIndex(text: text, name: file.path ?? "<map>")
            var policy = ReplayPolicy(configuration: configuration, source: source)
            policy.addressKeys = index
            return policy
        case .path(let path):
            let resolved = file.resolve(path)
            if resolved.hasSuffix(".db") {
                var policy = ReplayPolicy(configuration: configuration, source: try ReplayPolicy.openMap(resolved))
                policy.addressKeys = try? AddressKeyIndex.scan(gdbmPath: resolved)
                return policy
            }
            guard let text = Self.readFile(resolved) else {
                throw PolicyLoadError("\(resolved): cannot read the access map text")
            }
            let (source, index) = try ReplayPolicy.mapSourceAndIndex(text: text, name: resolved)
            var policy = ReplayPolicy(configuration: configuration, source: source)
            policy.addressKeys = index
            return policy
        }
    }

    /// Runs every session of a file.
    ///
    /// - Returns: One result per expectation (per log session for sessions read from a log), in file order.
    /// - Throws: ``PolicyLoadError`` when the map, configuration or a log cannot be read.
    public func run(_ file: PolicyTestFile) throws(PolicyLoadError) -> [PolicyTestResult] {
        let policy = try policy(for: file)
        var results: [PolicyTestResult] = []
        for session in file.sessions {
            results += try run(session, policy: policy, file: file)
        }
        return results
    }

    /// Runs one session against a policy.
    public func run(
        _ session: PolicyTestSession,
        policy: ReplayPolicy,
        file: PolicyTestFile? = nil
    ) throws(PolicyLoadError)
        -> [PolicyTestResult]
    {
        switch session.source {
        case .macros(let given):
            var macros = SessionMacros()
            for (name, value) in given.merging(session.assume, uniquingKeysWith: { $1 }) {
                macros[MacroName(name)] = value
            }
            return session.expectations.map { expectation in
                guard let step = Self.step(for: expectation, macros: macros) else {
                    return PolicyTestResult(
                        file: file?.path,
                        session: session.name,
                        expectation: expectation,
                        actual: nil,
                        passed: false,
                        message: "'\(expectation.call)' needs an argument (a recipient or sender address)",
                        explanations: []
                    )
                }
                return check(expectation, steps: [step], policy: policy, name: session.name, file: file?.path)
            }
        case .log(let path, let number):
            let resolved = file?.resolve(path) ?? path
            let recorded = try Self.sessions(inLog: resolved)
            let chosen = number.map { n in recorded.filter { $0.sequenceNumber == n } } ?? recorded
            guard !chosen.isEmpty else {
                throw PolicyLoadError("\(resolved): no session\(number.map { " number \($0)" } ?? "") in the log")
            }
            var results: [PolicyTestResult] = []
            for expectation in session.expectations {
                var steps: [PolicyStep] = []
                for recordedSession in chosen {
                    steps += PolicyStep.steps(for: recordedSession).map { Self.applying(session.assume, to: $0) }
                        .filter { Self.step($0, matches: expectation) }
                }
                let label = number.map { "\(session.name) [log session \($0)]" } ?? session.name
                results.append(check(expectation, steps: steps, policy: policy, name: label, file: file?.path))
            }
            return results
        }
    }

    private func check(
        _ expectation: PolicyExpectation,
        steps: [PolicyStep],
        policy: ReplayPolicy,
        name: String,
        file: String?
    ) -> PolicyTestResult {
        guard !steps.isEmpty else {
            return PolicyTestResult(
                file: file,
                session: name,
                expectation: expectation,
                actual: nil,
                passed: false,
                message: "the session has no such call",
                explanations: []
            )
        }
        var passed = true
        var actual: [String] = []
        var message: String?
        var explanations: [PolicyExplanation] = []
        for step in steps {
            let evaluation = policy.evaluate(step, explain: explain)
            if let explanation = evaluation.explanation { explanations.append(explanation) }
            if !actual.contains(evaluation.result.summary) { actual.append(evaluation.result.summary) }
            if case .undetermined(let missing, _) = evaluation.determination {
                passed = false
                message =
                    "depends on \(missing.map(\.description).joined(separator: ", ")), which the log does not carry: "
                    + "state it under 'assume:'"
            } else if !expectation.matches(evaluation.result) {
                passed = false
            }
        }
        return PolicyTestResult(
            file: file,
            session: name,
            expectation: expectation,
            actual: actual.joined(separator: "; "),
            passed: passed,
            message: message,
            explanations: explanations
        )
    }

    /// The call an expectation names, for a session given as macros (unset macros are empty, as in `-bt`).
    static func step(for expectation: PolicyExpectation, macros: SessionMacros) -> PolicyStep? {
        let ruleset = PolicyRuleset(rawValue: expectation.ruleset)
        let argument = expectation.argument
        let arguments: [String?]
        switch ruleset {
        case .tlsClient: arguments = [macros.value(.verify), argument ?? "MAIL"]
        case .tlsServer: arguments = [macros.value(.verify)]
        case .tryTLS: arguments = [macros.value(.serverName)]
        case .relayTLS: arguments = []
        case .checkRelay:
            if let argument {
                let parts = argument.split(separator: "$|", maxSplits: 1).map { String($0).trimmingSpaces() }
                arguments = [parts[0], parts.count > 1 ? parts[1] : ""]
            } else {
                arguments = [macros.value(.clientName), macros.value(.clientAddr)]
            }
        case .checkMail:
            guard let sender = argument ?? macros[.mailFrom] else { return nil }
            arguments = [sender]
        default:
            guard let argument else { return nil }
            arguments = [argument]
        }
        var session = macros
        if ruleset == .checkMail, session[.mailFrom] == nil { session[.mailFrom] = arguments[0] }
        return PolicyStep(ruleset: ruleset, arguments: arguments, macros: session)
    }

    /// A recorded step with stated assumptions applied (the facts become known).
    static func applying(_ assume: [String: String], to step: PolicyStep) -> PolicyStep {
        guard !assume.isEmpty else { return step }
        var step = step
        for (name, value) in assume {
            let macro = MacroName(name)
            step.macros[macro] = value
            step.unknownMacros.remove(macro)
        }
        for index in step.arguments.indices where step.arguments[index] == nil {
            let macro = Determination.argumentMacro(step.ruleset, index)
            if let value = assume[macro.rawValue] { step.arguments[index] = value }
        }
        if step.ruleset == .tlsClient || step.ruleset == .tlsServer, let verify = assume["verify"] {
            step.arguments[0] = verify
        }
        return step
    }

    /// Whether a recorded step is the call an expectation names.
    static func step(_ step: PolicyStep, matches expectation: PolicyExpectation) -> Bool {
        guard step.ruleset.rawValue == expectation.ruleset else { return false }
        guard let argument = expectation.argument else { return true }
        func bare(_ s: String?) -> String? {
            guard let s else { return nil }
            return s.hasPrefix("<") && s.hasSuffix(">") ? String(s.dropFirst().dropLast()) : s
        }
        switch step.ruleset {
        case .tlsClient: return step.arguments.count > 1 && step.arguments[1] == argument
        case .checkRelay:
            return step.callText.hasSuffix(argument) || step.arguments.first == argument
        default:
            return bare(step.arguments.first ?? nil) == bare(argument) || bare(step.recipient) == bare(argument)
        }
    }

    /// Every session of a small log file, in memory (test logs are small; replays stream instead).
    static func sessions(inLog path: String) throws(PolicyLoadError) -> [RecordedSession] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw PolicyLoadError("\(path): cannot open the log: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var stream = RecordedSessionStream(reader: LogLineReader(fileDescriptor: fd))
        var sessions: [RecordedSession] = []
        do {
            try stream.forEachSession { sessions.append($0) }
        } catch {
            throw PolicyLoadError("\(path): \(error)")
        }
        return sessions.sorted { $0.sequenceNumber < $1.sequenceNumber }
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return nil }
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

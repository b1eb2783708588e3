public import AccessMap
public import AccessPolicy

/// Explains one `bt` script line: re-runs the ruleset with look-up tracing on the state the line ran with.
///
/// ```swift
/// let before = (interpreter.configuration, interpreter.macros)
/// if case .result(let text) = interpreter.execute(line, number: n) {
///     print(text)
///     TestModeExplainer.explain(line, configuration: before.0, source: source, macros: before.1)?
///         .lines().forEach { print($0) }
/// }
/// ```
public enum TestModeExplainer {
    /// The explanation of a ruleset line (`tls_client OK $| MAIL`); `nil` for other lines or unknown rulesets.
    ///
    /// - Parameters:
    ///   - line: The script line.
    ///   - configuration: The classes and features in force before the line ran.
    ///   - source: The access map.
    ///   - macros: The macros before the line ran.
    public static func explain(
        _ line: String,
        configuration: PolicyConfiguration,
        source: any AccessMapSource,
        macros: SessionMacros
    ) -> PolicyExplanation? {
        var text = Substring(line)
        if text.last == "\r" { text = text.dropLast() }
        text = text.drop { $0 == " " || $0 == "\t" }
        guard let first = text.first, first != "#", first != "." else { return nil }
        let nameEnd = text.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? text.endIndex
        var name = text[..<nameEnd]
        if name.hasPrefix("Start,") { name = name.dropFirst("Start,".count) }
        let ruleset = PolicyRuleset(rawValue: String(name))
        let input = Tokenizer.tokenize(String(text[nameEnd...]))
        let engine = PolicyEngine(configuration: configuration, source: source)
        guard let evaluation = engine.run(ruleset, input: input, session: macros, tracing: true) else { return nil }
        let trace = evaluation.trace ?? []
        var arguments: [String?] = []
        var current: [Token] = []
        for token in input {
            if token.text == "$|" {
                arguments.append(current.assembledText())
                current = []
            } else {
                current.append(token)
            }
        }
        arguments.append(current.assembledText())
        let step = PolicyStep(ruleset: ruleset, arguments: arguments, macros: macros)
        let requirement = ReplayPolicy.requirement(in: trace, ruleset: ruleset).map {
            TLSRequirement($0, tlsClass: configuration.members(of: "Tls"))
        }
        return RuleDescriber(
            step: step,
            macros: macros,
            result: PolicyResult(evaluation.result, ruleset: ruleset),
            requirement: requirement,
            lookups: trace
        ).explanation()
    }
}

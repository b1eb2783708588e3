public import AccessMap

/// The `-bt`-style test mode: reads script lines, keeps macros and classes, runs rulesets and prints one line
/// per ruleset call, in the form recorded from `sendmail -bt` (``RulesetResult/testModeLine``).
///
/// Script lines:
/// - `.D{name}value` sets a macro (`.Dx value` for a one-letter name); nothing after the name sets it empty;
/// - `.C{name}word word…` adds words to a class;
/// - `# comment` and blank lines are ignored;
/// - `RULESET INPUT` runs a ruleset on INPUT as `sendmail -bt` would be given it (`tls_client OK $| MAIL`);
///   a leading `Start,` before the name is accepted and ignored (`$|` is always the separator operator).
///
/// Macros set by rulesets (`{TLS_Name}`) persist to later lines, as in sendmail.
public struct TestModeInterpreter: Sendable {
    /// Classes and features, including classes added by `.C` lines.
    public private(set) var configuration: PolicyConfiguration
    /// The access map.
    public let source: any AccessMapSource
    /// The macros as set so far.
    public private(set) var macros: SessionMacros

    /// Creates an interpreter.
    public init(
        configuration: PolicyConfiguration,
        source: any AccessMapSource,
        macros: SessionMacros = SessionMacros()
    ) {
        self.configuration = configuration
        self.source = source
        self.macros = macros
    }

    /// What one script line produced.
    public enum LineOutcome: Hashable, Sendable {
        /// Nothing to print (comment, blank, macro or class definition).
        case none
        /// The line to print on standard output.
        case result(String)
        /// A script error (to report on standard error).
        case error(TestModeError)
        /// A ruleset this configuration does not have (`check_mail` under FEATURE(delay_checks), a misspelt name):
        /// the line to print (to keep one output line per ruleset line) and a note for standard error.
        ///
        /// `sendmail -bt` says `Undefined ruleset NAME` and runs nothing, so the last result it shows for
        /// `Start,NAME input` is the `Start` helper's: the input itself. The line is that input in the contract
        /// notation (the input when it is one word of letters, else `OK`).
        case undefinedRuleset(result: String, note: TestModeError)
    }

    /// Runs one script line.
    ///
    /// - Parameters:
    ///   - line: The line without its line terminator.
    ///   - number: Its 1-based line number (for errors).
    public mutating func execute(_ line: String, number: Int) -> LineOutcome {
        var text = Substring(line)
        if text.last == "\r" { text = text.dropLast() }
        let trimmed = text.drop { $0 == " " || $0 == "\t" }
        if trimmed.isEmpty || trimmed.first == "#" { return .none }
        if text.hasPrefix(".D") { return defineMacro(text.dropFirst(2), number: number) }
        if text.hasPrefix(".C") { return addToClass(text.dropFirst(2), number: number) }
        if trimmed.first == "." {
            return .error(TestModeError(line: number, reason: "unsupported command '\(trimmed.prefix(2))'"))
        }
        return runRuleset(trimmed, number: number)
    }

    /// Runs a whole script: the lines to print and the errors, in order.
    public mutating func run(script: String) -> (output: [String], errors: [TestModeError]) {
        var output: [String] = []
        var errors: [TestModeError] = []
        var lines = script.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            switch execute(String(line), number: index + 1) {
            case .none: break
            case .result(let text): output.append(text)
            case .error(let error): errors.append(error)
            case .undefinedRuleset(let text, _): output.append(text)
            }
        }
        return (output, errors)
    }

    /// `{name}rest` or `xrest`: the name and what follows.
    private static func macroName(_ text: Substring) -> (name: String, rest: Substring)? {
        if text.first == "{" {
            guard let close = text.firstIndex(of: "}") else { return nil }
            let name = text[text.index(after: text.startIndex)..<close]
            guard !name.isEmpty else { return nil }
            return (String(name), text[text.index(after: close)...])
        }
        guard let first = text.first, first != " ", first != "\t" else { return nil }
        return (String(first), text.dropFirst())
    }

    private mutating func defineMacro(_ text: Substring, number: Int) -> LineOutcome {
        guard let (name, value) = Self.macroName(text) else {
            return .error(TestModeError(line: number, reason: "expected a macro name after .D"))
        }
        macros[MacroName(name)] = Self.droppingOpenQuoteTrailingSpace(Self.strippingComment(value))
        return .none
    }

    /// A `.D` value that ends inside a quoted string loses the white space (escaped or not) at its end:
    /// `.D{auth_author}z";0+<TAB>` holds `z";0+`, `"a\<TAB>` holds `"a\` (whose backslash then escapes the quote
    /// sendmail adds). Values with balanced quotes keep theirs (`  ` stays a blank-only value).
    static func droppingOpenQuoteTrailingSpace(_ value: String) -> String {
        var bytes = Token.rawBytes(of: value)
        var quoted = false
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if bytes[i] == UInt8(ascii: "\"") { quoted.toggle() }
            i += 1
        }
        guard quoted, let last = bytes.last, Tokenizer.isSpace(last) else { return value }
        while let last = bytes.last, Tokenizer.isSpace(last) { bytes.removeLast() }
        return Token.losslessText(bytes)
    }

    /// sendmail -bt reads `.D`/`.C` values like configuration lines: an unescaped `#` after the first character
    /// starts a comment, and `\#` stands for `#`.
    static func strippingComment(_ value: Substring) -> String {
        var out: [UInt8] = []
        let bytes = Token.rawBytes(of: String(value))
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "#") {
                out.append(UInt8(ascii: "#"))
                i += 2
                continue
            }
            if bytes[i] == UInt8(ascii: "#") && i > 0 { break }
            out.append(bytes[i])
            i += 1
        }
        return Token.losslessText(droppingFinalEscapedBlank(out))
    }

    /// sendmail -bt drops the backslash of an escaped blank that ends a `.D` value (nothing but blanks after it,
    /// outside quotes): `a\ ` reads as `a`, `\ ` as a blank-only value, while `a\ b` keeps its escaped blank.
    static func droppingFinalEscapedBlank(_ bytes: [UInt8]) -> [UInt8] {
        var quoted = false
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\\") {
                if !quoted, i + 1 < bytes.count, bytes[(i + 1)...].allSatisfy(Tokenizer.isSpace) {
                    var out = bytes
                    out.remove(at: i)
                    return out
                }
                i += 2
                continue
            }
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            i += 1
        }
        return bytes
    }

    private mutating func addToClass(_ text: Substring, number: Int) -> LineOutcome {
        guard let (name, rawWords) = Self.macroName(text) else {
            return .error(TestModeError(line: number, reason: "expected a class name after .C"))
        }
        let words = Self.strippingComment(rawWords)
        configuration.add(words.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init), to: name)
        return .none
    }

    private mutating func runRuleset(_ text: Substring, number: Int) -> LineOutcome {
        let nameEnd = text.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? text.endIndex
        var name = text[..<nameEnd]
        if name.hasPrefix("Start,") { name = name.dropFirst("Start,".count) }
        guard !name.isEmpty, !name.contains(",") else {
            return .error(TestModeError(line: number, reason: "unsupported ruleset list '\(text[..<nameEnd])'"))
        }
        let ruleset = PolicyRuleset(rawValue: String(name))
        let engine = PolicyEngine(configuration: configuration, source: source)
        let known = engine.knows(ruleset)
        // A byte sendmail reserves for its metasymbols (0x80-0x9F) anywhere in the input makes `sendmail -bt` refuse
        // the line (`8-bit character in mailbox address "…"`) without running anything: nothing resolved, `OK`.
        let inputBytes = Token.rawBytes(of: String(text[nameEnd...]))
        if inputBytes.contains(where: { $0 >= 0x80 && $0 <= 0x9F }) { return .result(RulesetResult.ok.testModeLine) }
        // So does an input longer than 255 bytes (`Address "…" too long (255 bytes max)`): the input is everything
        // after the one blank that ends the ruleset name, commas and trailing blanks included.
        if inputBytes.count > 256 { return .result(RulesetResult.ok.testModeLine) }
        // sendmail -bt reads the input as an address list: each comma-separated part is run in turn and the
        // last one's result is the answer. A line with no tokens at all runs nothing: nothing resolved, `OK`.
        var last = RulesetResult.ok
        for part in Self.addressListParts(text[nameEnd...]) {
            let input = Tokenizer.tokenize(String(part), parenthesesAreComments: false)
            if input.isEmpty { continue }
            guard known else {
                last = .workspace(input)
                continue
            }
            guard let evaluation = engine.run(ruleset, input: input, session: macros) else { break }
            macros = evaluation.macros
            last = evaluation.result
        }
        guard known else {
            return .undefinedRuleset(
                result: last.testModeLine,
                note: TestModeError(
                    line: number,
                    reason: "undefined ruleset '\(name)' (printed the input, as sendmail -bt shows it)"
                )
            )
        }
        return .result(last.testModeLine)
    }

    /// Splits a `-bt` input at commas outside double quotes and outside a route address (a backslash does not
    /// protect a comma, but `\"` does not open a quote).
    ///
    /// A route address starts with a `<` whose next character other than a blank is `@` (`<@a,@b:u@c>`, where the
    /// commas belong to the address) and ends at the next `>`; any other `<` does not keep a comma from splitting
    /// (`<a, b>` is `<a` and `b>`).
    static func addressListParts(_ text: Substring) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var inQuote = false
        var inRoute = false
        var escaped = false
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if escaped {
                // A backslash keeps a `"` from opening or closing a quote, but not a comma from splitting.
                escaped = false
                if c == "," && !inQuote && !inRoute {
                    parts.append(text[start..<i])
                    start = text.index(after: i)
                }
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                inQuote.toggle()
            } else if inQuote {
                // Nothing else counts inside a quoted string.
            } else if c == "<" {
                let next = text[text.index(after: i)...].first { $0 != " " && $0 != "\t" }
                if next == "@" { inRoute = true }
            } else if c == ">" {
                inRoute = false
            } else if c == "," && !inRoute {
                parts.append(text[start..<i])
                start = text.index(after: i)
            }
            i = text.index(after: i)
        }
        parts.append(text[start...])
        return parts
    }
}

/// A script line the test mode cannot run.
public struct TestModeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// What is wrong.
    public var reason: String

    /// Creates an error.
    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    /// `LINE: reason`.
    public var description: String { "\(line): \(reason)" }
}

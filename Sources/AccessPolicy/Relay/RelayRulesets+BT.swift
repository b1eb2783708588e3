public import AccessMap

extension RelayRulesets {
    /// Runs one `bt` line for the relay rulesets: `check_relay NAME $| ADDR`, `check_mail ADDR`,
    /// `check_rcpt ADDR` (tokens as the bt reader produced them; `$|` is the token `$|`).
    ///
    /// - Returns: the result, or `nil` when `ruleset` is not one of the three. With FEATURE(delay_checks)
    ///   `check_relay` and `check_mail` do not exist (sendmail renames them): the result is then
    ///   ``BTOutcome/undefined``.
    public mutating func runBT(ruleset: String, arguments: [Token]) -> BTOutcome? {
        switch ruleset {
        case "check_relay":
            if settings.delayChecks { return .undefined("Undefined ruleset check_relay") }
            let bar = arguments.firstIndex { $0.text == "$|" }
            let name = bar.map { Array(arguments[..<$0]) } ?? arguments
            let address = bar.map { Array(arguments[($0 + 1)...]) } ?? []
            return .result(checkRelay(name: name, address: address))
        case "check_mail":
            if settings.delayChecks { return .undefined("Undefined ruleset check_mail") }
            return .result(checkMail(arguments))
        case "check_rcpt":
            return .result(checkRcpt(arguments))
        default:
            return nil
        }
    }

    /// What a relay ruleset line prints in `bt` mode.
    public enum BTOutcome: Hashable, Sendable {
        /// A ruleset result (print ``RelayResult/btLine``).
        case result(RelayResult)
        /// The ruleset does not exist in this configuration (sendmail prints this message).
        case undefined(String)

        /// The output line.
        public var line: String {
            switch self {
            case .result(let result): return result.btLine
            case .undefined(let message): return message
            }
        }
    }
}

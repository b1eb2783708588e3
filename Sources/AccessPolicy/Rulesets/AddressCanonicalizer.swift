import AccessMap

/// The part of sendmail's address canonicalisation (rulesets 3 and Parse0) the TLS rulesets need: angle
/// brackets, a source route and a `list:` group prefix removed, a trailing `;` dropped, `local@domain` split at
/// the last `@`, trailing dots of the domain dropped, and Parse0's syntax errors.
enum AddressCanonicalizer {
    struct Address {
        var local: [Token]
        var domain: [Token]?
    }

    enum Outcome {
        case address(Address)
        /// Parse0's `$#error $@ status $: "text"`.
        case error(status: String, text: String)
    }

    static func canonicalize(_ input: [Token]) -> Outcome {
        var tokens = input
        let colon = Token(":")
        let semicolon = Token(";")
        // `list:;` and `x:;` groups are refused.
        if tokens == [semicolon] || (tokens.count >= 2 && tokens.suffix(2) == [colon, semicolon]) {
            return .error(status: "5.1.3", text: "553 List:; syntax illegal for recipient addresses")
        }
        // `<…>`: keep the bracketed part.
        if let open = tokens.lastIndex(of: Workspace.open), let close = tokens[open...].firstIndex(of: Workspace.close) {
            tokens = Array(tokens[(open + 1)..<close])
        } else if tokens.first != Token.atSign, let index = tokens.firstIndex(of: colon),
            !tokens.contains(Token("[")), index + 1 < tokens.count, tokens[index + 1] != colon
        {
            // `group: address` (only outside brackets, routes, literals and `::`).
            tokens = Array(tokens[(index + 1)...])
        }
        while tokens.last == semicolon { tokens.removeLast() }
        // Source route `@a,@b:user@domain` → `user@domain`.
        if tokens.first == Token.atSign, let index = tokens.firstIndex(of: colon) {
            tokens = Array(tokens[(index + 1)...])
        }
        guard tokens.count > 1, let at = tokens.lastIndex(of: Token.atSign) else { return .address(Address(local: tokens, domain: nil)) }
        let local = Array(tokens[..<at])
        var domain = Array(tokens[(at + 1)...])
        if local.isEmpty { return .error(status: "5.1.3", text: "553 User address required") }
        if domain.isEmpty { return .error(status: "5.1.3", text: "553 Hostname required") }
        if local.contains(Token.atSign) { return .error(status: "5.1.3", text: "553 Invalid route address") }
        while domain.count > 1, domain.last == Token.dotToken { domain.removeLast() }
        if domain.first == Token.dotToken || zip(domain, domain.dropFirst()).contains(where: { $0 == Token.dotToken && $1 == Token.dotToken }) {
            return .error(status: "5.1.2", text: "553 Invalid host name")
        }
        return .address(Address(local: local, domain: domain))
    }
}

extension Token {
    static let dotToken = Token(".")
}

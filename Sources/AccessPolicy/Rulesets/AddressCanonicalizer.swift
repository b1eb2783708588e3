import AccessMap

/// The part of sendmail's address canonicalisation (ruleset 3) the TLS rulesets need: angle brackets and a
/// source route removed, `local@domain` split at the last `@`, trailing dots of the domain dropped.
enum AddressCanonicalizer {
    struct Address {
        var local: [Token]
        var domain: [Token]?
    }

    static func canonicalize(_ input: [Token]) -> Address {
        var tokens = input
        // Innermost `<…>` when the address is written with angle brackets.
        if let open = tokens.lastIndex(of: Workspace.open), let close = tokens[open...].firstIndex(of: Workspace.close) {
            tokens = Array(tokens[(open + 1)..<close])
        }
        // Source route `@a,@b:user@domain` → `user@domain`.
        if tokens.first == Token.atSign, let colon = tokens.firstIndex(of: Token(":")) {
            tokens = Array(tokens[(colon + 1)...])
        }
        guard let at = tokens.lastIndex(of: Token.atSign), at > 0, at < tokens.count - 1 else {
            return Address(local: tokens, domain: nil)
        }
        var domain = Array(tokens[(at + 1)...])
        while domain.count > 1, domain.last == Token(".") { domain.removeLast() }
        return Address(local: Array(tokens[..<at]), domain: domain)
    }
}

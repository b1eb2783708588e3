import AccessMap
public import AccessPolicy

/// Whether the facts a log carries are enough to decide a ruleset call.
public enum Determination: Hashable, Sendable {
    /// Every macro and argument the decision depends on is known.
    case determined
    /// The decision depends on facts the log does not carry; the result shown was computed under `assumption`.
    case undetermined(missing: [MacroName], assumption: String)

    /// The assumption every undetermined evaluation is made under.
    public static let emptyAssumption = "unknown macros empty, unknown address 0.0.0.0"

    /// The address an unknown `{client_addr}`/`{server_addr}` is evaluated as: not empty (sendmail's rulesets
    /// treat an empty client address as the local host) and in no map entry or class.
    public static let unknownAddress = "0.0.0.0"

    /// `true` for ``determined``.
    public var isDetermined: Bool { self == .determined }

    /// Which unknown macros a call's decision depends on.
    ///
    /// Conservative per ruleset (a macro is dropped only when the ruleset provably does not read it on this path):
    /// - tls_client / tls_server / check_mail's TLS part: the peer's name and address and `{verify}`; the key
    ///   length (`{cipher_bits}`, `{auth_ssf}`) and certificate macros only when an entry was found whose
    ///   requirement reaches those checks (VERIFY with `{verify}` OK/TRUSTED, or ENCR; `CN` → `{cn_subject}`,
    ///   `CS` → `{cert_subject}`, `CI`/`CITag` → `{cert_issuer}`).
    /// - tls_rcpt: nothing without a `TLS_Rcpt:` entry; with one, `{verify}` and, as above, the key length and
    ///   certificate macros (`CN` also `{server_name}`, which tls_rcpt compares `{cn_subject}` with).
    /// - try_tls: the server's name and address. RelayTLS: `{verify}`, and the certificate names only when
    ///   `{verify}` is OK, TRUSTED or unknown.
    /// - check_relay: the client's name and address. check_mail: also the sender and `{client_name}`.
    /// - check_rcpt: the client's address and name, `{auth_type}`, `{auth_authen}`, `{verify}`, the certificate
    ///   names, and the sender when relay_mail_from, relay_local_from or delay_checks is on. When the call accepted although every unknown fact was taken as empty, and the
    ///   unknown facts can only grant relaying (AUTH, certificate), the acceptance stands (without
    ///   delay_checks).
    static func of(
        step: PolicyStep,
        result: PolicyResult,
        requirement: TLSRequirement?,
        configuration: PolicyConfiguration,
        addressKeys: AddressKeyIndex?
    ) -> Determination {
        let settings = configuration.relay
        let unknown = step.unknownMacros
        var missing: Set<MacroName> = []
        let names: [MacroName]
        switch step.ruleset {
        case .tlsServer, .tryTLS, .tlsRecipient: names = [.serverName, .serverAddr]
        default: names = [.clientName, .clientAddr]
        }
        // An unknown address matters only if the map has address keys for the tags looked up (or, for
        // check_rcpt, class R lists address prefixes).
        let addressTags: [String]
        switch step.ruleset {
        case .tlsServer: addressTags = ["tls_srv"]
        case .tryTLS: addressTags = ["try_tls"]
        case .tlsClient, .checkMail: addressTags = ["tls_clt"]
        case .checkRcpt:
            addressTags = ["connect", ""] + (settings.delayChecks ? ["tls_clt"] : [])
        default: addressTags = ["connect", ""]
        }
        let rListsAddresses = configuration.members(of: "R").words.contains {
            AddressKeyIndex.isAddress(Array($0.utf8)[...])
        }
        let addressMatters =
            addressKeys.map { $0.hasAddressKeys(forAnyOf: addressTags) } ?? true
            || (step.ruleset == .checkRcpt && rListsAddresses)
        func needs(_ macros: [MacroName]) {
            for name in macros where unknown.contains(name) {
                if (name == .clientAddr || name == .serverAddr) && !addressMatters { continue }
                missing.insert(name)
            }
        }
        func tlsNeeds(recipient: Bool = false) {
            if recipient {
                // tls_rcpt looks up only the recipient; without a TLS_Rcpt: entry it accepts whatever {verify} is.
                if requirement != nil { needs([.verify]) }
            } else {
                needs(names)
                // Without a requirement only the handshake-failure values of {verify} (SOFTWARE, PROTOCOL, …)
                // refuse; a logged cipher shows the handshake completed, so an unknown {verify} cannot be one of
                // them.
                let handshakeCompleted = !(step.macros[.cipher] ?? "").isEmpty
                if requirement != nil || !handshakeCompleted { needs([.verify]) }
            }
            guard let requirement, requirement.isEnforced, let base = requirement.base else { return }
            let verify = step.macros[.verify]
            let verified = unknown.contains(.verify) || verify == "OK" || verify == "TRUSTED"
            switch base {
            case .verify(let bits):
                guard verified else { return }
                if let bits, (Int(bits) ?? 1) > 0 { needs([.cipherBits, .authSSF]) }
            case .encryption(let bits):
                if (Int(bits) ?? 1) > 0 { needs([.cipherBits, .authSSF]) }
            case .other:
                return
            }
            for ext in requirement.extensions {
                switch ext {
                case .commonName: needs([.cnSubject] + (recipient ? [.serverName] : []))
                case .certificateSubject: needs([.certSubject])
                case .certificateIssuer, .issuerTag: needs([.certIssuer])
                case .unrecognized: break
                }
            }
        }
        // Arguments that are not known at all.
        for (index, argument) in step.arguments.enumerated() where argument == nil {
            let name = argumentMacro(step.ruleset, index)
            if (name == .clientAddr || name == .serverAddr) && !addressMatters { continue }
            missing.insert(name)
        }
        switch step.ruleset {
        case .tlsClient, .tlsServer:
            tlsNeeds()
        case .tlsRecipient:
            tlsNeeds(recipient: true)
        case .tryTLS:
            needs(names)
        case .relayTLS:
            needs([.verify])
            let verify = step.macros[.verify]
            if unknown.contains(.verify) || verify == "OK" || verify == "TRUSTED" {
                needs([.certIssuer, .certSubject])
            }
        case .checkRelay:
            needs(names)
            if settings.useClientPTR { needs(["client_ptr"]) }
        case .checkMail:
            tlsNeeds()
            needs([.clientName, .mailFrom])
        case .checkRcpt:
            let granting: Set<MacroName> = [.authType, .authAuthen, .authSSF, .verify, .certIssuer, .certSubject]
            var relayFacts: [MacroName] = [.clientAddr, .clientName, .authType, .authAuthen, .verify]
            // The sender matters only to relay_mail_from / relay_local_from, and to delay_checks' check_mail.
            if settings.relayMailFrom != .off || settings.relayLocalFrom || settings.delayChecks {
                relayFacts += [.sender, .mailFrom]
            }
            let verify = step.macros[.verify]
            if unknown.contains(.verify) || verify == "OK" || verify == "TRUSTED" {
                relayFacts += [.certIssuer, .certSubject]
            }
            var local: Set<MacroName> = []
            for name in relayFacts where unknown.contains(name) { local.insert(name) }
            if settings.delayChecks {
                tlsNeeds()
            } else if result.kind.continues, local.isSubset(of: granting) {
                local = []
            }
            missing.formUnion(local)
        default:
            needs(names)
        }
        guard !missing.isEmpty else { return .determined }
        return .undetermined(missing: missing.sorted { $0.rawValue < $1.rawValue }, assumption: emptyAssumption)
    }

    static func argumentMacro(_ ruleset: PolicyRuleset, _ index: Int) -> MacroName {
        switch ruleset {
        case .checkRelay: return index == 0 ? .clientName : .clientAddr
        case .checkMail: return .mailFrom
        case .checkRcpt, .tlsRecipient: return MacroName("rcpt_addr")
        case .tryTLS: return .serverName
        default: return .verify
        }
    }
}

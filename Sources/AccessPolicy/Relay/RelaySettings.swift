/// The settings of `check_relay`, `check_mail` and `check_rcpt` besides the classes (which are
/// ``PolicyConfiguration/classes``): the host's canonical name, the FEATUREs that change these rulesets, and the
/// texts an m4 configuration can override. Part of ``PolicyConfiguration`` as ``PolicyConfiguration/relay``.
///
/// The default value is the engine's baseline: a sendmail.cf built from an .mc with only `FEATURE(access_db)` and
/// `FEATURE(accept_unresolvable_domains)`. Nothing is ever read from the machine the engine runs on: the host's own
/// names and addresses, which sendmail adds to class `w` at start-up, are listed explicitly (``hostName`` and
/// class `w`).
public struct RelaySettings: Hashable, Sendable {
    /// How FEATURE(delay_checks) treats `Spam:` entries.
    public enum SpamPolicy: String, Hashable, Sendable, CaseIterable {
        /// `FEATURE(delay_checks)`: no `Spam:` lookup.
        case none
        /// `FEATURE(delay_checks, friend)`: a `Spam:` entry `FRIEND` skips the sender and client checks.
        case friend
        /// `FEATURE(delay_checks, hater)`: only recipients whose `Spam:` entry is `HATER` get the sender and client
        /// checks.
        case hater
    }

    /// FEATURE(relay_mail_from): relaying based on the envelope sender's `From:` entry.
    public enum RelayMailFrom: String, Hashable, Sendable, CaseIterable {
        /// Feature off.
        case off
        /// `FEATURE(relay_mail_from)`: exact `From:user@domain` `RELAY` entries.
        case address
        /// `FEATURE(relay_mail_from, domain)`: also `From:domain` entries (and parent domains).
        case domain
    }

    /// `$j`, the host's canonical name; `localhost` and `[own address]` canonicalise to it. `nil`: not configured,
    /// then `localhost` stays `localhost`.
    public var hostName: String?
    /// FEATURE(delay_checks): check_mail and check_relay run from check_rcpt, after the recipient.
    public var delayChecks: Bool
    /// FEATURE(delay_checks, friend|hater).
    public var spamPolicy: SpamPolicy
    /// FEATURE(relay_hosts_only): class `R` and `To:`/`Connect:` entries name hosts, not domains.
    public var relayHostsOnly: Bool
    /// FEATURE(relay_entire_domain): every host in a class `m` domain is local.
    public var relayEntireDomain: Bool
    /// FEATURE(relay_mail_from).
    public var relayMailFrom: RelayMailFrom
    /// FEATURE(relay_local_from): senders in a class `w` domain may relay.
    public var relayLocalFrom: Bool
    /// FEATURE(blocklist_recipients): `To:` entries can reject recipients.
    public var blocklistRecipients: Bool
    /// access_db option `relaytofulladdress`: `To:user@domain` (and `To:user@`) entries decide relaying too.
    public var relayToFullAddress: Bool
    /// FEATURE(loose_relay_check): `user%host@relay-domain` is not re-checked.
    public var looseRelayCheck: Bool
    /// FEATURE(accept_unqualified_senders).
    public var acceptUnqualifiedSenders: Bool
    /// FEATURE(accept_unresolvable_domains). Without it a sender domain must resolve; the engine has no DNS, so only
    /// the names in ``resolvableDomains`` resolve.
    public var acceptUnresolvableDomains: Bool
    /// Domains the (absent) resolver would find; only used when ``acceptUnresolvableDomains`` is off.
    public var resolvableDomains: Set<String>
    /// FEATURE(use_client_ptr): check_relay looks up `{client_ptr}` instead of `{client_name}`.
    public var useClientPTR: Bool
    /// `confREJECT_MSG`: replaces `550 Access denied` (and its `5.7.1`) for `REJECT`.
    public var rejectMessage: String?
    /// `confRELAY_MSG`: the text of the final relaying denial. `nil`: `550 Relaying denied`, or
    /// `550 Relaying denied. Proper authentication required.` when ``authConfigured`` is set.
    public var relayMessage: String?
    /// `confRCPTREJ_MSG`: the text for a blocklisted recipient, default `550 Mailbox disabled for this recipient`.
    public var recipientRejectMessage: String?
    /// The .mc used TRUST_AUTH_MECH (sendmail then words the relaying denial differently).
    public var authConfigured: Bool

    /// The baseline configuration (see the type's discussion).
    public init() {
        hostName = nil
        delayChecks = false
        spamPolicy = .none
        relayHostsOnly = false
        relayEntireDomain = false
        relayMailFrom = .off
        relayLocalFrom = false
        blocklistRecipients = false
        looseRelayCheck = false
        relayToFullAddress = false
        acceptUnqualifiedSenders = false
        acceptUnresolvableDomains = true
        resolvableDomains = []
        useClientPTR = false
        rejectMessage = nil
        relayMessage = nil
        recipientRejectMessage = nil
        authConfigured = false
    }

    /// The final relaying denial text (`confRELAY_MSG` or its default).
    public var effectiveRelayMessage: String {
        relayMessage
            ?? (authConfigured
                ? "550 Relaying denied. Proper authentication required." : "550 Relaying denied")
    }

    /// The blocklisted-recipient text (`confRCPTREJ_MSG` or its default).
    public var effectiveRecipientRejectMessage: String {
        recipientRejectMessage ?? "550 Mailbox disabled for this recipient"
    }
}

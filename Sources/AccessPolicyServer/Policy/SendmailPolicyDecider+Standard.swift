public import AccessMap
public import AccessPolicy
public import Logging

extension SendmailPolicyDecider {
    /// The decider `accesspolicy serve` uses: relay rulesets configured from `configuration`, the map through
    /// a reloading view, and the TLS client check from ``TLSClientCheck/standard(configuration:source:)``.
    ///
    /// Logs a warning when no TLS client check is available, so a missing requirement is never silent.
    public static func standard(
        source: MapSource,
        configuration: ConfigFile,
        assumeCertificateRequested: Bool = true,
        issuerDistinguishedNames: [String: String] = [:],
        logger: Logger
    ) -> SendmailPolicyDecider {
        var options: AccessLookupOptions = []
        if configuration.accessOptions.contains(.skip) { options.insert(.skip) }
        if configuration.accessOptions.contains(.lookupDotDomain) { options.insert(.lookupDotDomain) }
        let view = ReloadingAccessMapSource(source: source)
        let tlsClient = TLSClientCheck.standard(configuration: configuration, source: view)
        if tlsClient == nil {
            logger.warning(
                "TLS_Clt: requirements are NOT enforced by the policy service: this build has no TLS client ruleset"
            )
        }
        return SendmailPolicyDecider(
            source: view,
            settings: configuration.relay,
            lookupOptions: options,
            relayToFullAddress: configuration.accessOptions.contains(.relayToFullAddress),
            assumeCertificateRequested: assumeCertificateRequested,
            issuerDistinguishedNames: issuerDistinguishedNames,
            tlsClient: tlsClient
        )
    }
}

/// Where the policy service gets sendmail's `tls_client` ruleset from.
public enum TLSClientCheck {
    /// The engine's tls_client for the MAIL phase, as a check_mail hook; `nil` while the engine's TLS rulesets
    /// are not part of the build.
    public static func standard(
        configuration: ConfigFile,
        source: any AccessMapSource
    ) -> (@Sendable (SessionMacros) -> RelayResult)? {
        nil
    }
}

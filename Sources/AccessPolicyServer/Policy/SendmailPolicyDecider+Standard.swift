public import AccessMap
public import AccessPolicy

extension SendmailPolicyDecider {
    /// The decider `accesspolicy serve` uses: the engine configured from `configuration` (classes, features,
    /// access_db options) on `source` (an ``AccessMap/AutoReloadingAccessMapSource`` to follow map reloads).
    public static func standard(
        source: any AccessMapSource,
        configuration: ConfigFile,
        assumeCertificateRequested: Bool = true,
        issuerDistinguishedNames: [String: String] = [:]
    ) -> SendmailPolicyDecider {
        SendmailPolicyDecider(
            engine: PolicyEngine(configuration: configuration.policy, source: source),
            assumeCertificateRequested: assumeCertificateRequested,
            issuerDistinguishedNames: issuerDistinguishedNames
        )
    }
}

import AccessMap
public import AccessPolicy

extension SendmailPolicyDecider {
    /// The decider `accesspolicy serve` uses: the engine configured from `configuration` (classes, features,
    /// access_db options) on a reloading view of `source`.
    public static func standard(
        source: MapSource,
        configuration: ConfigFile,
        assumeCertificateRequested: Bool = true,
        issuerDistinguishedNames: [String: String] = [:]
    ) -> SendmailPolicyDecider {
        SendmailPolicyDecider(
            engine: PolicyEngine(configuration: configuration.policy, source: ReloadingAccessMapSource(source: source)),
            assumeCertificateRequested: assumeCertificateRequested,
            issuerDistinguishedNames: issuerDistinguishedNames
        )
    }
}

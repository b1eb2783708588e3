import Logging

/// Postfix SMTPD policy delegation (`check_policy_service`): `name=value` lines and an empty line in, one
/// `action=…` line and an empty line out, any number of requests per connection.
///
/// A request whose `request` attribute is not `smtpd_access_policy` is answered with
/// `action=DEFER 4.3.5 …` (and logged): that is a client or configuration error, not a policy. Framing errors
/// (a line without `=`, a request over the size or attribute limit) get the same kind of reply, then the
/// connection is closed.
public struct PolicyService: RequestService {
    /// Decides each well-formed request.
    public let decider: any PolicyDecider

    /// Creates the service.
    public init(decider: any PolicyDecider) { self.decider = decider }

    var protocolName: String { "policy" }

    func makeFramer(limits: ServerLimits) -> AttributeBlockFramer {
        AttributeBlockFramer(
            maximumRequestBytes: limits.maximumRequestBytes,
            maximumAttributes: limits.maximumAttributes
        )
    }

    /// Decides one request given as attributes.
    public func decide(attributes: [(name: String, value: String)]) -> (PolicyAction, PostfixPolicyRequest?) {
        let request = PostfixPolicyRequest(attributes: attributes)
        guard request.requestType == "smtpd_access_policy" else {
            let shown = request.requestType.isEmpty ? "missing" : "'\(request.requestType)'"
            return (.defer(code: 451, status: "4.3.5", text: "policy request type \(shown) not supported"), nil)
        }
        return (decider.decide(request), request)
    }

    func answer(_ frame: [(name: String, value: String)]) -> ServiceAnswer {
        let (action, request) = decide(attributes: frame)
        var metadata: Logger.Metadata = ["action": "\(action.attributeValue)"]
        if let request {
            metadata["state"] = "\(request.protocolState)"
            metadata["client"] = "\(request["client_address"] ?? "")"
            if let sender = request["sender"] { metadata["sender"] = "\(sender)" }
            if let recipient = request["recipient"] { metadata["recipient"] = "\(recipient)" }
            if request.isEncrypted {
                metadata["tls"] = "\(request["encryption_protocol"] ?? "")"
                metadata["ccert_subject"] = "\(request["ccert_subject"] ?? "")"
                metadata["ccert_issuer"] = "\(request["ccert_issuer"] ?? "")"
                metadata["ccert_fingerprint"] = "\(request["ccert_fingerprint"] ?? "")"
            }
            if !request.unknownAttributes.isEmpty {
                metadata["unknown_attributes"] = "\(request.unknownAttributes.sorted().joined(separator: ","))"
            }
        }
        return ServiceAnswer(bytes: Array(action.wireReply.utf8), kind: action.kind, metadata: metadata)
    }

    func framingErrorReply(_ error: FramingError) -> [UInt8] {
        Array(PolicyAction.defer(code: 451, status: "4.3.5", text: "malformed policy request: \(error)").wireReply.utf8)
    }
}

/// Turns one Postfix policy request into an action. Called on the server's thread pool; may block.
public protocol PolicyDecider: Sendable {
    /// The action for `request`.
    func decide(_ request: PostfixPolicyRequest) -> PolicyAction
}

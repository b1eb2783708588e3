/// The answer to a Postfix policy request: the value of its `action=` attribute.
///
/// Rejections and deferrals carry sendmail's reply code and enhanced status as Postfix's numeric form
/// (`action=454 4.7.0 authentication required`), so the SMTP client sees the same reply as from sendmail;
/// Postfix's `REJECT`/`DEFER` keywords would replace the code with `access_map_reject_code`/`…_defer_code`.
public enum PolicyAction: Hashable, Sendable, CustomStringConvertible {
    /// No decision: Postfix goes on with its next restriction (`DUNNO`).
    case dunno
    /// Accept this stage, skipping the restrictions after the policy service (`OK`): used for relaying grants.
    case ok
    /// Permanent rejection with `code` (5xx), enhanced `status` (5.x.x) and `text`.
    case reject(code: Int, status: String, text: String)
    /// Temporary rejection with `code` (4xx), enhanced `status` (4.x.x) and `text`.
    case `defer`(code: Int, status: String, text: String)
    /// Accept and throw the message away (`DISCARD text`).
    case discard(text: String)
    /// Accept and keep the message on hold (`HOLD reason`), sendmail's quarantine.
    case hold(reason: String)

    /// The value after `action=`.
    public var attributeValue: String {
        switch self {
        case .dunno: "DUNNO"
        case .ok: "OK"
        case .reject(let code, let status, let text), .defer(let code, let status, let text):
            [String(code), status, text].filter { !$0.isEmpty }.joined(separator: " ")
        case .discard(let text): text.isEmpty ? "DISCARD" : "DISCARD \(text)"
        case .hold(let reason): reason.isEmpty ? "HOLD" : "HOLD \(reason)"
        }
    }

    /// `action=…` followed by the empty line that ends a reply.
    public var wireReply: String { "action=\(Self.singleLine(attributeValue))\n\n" }

    /// Counter name: `dunno`, `ok`, `reject`, `defer`, `discard`, `hold`.
    public var kind: String {
        switch self {
        case .dunno: "dunno"
        case .ok: "ok"
        case .reject: "reject"
        case .defer: "defer"
        case .discard: "discard"
        case .hold: "hold"
        }
    }

    public var description: String { attributeValue }

    /// A reply line cannot hold a line break: anything below 0x20 becomes a space.
    private static func singleLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 ? " " : $0 }))
    }
}

public import AccessMap

/// The name of a sendmail macro, without braces: `verify` for `{verify}`, `f` for `$f`.
public struct MacroName: Hashable, Sendable, RawRepresentable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The name without braces.
    public var rawValue: String
    /// Creates a name (without braces).
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Creates a name (without braces).
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// Creates a name from a literal.
    public init(stringLiteral value: String) { self.rawValue = value }
    /// `{name}` for long names, `$x` for single-character ones.
    public var description: String { rawValue.count == 1 ? "$\(rawValue)" : "{\(rawValue)}" }

    /// `{verify}`: result of certificate verification (see ``VerifyResult``).
    public static let verify: MacroName = "verify"
    /// `{cipher_bits}`: effective key length of the TLS cipher.
    public static let cipherBits: MacroName = "cipher_bits"
    /// `{alg_bits}`: maximum key length of the cipher's algorithm.
    public static let algBits: MacroName = "alg_bits"
    /// `{auth_ssf}`: SASL security layer strength.
    public static let authSSF: MacroName = "auth_ssf"
    /// `{cipher}`: cipher suite name.
    public static let cipher: MacroName = "cipher"
    /// `{tls_version}`: TLS protocol version.
    public static let tlsVersion: MacroName = "tls_version"
    /// `{cert_subject}`: peer certificate subject DN, xtext-encoded.
    public static let certSubject: MacroName = "cert_subject"
    /// `{cert_issuer}`: peer certificate issuer DN, xtext-encoded.
    public static let certIssuer: MacroName = "cert_issuer"
    /// `{cn_subject}`: CN of the subject, xtext-encoded.
    public static let cnSubject: MacroName = "cn_subject"
    /// `{cn_issuer}`: CN of the issuer, xtext-encoded.
    public static let cnIssuer: MacroName = "cn_issuer"
    /// `{cert_fp}`: certificate fingerprint.
    public static let certFingerprint: MacroName = "cert_fp"
    /// `{auth_type}`: SASL mechanism of a successful AUTH.
    public static let authType: MacroName = "auth_type"
    /// `{auth_authen}`: authenticated identity, xtext-encoded.
    public static let authAuthen: MacroName = "auth_authen"
    /// `{auth_author}`: `AUTH=` parameter of MAIL, as sent.
    public static let authAuthor: MacroName = "auth_author"
    /// `{client_name}`: SMTP client host name (or bracketed address literal).
    public static let clientName: MacroName = "client_name"
    /// `{client_addr}`: SMTP client address (`192.0.2.1`, `IPv6:…`).
    public static let clientAddr: MacroName = "client_addr"
    /// `{client_resolve}`: result of the client's forward/reverse check.
    public static let clientResolve: MacroName = "client_resolve"
    /// `{server_name}`: name of the server connected to (client side).
    public static let serverName: MacroName = "server_name"
    /// `{server_addr}`: address of the server connected to (client side).
    public static let serverAddr: MacroName = "server_addr"
    /// `{mail_from}`: sender as given (Debian cf).
    public static let mailFrom: MacroName = "mail_from"
    /// `$f`: envelope sender.
    public static let sender: MacroName = "f"
    /// `{TLS_Name}`: peer name stored by tls_client/tls_server/tls_rcpt for `CN` checks.
    public static let tlsName: MacroName = "TLS_Name"
}

/// What an SMTP session knows, as sendmail's macros: `{verify}`, `{cipher_bits}`, `{client_addr}`, …
///
/// Values are the exact strings sendmail would hold (certificate names stay xtext-encoded, see ``XText``).
/// A macro that is not set and a macro set to the empty string behave the same in the rulesets.
/// Typed accessors cover the macros the rulesets read; any other macro is carried by name with the subscript.
///
/// ```swift
/// var session = SessionMacros()
/// session.clientName = "mx.example.net"
/// session.clientAddress = .ipv4("192.0.2.7")
/// session.verify = .ok
/// session.cipherBits = 256
/// ```
public struct SessionMacros: Hashable, Sendable {
    /// Macros other than the ones in ``hot``.
    private var values: [MacroName: String]
    /// The macros every TLS decision reads, in fixed places: reading them hashes nothing.
    private(set) var hot = HotMacros()

    /// An empty session: no macro set.
    public init() { values = [:] }

    /// A session from name/value pairs.
    public init(_ values: [MacroName: String]) {
        self.values = [:]
        for (name, value) in values { self[name] = value }
    }

    /// Any macro by name; `nil` when unset. Setting `nil` clears it.
    public subscript(name: MacroName) -> String? {
        get {
            if let slot = HotMacros.Slot(name) { return hot[slot] }
            return values[name]
        }
        set {
            if let slot = HotMacros.Slot(name) {
                hot[slot] = newValue
            } else {
                values[name] = newValue
            }
        }
    }

    /// The value of a macro, or the empty string when unset (what a ruleset sees).
    public func value(_ name: MacroName) -> String { self[name] ?? "" }

    /// All set macros.
    public var all: [MacroName: String] {
        var all = values
        for slot in HotMacros.Slot.allCases { if let value = hot[slot] { all[slot.name] = value } }
        return all
    }

    /// The macro's value split into sendmail tokens, as a ruleset sees `$&{name}`.
    public func tokens(_ name: MacroName) -> [Token] {
        guard let value = self[name], !value.isEmpty else { return [] }
        return Tokenizer.tokenize(value)
    }
}

/// The macros the decisions' fast paths (TLS and check_rcpt) read (see ``SessionMacros``), held in one byte buffer: every set value's
/// UTF-8 bytes, slot after slot, with each slot's end offset inline.
///
/// One buffer instead of a `String` per macro: copying a session retains one reference instead of one per long
/// value, the values a decision reads sit together in one or two cache lines, and the fast paths read them in place
/// (``withBytes(_:_:)``) without making a `String`. The representation is canonical (slot order, unset slots
/// empty), so the synthesized equality compares contents.
struct HotMacros: Hashable, Sendable {
    /// The values' bytes, slot after slot.
    private var bytes: [UInt8] = []
    /// `ends[i]`: where slot `i`'s bytes end in ``bytes`` (they start where slot `i - 1`'s end).
    private var ends = SIMD16<UInt32>()
    /// Bit `i`: slot `i` is set (possibly to the empty string).
    private var present: UInt16 = 0

    /// `{deliveryMode}` (no public constant: only the relay rulesets read it).
    static let deliveryModeName: MacroName = "deliveryMode"

    /// At most 16 slots: ``ends`` holds one offset per slot.
    enum Slot: Int, CaseIterable {
        case clientName, clientAddr, serverName, serverAddr, verify, cipherBits, authSSF, cnSubject
        case clientResolve, authType, deliveryMode

        /// The slot of a macro name, if it has one (short names compare as two machine words).
        init?(_ name: MacroName) {
            switch name.rawValue {
            case "client_name": self = .clientName
            case "client_addr": self = .clientAddr
            case "server_name": self = .serverName
            case "server_addr": self = .serverAddr
            case "verify": self = .verify
            case "cipher_bits": self = .cipherBits
            case "auth_ssf": self = .authSSF
            case "cn_subject": self = .cnSubject
            case "client_resolve": self = .clientResolve
            case "auth_type": self = .authType
            case "deliveryMode": self = .deliveryMode
            default: return nil
            }
        }

        var name: MacroName {
            switch self {
            case .clientName: .clientName
            case .clientAddr: .clientAddr
            case .serverName: .serverName
            case .serverAddr: .serverAddr
            case .verify: .verify
            case .cipherBits: .cipherBits
            case .authSSF: .authSSF
            case .cnSubject: .cnSubject
            case .clientResolve: .clientResolve
            case .authType: .authType
            case .deliveryMode: HotMacros.deliveryModeName
            }
        }
    }

    @inline(__always)
    private func range(_ slot: Slot) -> Range<Int> {
        let i = slot.rawValue
        return (i == 0 ? 0 : Int(ends[i - 1]))..<Int(ends[i])
    }

    /// Whether the slot is set (possibly to the empty string).
    func isSet(_ slot: Slot) -> Bool { present & (1 << UInt16(slot.rawValue)) != 0 }

    /// Runs `body` on the slot's bytes in place (empty when unset).
    @inline(__always)
    func withBytes<R>(_ slot: Slot, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let r = range(slot)
        return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[r])) }
    }

    subscript(slot: Slot) -> String? {
        get {
            guard isSet(slot) else { return nil }
            return withBytes(slot) { String(decoding: $0, as: UTF8.self) }
        }
        set {
            assert(Slot.allCases.count <= 16, "one end offset per slot")
            let r = range(slot)
            let replacement = newValue.map { Array($0.utf8) } ?? []
            precondition(bytes.count - r.count + replacement.count <= Int(UInt32.max), "session macros under 4 GiB")
            bytes.replaceSubrange(r, with: replacement)
            let delta = Int64(replacement.count) - Int64(r.count)
            for i in slot.rawValue..<Slot.allCases.count {
                ends[i] = UInt32(truncatingIfNeeded: Int64(ends[i]) + delta)
            }
            let bit: UInt16 = 1 << UInt16(slot.rawValue)
            present = newValue == nil ? present & ~bit : present | bit
        }
    }

    var clientName: String? { self[.clientName] }
    var clientAddr: String? { self[.clientAddr] }
    var verify: String? { self[.verify] }
    var cnSubject: String? { self[.cnSubject] }
    var clientResolve: String? { self[.clientResolve] }
    var authType: String? { self[.authType] }
    var deliveryMode: String? { self[.deliveryMode] }
}

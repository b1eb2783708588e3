/// A tiny JSON writer for one-line objects (JSON Lines), with keys in the order written.
struct JSONObject {
    private var text = "{"
    private var first = true

    init() {}

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        text += Self.quote(name) + ":"
    }

    mutating func add(_ name: String, _ value: String?) {
        key(name)
        text += value.map(Self.quote) ?? "null"
    }

    mutating func add(_ name: String, _ value: Int?) {
        key(name)
        text += value.map(String.init) ?? "null"
    }

    mutating func add(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    mutating func add(_ name: String, strings: [String?]) {
        key(name)
        text += "[" + strings.map { $0.map(Self.quote) ?? "null" }.joined(separator: ",") + "]"
    }

    mutating func add(_ name: String, raw: String) {
        key(name)
        text += raw
    }

    mutating func add(_ name: String, objects: [JSONObject]) {
        key(name)
        text += "[" + objects.map(\.rendered).joined(separator: ",") + "]"
    }

    mutating func add(_ name: String, counts: [(String, Int)]) {
        var object = JSONObject()
        for (label, count) in counts { object.add(label, count) }
        add(name, raw: object.rendered)
    }

    var rendered: String { text + "}" }

    /// A JSON string literal (control characters escaped, non-ASCII kept as UTF-8).
    static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

import Foundation
import Testing

/// One conformance case read from `Fixtures/conformance/…/<case>.txt` (format: `Fixtures/conformance/README.md`).
struct ConformanceCase: Sendable, Hashable, CustomTestStringConvertible {
    /// One line of the script; `expected` is set for ruleset lines that carry a `=> ` line.
    struct ScriptLine: Sendable, Hashable {
        var text: String
        var expected: String?
        /// 1-based line number in the case file.
        var fileLine: Int
    }

    enum ParseError: Error, CustomStringConvertible {
        case expectationWithoutCommand(file: String, line: Int)
        case missingSection(file: String, section: String)

        var description: String {
            switch self {
            case .expectationWithoutCommand(let file, let line):
                "\(file):\(line): `=>` line without a ruleset line before it"
            case .missingSection(let file, let section):
                "\(file): missing `== \(section)` section"
            }
        }
    }

    var name: String
    var path: String
    var variant: String
    var mcLines: [String]
    var mapLines: [String]
    var script: [ScriptLine]
    /// `tempfail-marker:` header: the map is a socketmap failing for keys containing this text and entries valued
    /// `TMPF` (the engine runs with `--tempfail-marker`).
    var tempfailMarker: String? = nil

    var testDescription: String { name }

    /// The makemap source text (empty map: empty text).
    var mapText: String { mapLines.isEmpty ? "" : mapLines.joined(separator: "\n") + "\n" }

    /// The script as given to `accesspolicy bt` (expectation lines removed).
    var scriptText: String { script.map(\.text).joined(separator: "\n") + "\n" }

    /// Ruleset lines (the ones that produce output), in order.
    var commands: [ScriptLine] { script.filter { Self.isRulesetLine($0.text) } }

    static func isRulesetLine(_ line: String) -> Bool {
        let s = line.trimmingCharacters(in: .whitespaces)
        return !s.isEmpty && !s.hasPrefix("#") && !s.hasPrefix(".")
    }

    static func parse(path: String) throws -> ConformanceCase {
        // Byte-exact: case files may hold bytes that are not UTF-8 (sendmail treats text as bytes); Latin-1 maps
        // each byte to one character and back (Harness.run writes stdin and reads stdout the same way).
        let text = try String(contentsOfFile: path, encoding: .isoLatin1)
        var lines = text.components(separatedBy: "\n")
        if text.hasSuffix("\n") { lines.removeLast() }
        var section = "head"
        var result = ConformanceCase(
            name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent,
            path: path,
            variant: "default",
            mcLines: [],
            mapLines: [],
            script: []
        )
        var sawMap = false
        var sawScript = false
        for (index, raw) in lines.enumerated() {
            if raw == "== map" {
                section = "map"
                sawMap = true
                continue
            }
            if raw == "== script" {
                section = "script"
                sawScript = true
                continue
            }
            switch section {
            case "head":
                guard !raw.hasPrefix("#"), let colon = raw.firstIndex(of: ":") else { continue }
                let key = raw[..<colon].trimmingCharacters(in: .whitespaces)
                let value = raw[raw.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                switch key {
                case "case": result.name = value
                case "variant": result.variant = value
                case "mc": result.mcLines.append(value)
                case "tempfail-marker": result.tempfailMarker = value
                default: break
                }
            case "map":
                result.mapLines.append(raw)
            default:
                if raw.hasPrefix("=> ") || raw == "=>" {
                    guard let last = result.script.last, isRulesetLine(last.text), last.expected == nil else {
                        throw ParseError.expectationWithoutCommand(file: path, line: index + 1)
                    }
                    result.script[result.script.count - 1].expected = String(raw.dropFirst(3))
                } else {
                    result.script.append(ScriptLine(text: raw, expected: nil, fileLine: index + 1))
                }
            }
        }
        if !sawMap { throw ParseError.missingSection(file: path, section: "map") }
        if !sawScript { throw ParseError.missingSection(file: path, section: "script") }
        return result
    }
}

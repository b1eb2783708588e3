internal import Foundation
internal import Yams

extension PolicyTestFile {
    /// Reads a policy test file (format: `docs/policy-tests.md`); relative paths in it are resolved against its
    /// directory.
    ///
    /// - Throws: ``PolicyTestFileError`` with the position of the first problem (unknown keys are errors).
    public static func load(path: String) throws(PolicyTestFileError) -> PolicyTestFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PolicyTestFileError(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        var file = try parse(yaml: text, path: path)
        if let slash = path.lastIndex(of: "/") { file.directory = String(path[..<slash]) }
        return file
    }

    /// Parses a policy test document.
    ///
    /// - Parameters:
    ///   - yaml: The text.
    ///   - path: A name for messages.
    /// - Throws: ``PolicyTestFileError``.
    public static func parse(yaml: String, path: String = "<policy test>") throws(PolicyTestFileError) -> PolicyTestFile
    {
        let reader = NodeReader(path: path)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw PolicyTestFileError(path: path, reason: "not valid YAML: \(error)")
        }
        guard let root else { throw PolicyTestFileError(path: path, reason: "the file is empty") }
        var map: MapSource?
        var config = ConfigSource.baseline
        var description: String?
        var sessions: [PolicyTestSession] = []
        for (key, value) in try reader.mapping(root, "the document") {
            switch key {
            case "description": description = try reader.string(value, key)
            case "map": map = .path(try reader.string(value, key))
            case "map_text": map = .text(try reader.string(value, key))
            case "config":
                if value.mapping != nil {
                    do {
                        config = .yaml(try Yams.serialize(node: value))
                    } catch {
                        throw reader.error(value, "cannot read the inline configuration: \(error)")
                    }
                } else {
                    config = .path(try reader.string(value, key))
                }
            case "sessions":
                guard let sequence = value.sequence else { throw reader.error(value, "'sessions' must be a list") }
                for item in sequence { sessions.append(try reader.session(item)) }
            default:
                throw reader.error(value, "unknown key '\(key)' (known: description, map, map_text, config, sessions)")
            }
        }
        guard let map else { throw reader.error(root, "no 'map' (a file) or 'map_text' (makemap text)") }
        var file = PolicyTestFile(map: map, config: config, description: description, sessions: sessions)
        file.path = path
        return file
    }
}

private struct NodeReader {
    let path: String

    func error(_ node: Node, _ reason: String) -> PolicyTestFileError {
        PolicyTestFileError(path: path, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, reason: reason)
    }

    func mapping(_ node: Node, _ what: String) throws(PolicyTestFileError) -> [(String, Node)] {
        guard let mapping = node.mapping else { throw error(node, "\(what) must be a mapping of keys to values") }
        var pairs: [(String, Node)] = []
        var seen: Set<String> = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw error(key, "keys in \(what) must be plain text") }
            guard seen.insert(name).inserted else { throw error(key, "'\(name)' appears twice in \(what)") }
            pairs.append((name, value))
        }
        return pairs
    }

    func string(_ node: Node, _ key: String) throws(PolicyTestFileError) -> String {
        guard let scalar = node.scalar else { throw error(node, "'\(key)' must be a single value") }
        return scalar.string
    }

    func strings(_ node: Node, _ what: String) throws(PolicyTestFileError) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in try mapping(node, what) { result[key] = try string(value, key) }
        return result
    }

    func session(_ node: Node) throws(PolicyTestFileError) -> PolicyTestSession {
        var name: String?
        var macros: [String: String]?
        var log: String?
        var number: Int?
        var assume: [String: String] = [:]
        var expectations: [PolicyExpectation] = []
        for (key, value) in try mapping(node, "a session") {
            switch key {
            case "name": name = try string(value, key)
            case "macros": macros = try strings(value, "macros")
            case "log": log = try string(value, key)
            case "session":
                guard let n = Int(try string(value, key)), n >= 0 else {
                    throw error(value, "'session' is a session number (0 = the first session in the log)")
                }
                number = n
            case "assume": assume = try strings(value, "assume")
            case "expect":
                for (call, expected) in try mapping(value, "expect") {
                    expectations.append(PolicyExpectation(call, try string(expected, call)))
                }
            default:
                throw error(
                    value,
                    "unknown key '\(key)' in a session (known: name, macros, log, session, assume, expect)"
                )
            }
        }
        guard let name else { throw error(node, "a session needs a 'name'") }
        guard !expectations.isEmpty else { throw error(node, "session '\(name)' has no 'expect'") }
        switch (macros, log) {
        case (let macros?, nil):
            var session = PolicyTestSession(name: name, macros: macros, expectations: expectations)
            session.assume = assume
            return session
        case (nil, let log?):
            return PolicyTestSession(name: name, log: log, session: number, assume: assume, expectations: expectations)
        default:
            throw error(node, "session '\(name)' needs either 'macros' or 'log' (not both)")
        }
    }
}

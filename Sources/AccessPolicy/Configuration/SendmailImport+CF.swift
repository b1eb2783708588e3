extension SendmailImport {
    /// Imports a generated `sendmail.cf`.
    ///
    /// Class (`C`, `F`) lines, the access map's `K` line and `$j` (`Dj`) are translated directly. FEATUREs leave no
    /// name in a cf, so they are recognised by the rules they generate: the importer looks for each feature's
    /// characteristic rule shape and notes which it found. Rulesets it cannot attribute are not listed one by one.
    ///
    /// - Parameters:
    ///   - text: the cf's text.
    ///   - readFile: returns a class file's text, or `nil`.
    public static func importCF(
        _ text: String,
        readFile: (String) -> String? = { _ in nil }
    )
        -> SendmailImport
    {
        var file = ConfigFile()
        var notes: [Note] = []
        var mapSource: String?
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var rulesets: Set<String> = []
        func note(_ n: Int, _ line: String, _ kind: Note.Kind, _ reason: String) {
            notes.append(Note(line: n, text: line, kind: kind, reason: reason))
        }
        for (index, line) in lines.enumerated() {
            let n = index + 1
            guard let first = line.first else { continue }
            switch first {
            case "C":
                guard let (name, rest) = classHeader(line) else { continue }
                file.policy.add(rest.words, to: name)
                note(n, line, .translated, "class \(name)")
            case "F":
                guard let (name, rest) = classHeader(line) else { continue }
                var words = rest.words
                let optional = words.first == "-o"
                if optional { words.removeFirst() }
                guard let path = words.first else { continue }
                if let content = readFile(path) {
                    for fileLine in content.split(separator: "\n") {
                        if let word = String(fileLine.prefix { $0 != "#" }).words.first {
                            file.policy.add([word], to: name)
                        }
                    }
                    note(n, line, .translated, "class \(name) from \(path)")
                } else {
                    note(n, line, optional ? .translated : .notTranslated, "class file \(path) not readable")
                }
            case "K":
                let words = line.dropFirst().split(separator: " ").map(String.init)
                guard words.first == "access" else { continue }
                file.accessMapOptional = words.contains("-o")
                if let last = words.last, words.count > 2, !last.hasPrefix("-") {
                    mapSource = last
                    file.accessMapPath = last + ".db"
                }
                note(n, line, .translated, "access map")
            case "D":
                if line.hasPrefix("Dj") {
                    file.relay.hostName = String(line.dropFirst(2))
                    note(n, line, .translated, "host name ($j)")
                }
            case "S":
                let name = line.dropFirst().prefix { $0 != "=" && !$0.isWhitespace }
                rulesets.insert(String(name))
            default:
                continue
            }
        }
        let has = { (needle: String) in text.contains(needle) }
        var relay = file.relay
        relay.delayChecks = rulesets.contains("checkrcpt")
        if relay.delayChecks {
            relay.spamPolicy = has("<FRIEND>") ? .friend : has("<HATER>") ? .hater : .none
        }
        relay.relayHostsOnly = has("R$+ < @ $=R >\t\t$@ RELAY")
        relay.relayEntireDomain = has("R$+ < @ $* $=m >\t$@ RELAY")
        relay.blocklistRecipients = has("$#error $@ 5.2.1 $: ")
        relay.looseRelayCheck =
            !has("$>ParseRecipient $1\t\tstrip relayable hosts") && rulesets.contains("Rcpt_ok")
        relay.acceptUnqualifiedSenders = !has("Domain name required for sender address")
        relay.acceptUnresolvableDomains = !lines.contains { $0.hasPrefix("Kresolve ") }
        relay.useClientPTR = has("$&{client_ptr} $| $2")
        relay.authConfigured = has("Relaying denied. Proper authentication required.")
        if has("$>SearchList <! From> $| <F:$1@$2> <D:$2>") {
            relay.relayMailFrom = .domain
        } else if has("$>SearchList <! From> $| <F:$1@$2>") {
            relay.relayMailFrom = .address
        }
        relay.relayLocalFrom = has("R<?> $+ < @ $=w >\t$@ RELAY")
        if has("$(access $5:.$2 $: ? $)") { file.accessOptions.insert(.lookupDotDomain) }
        if has("R<SKIP> <$+> <$+> <$- $-> <$*>") { file.accessOptions.insert(.skip) }
        if has("$>SearchList <+ To> $| <F:$1@$2> <D:$2> <F:$1@>") {
            file.accessOptions.insert(.relayToFullAddress)
        }
        file.relay = relay
        if let j = relay.hostName { file.policy.add([j], to: "w") }
        notes.append(
            Note(
                line: 0,
                text: "(rulesets)",
                kind: .translated,
                reason: "features recognised from their rules; local rulesets are not reproduced"
            )
        )
        return SendmailImport(configuration: file, notes: notes, accessMapSource: mapSource)
    }

    /// `Cw words`, `C{Name} words`, `Fw path`, `F{Name} path` → (name, rest).
    static func classHeader(_ line: String) -> (String, String)? {
        let body = line.dropFirst()
        if body.first == "{" {
            guard let close = body.firstIndex(of: "}") else { return nil }
            return (
                String(body[body.index(after: body.startIndex)..<close]),
                String(body[body.index(after: close)...])
            )
        }
        guard let letter = body.first,
            letter.isLetter || letter.isNumber || letter == "." || letter == "["
        else {
            return nil
        }
        return (String(letter), String(body.dropFirst()))
    }
}

import AccessMap
import AccessPolicy
import Testing

@Suite("Test mode script handling")
struct TestModeInterpreterTests {
    func run(_ script: String, map: String = "") -> (output: [String], errors: [TestModeError]) {
        var interpreter = TestModeInterpreter(configuration: .reference, source: Support.memoryMap(map))
        return interpreter.run(script: script)
    }

    @Test("comments, blank lines, Start, and one line per ruleset call")
    func basics() {
        let (output, errors) = run(
            """
            # a comment

            .D{client_name}secure.example
            Start,tls_client OK $| MAIL
            tls_client FAIL
            trust_auth alice
            """,
            map: "TLS_Clt:secure.example\tENCR:64\n"
        )
        #expect(errors.isEmpty)
        #expect(
            output == [
                "$#error $@ 4.7.0 $: 454 encryption too weak 0 less than 64", "FAIL",
                "$#error $@ 5.7.1 $: 550 not authenticated",
            ]
        )
    }

    @Test("bad commands are LINE: reason errors; other lines still run")
    func errors() {
        let (output, errors) = run(".D\n.X foo\nRelayTLS x\nStart,a,b x\n")
        #expect(output == ["NO"])
        #expect(
            errors.map(\.description) == [
                "1: expected a macro name after .D", "2: unsupported command '.X'",
                "4: unsupported ruleset list 'Start,a,b'",
            ]
        )
    }

    // sendmail -bt: `Start,no_such_ruleset word` prints `Undefined ruleset no_such_ruleset` after the Start helper's
    // `returns: word`, so the recorded result is the input (one word of letters) or `OK` (anything else).
    @Test("an undefined ruleset prints its input in the contract notation, with a note")
    func undefinedRuleset() {
        var interpreter = TestModeInterpreter(configuration: .reference, source: EmptyAccessMapSource())
        #expect(
            interpreter.execute("Start,no_such_ruleset word", number: 3)
                == .undefinedRuleset(
                    result: "word",
                    note: TestModeError(
                        line: 3,
                        reason: "undefined ruleset 'no_such_ruleset' (printed the input, as sendmail -bt shows it)"
                    )
                )
        )
        let (output, errors) = run("no_such_ruleset <a@b.example>\nno_such_ruleset x, Yes\nno_such_ruleset a b\n")
        #expect(output == ["OK", "Yes", "OK"])
        #expect(errors.isEmpty)
    }

    @Test(".D values: # starts a comment after the first character, \\# is #, empty clears")
    func macroComments() {
        var interpreter = TestModeInterpreter(configuration: .reference, source: EmptyAccessMapSource())
        _ = interpreter.execute(".D{auth_authen}x48#@y{", number: 1)
        #expect(interpreter.macros.value(.authAuthen) == "x48")
        _ = interpreter.execute(".D{auth_authen}a\\#b c", number: 2)
        #expect(interpreter.macros.value(.authAuthen) == "a#b c")
        _ = interpreter.execute(".D{auth_authen}#x", number: 3)
        #expect(interpreter.macros.value(.authAuthen) == "#x")
        _ = interpreter.execute(".Dfsender@example.com", number: 4)
        #expect(interpreter.macros.value(.sender) == "sender@example.com")
        _ = interpreter.execute(".D{auth_authen}", number: 5)
        #expect(interpreter.macros.value(.authAuthen) == "")
    }

    @Test(".C adds words to a class (here TlsVerified, which tls_client consults)")
    func classes() {
        let (output, _) = run(
            "Start,tls_client MAYBE $| MAIL\n.C{TlsVerified}maybe\nStart,tls_client MAYBE $| MAIL\n",
            map: "TLS_Clt:\tVERIFY\n"
        )
        #expect(output == ["$#error $@ 4.7.0 $: 454 authentication failure", "OK"])
    }

    /// Recorded: sendmail -bt runs each comma-separated part and shows the last result; a macro with no tokens
    /// stops the ruleset (status 65) and the input is what remains.
    @Test("input address lists and rewrite failures")
    func sendmailInputQuirks() {
        let (output, _) = run(
            """
            Start,max a,,b
            Start,TLS_connection SOFTWARE $| <a,b>
            .D{client_name}(x
            Start,try_tls x
            .D{server_name}()
            Start,try_tls x
            """
        )
        #expect(output == ["b", "b", "OK", "x"])
    }

    @Test("{TLS_Name} set by tls_client persists to later lines")
    func persistentMacros() {
        var interpreter = TestModeInterpreter(configuration: .reference, source: EmptyAccessMapSource())
        _ = interpreter.execute(".D{client_name}peer.example", number: 1)
        _ = interpreter.execute("Start,tls_client OK $| MAIL", number: 2)
        #expect(interpreter.macros.value(.tlsName) == "peer.example")
    }

    // Recorded with sendmail -bt (map TLS_Rcpt:b.example VERIFY, TLS_Rcpt:c.example ENCR:128): `u@b.example\,u@c.example`
    // gives c.example's answer (split), `x\"y,u@c.example` too (`\"` opens no quote), `"x\"y,u@c.example` does not
    // split.
    @Test("address lists split at commas outside quotes; a backslash protects a quote, not a comma")
    func addressListSplitting() {
        let (output, errors) = run(
            """
            .D{verify}FAIL
            tls_rcpt u@b.example\\,u@c.example
            tls_rcpt x\\"y,u@c.example
            tls_rcpt "x\\"y,u@c.example
            """,
            map: "TLS_Rcpt:b.example\tVERIFY\nTLS_Rcpt:c.example\tENCR:128\n"
        )
        let weak = "$#error $@ 4.7.0 $: 454 encryption too weak 0 less than 128"
        let route = "$#error $@ 5.1.3 $: 553 Invalid route address$|<U:$#error$@5.1.3$:553 Invalid route address@><E:>"
        #expect(errors.isEmpty)
        #expect(output == [weak, weak, route])
    }
}

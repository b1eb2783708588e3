import AccessPolicy
import Testing

@Suite("Policy configuration file and sendmail import")
struct ConfigFileTests {
    @Test("keys are read; host name joins class w; TrustAuthMech changes the relay text")
    func parse() throws {
        let file = try ConfigFile.parse(
            yaml: """
                access_map:
                  path: /etc/mail/access.db
                  optional: false
                  options: [skip, lookupdotdomain]
                host:
                  name: mail.example.com
                  addresses: [192.0.2.25]
                classes:
                  R: [partner.example, "10.77"]
                  TrustAuthMech: PLAIN LOGIN
                features:
                  delay_checks: friend
                  relay_mail_from: domain
                  blocklist_recipients: yes
                """
        )
        #expect(file.accessMapPath == "/etc/mail/access.db")
        #expect(!file.accessMapOptional)
        #expect(file.accessOptions == [.skip, .lookupDotDomain])
        #expect(Set(file.policy.members(of: "w").words) == ["localhost", "mail.example.com", "[192.0.2.25]"])
        #expect(Set(file.policy.members(of: "R").words) == ["partner.example", "10.77"])
        #expect(file.relay.delayChecks && file.relay.spamPolicy == .friend)
        #expect(file.relay.relayMailFrom == .domain && file.relay.blocklistRecipients)
        #expect(
            file.relay.effectiveRelayMessage == "550 Relaying denied. Proper authentication required."
        )
    }

    @Test("unknown keys and bad values are errors with a position")
    func errors() {
        #expect(throws: ConfigFileError.self) {
            try ConfigFile.parse(yaml: "features:\n  relay_host_only: true\n")
        }
        do {
            _ = try ConfigFile.parse(yaml: "features:\n  delay_checks: sometimes\n")
            Issue.record("accepted a bad value")
        } catch {
            #expect(error.line == 2)
        }
    }

    @Test("rendered YAML reads back to the same configuration")
    func roundTrip() throws {
        var file = ConfigFile()
        file.accessMapPath = "/var/db/access.db"
        file.policy.add(["example.com", "no"], to: "w")
        file.policy.add(["10.77"], to: "R")
        file.relay.delayChecks = true
        file.relay.spamPolicy = .hater
        file.relay.rejectMessage = "550 go \"away\""
        file.accessOptions = [.relayToFullAddress]
        #expect(try ConfigFile.parse(yaml: file.renderYAML()) == file)
    }

    @Test("importing an .mc translates what it knows and names the rest")
    func importMC() {
        let mc = """
            divert(-1)dnl
            include(`/usr/share/sendmail/cf/m4/cf.m4')dnl
            OSTYPE(`debian')dnl
            FEATURE(`access_db', , `skip')dnl
            FEATURE(`delay_checks', `friend', `n')dnl
            FEATURE(`greet_pause', `1000')dnl 1 seconds
            TRUST_AUTH_MECH(`PLAIN LOGIN')dnl
            RELAY_DOMAIN(`relay.example 10.77')dnl
            define(`confRELAY_MSG', `"550 no relay"')dnl
            FEATURE(`use_cw_file')dnl
            """
        let result = SendmailImport.importMC(mc) { path in
            path == "/etc/mail/local-host-names" ? "localhost\nvm\n" : nil
        }
        let relay = result.configuration.relay
        #expect(result.configuration.accessMapPath == "/etc/mail/access.db")
        #expect(!result.configuration.accessMapOptional)
        #expect(result.configuration.accessOptions == [.skip])
        #expect(relay.delayChecks && relay.spamPolicy == .friend)
        #expect(Set(result.configuration.policy.members(of: "TrustAuthMech").words) == ["PLAIN", "LOGIN"])
        #expect(Set(result.configuration.policy.members(of: "R").words) == ["relay.example", "10.77"])
        #expect(Set(result.configuration.policy.members(of: "w").words) == ["localhost", "vm"])
        #expect(relay.relayMessage == "550 no relay")
        #expect(!relay.acceptUnresolvableDomains)
        #expect(result.notTranslated.map(\.line) == [6])
    }
}

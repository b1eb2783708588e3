import ArgumentParser

@main
struct AccessPolicyTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accesspolicy",
        abstract: "sendmail's access map and STARTTLS policy engine, natively in Swift.",
        version: "0.1.0",
        subcommands: [Makemap.self, Query.self, Config.self, BT.self]
    )
}

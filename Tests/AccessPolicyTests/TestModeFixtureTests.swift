import AccessMap
import AccessPolicy
import Foundation
import Testing

/// Whole `-bt` scripts against lines recorded from sendmail 8.17.1.9 (`Fixtures/engine/*`).
@Suite("Test mode against recorded sendmail output")
final class TestModeFixtureTests {
    let directory: URL

    init() throws { directory = try Support.makeDirectory("engine-fixtures") }
    deinit { try? FileManager.default.removeItem(at: directory) }

    static let fixtureNames = [
        "tls-basic", "tempfail", "random-tls", "random-tempfail", "random-perm", "random-options", "random-chaos",
        "random-chaos-2", "recipient-addresses", "articles",
    ]

    @Test("every ruleset line prints what sendmail printed", arguments: fixtureNames)
    func fixture(name: String) throws {
        let folder = Support.fixtures.appendingPathComponent("engine/\(name)")
        let access = try String(contentsOf: folder.appendingPathComponent("access.txt"), encoding: .utf8)
        let script = try String(contentsOf: folder.appendingPathComponent("script.txt"), encoding: .utf8)
        let expected = try String(contentsOf: folder.appendingPathComponent("expected.txt"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let flags = (try? String(contentsOf: folder.appendingPathComponent("flags.txt"), encoding: .utf8)) ?? ""

        let mapPath = directory.appendingPathComponent("\(name).db").path
        try Support.buildMap(text: access, at: mapPath)
        var configuration = PolicyConfiguration.reference
        configuration.features.tlsPermanentErrors = flags.contains("--tls-perm-err")
        if flags.contains("--skip") { configuration.features.accessLookup.insert(.skip) }
        if flags.contains("--lookupdotdomain") { configuration.features.accessLookup.insert(.lookupDotDomain) }
        var source: any AccessMapSource = try GDBMAccessMapSource(path: mapPath)
        if flags.contains("--tempfail-marker") {
            source = TemporaryFailureInjectingSource(base: source, marker: "tmpf")
        }

        var interpreter = TestModeInterpreter(configuration: configuration, source: source)
        let (output, errors) = interpreter.run(script: script)
        #expect(errors.isEmpty)
        #expect(output.count == expected.count)
        let commands = script.split(separator: "\n").filter { !$0.hasPrefix(".") && !$0.hasPrefix("#") }
        for (index, (ours, theirs)) in zip(output, expected).enumerated() where ours != theirs {
            Issue.record("\(name) #\(index + 1) `\(commands[index])`: expected `\(theirs)`, got `\(ours)`")
        }
    }
}

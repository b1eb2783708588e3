import AccessMap
import AccessPolicy
import AccessPolicyServer
import ArgumentParser
import Dispatch
import Logging
import NIOCore
import Synchronization

extension AccessPolicyTool {
    /// `accesspolicy serve`: the socket-map and Postfix policy servers.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the access map to sendmail/Postfix (socket map) and Postfix policy requests.",
            discussion: """
                Socket map (sendmail: FEATURE(`access_db', `socket -T<TMPF> inet:9901@127.0.0.1'); Postfix: \
                socketmap:inet:127.0.0.1:9901:NAME): map 'access' answers exact keys (sendmail's rulesets do the \
                search order); 'search' takes Tag:value and runs sendmail's search order; 'connect', 'from' and \
                'to' take what Postfix's check_*_access send and answer Postfix actions.
                Signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads a replaced map, SIGUSR1 logs the counters.
                """
        )

        @Option(name: .long, help: "The GDBM access map (built by makemap or accesspolicy); default: the config's.")
        var map: String?

        @Option(name: .long, help: "Policy configuration (YAML, see 'accesspolicy config import'): classes, features.")
        var config: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Postfix: declare the full issuer DN of a trusted CA by its CN: 'CN=DN' (xtext DN), repeatable.",
                discussion: "Postfix sends only the issuer CN; without this, CERTISSUER:/CI: checks fail closed."
            )
        )
        var postfixIssuer: [String] = []

        @Flag(name: .long, help: "Postfix does not ask clients for certificates (smtpd_tls_ask_ccert = no).")
        var postfixNoAskCertificate = false

        @Option(name: .long, help: "Socket-map listener: inet:PORT@HOST, HOST:PORT or unix:/path; 'none' to disable.")
        var socketmap: String = "inet:9901@127.0.0.1"

        @Option(name: .long, help: "Postfix policy listener, same forms; 'none' to disable.")
        var policy: String = "none"

        @Option(name: .long, help: "Counters listener (one line of text per connection); default none.")
        var stats: String = "none"

        @Option(name: .long, help: "Map name sendmail uses for exact look-ups.")
        var mapName: String = "access"

        @Flag(name: .long, help: "Do not lower-case keys of the exact map (a map built with makemap -f).")
        var noFoldCase = false

        @Flag(name: .long, help: "Map option lookupdotdomain for the search-order maps.")
        var lookupDotDomain = false

        @Flag(name: .long, help: "Map option skip for the search-order maps.")
        var skip = false

        @Flag(name: .long, help: "Allow listening on addresses other than loopback.")
        var allowRemote = false

        @Option(name: .long, help: "Most connections open at once.")
        var maxConnections = 512

        @Option(name: .long, help: "Largest request in bytes.")
        var maxRequestBytes = 65536

        @Option(name: .long, help: "Seconds before an idle connection is closed.")
        var idleTimeout = 300

        @Option(name: .long, help: "Seconds a started request has to complete.")
        var requestTimeout = 10

        @Option(name: .long, help: "Seconds between checks of the map file for replacement (0: only on SIGHUP).")
        var reloadInterval = 2

        @Option(name: .long, help: "Threads answering look-ups.")
        var threads = 4

        @Option(name: .long, help: "Log level: trace, debug, info (one line per decision), notice, warning, error.")
        var logLevel: String = "info"

        func validate() throws {
            guard Logger.Level(rawValue: logLevel) != nil else {
                throw ValidationError("unknown log level \(logLevel)")
            }
            for (name, text) in [("socketmap", socketmap), ("policy", policy), ("stats", stats)] where text != "none" {
                let address: ListenAddress
                do { address = try ListenAddress(parsing: text) } catch { throw ValidationError("--\(name): \(error)") }
                if !allowRemote, !address.isLocal {
                    throw ValidationError("--\(name) \(text) is not loopback; add --allow-remote to listen there")
                }
            }
            if socketmap == "none", policy == "none" {
                throw ValidationError("nothing to serve: give --socketmap or --policy")
            }
            if map == nil, config == nil { throw ValidationError("give --map (or --config naming the map)") }
            for entry in postfixIssuer where !entry.contains("=") {
                throw ValidationError("--postfix-issuer \(entry): expected CN=DN")
            }
        }

        /// The root command is synchronous, so this one bridges to the async server and blocks until it stops.
        func run() throws {
            let serve = self
            let outcome = ServeOutcome()
            let done = DispatchSemaphore(value: 0)
            Task {
                do { try await serve.serve() } catch { outcome.set(error) }
                done.signal()
            }
            done.wait()
            if let error = outcome.error { throw error }
        }

        func serve() async throws {
            var logger = Logger(label: "accesspolicy.serve")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            var file = try config.map { path throws in try ConfigFile.load(path: path) } ?? ConfigFile()
            guard let mapPath = map ?? file.accessMapPath else { throw ValidationError("no access map path") }
            // Checked for replacement by the server (every --reload-interval and on SIGHUP), which logs and counts.
            let source = try AutoReloadingAccessMapSource(
                existingFileAt: mapPath,
                storage: .gdbm(handleCount: max(2, threads)),
                checkInterval: nil
            )
            var options: AccessLookupOptions = [lookupDotDomain ? .lookupDotDomain : [], skip ? .skip : []]
            if file.accessOptions.contains(.skip) { options.insert(.skip) }
            if file.accessOptions.contains(.lookupDotDomain) { options.insert(.lookupDotDomain) }
            file.policy.features.accessLookup.formUnion(options)
            var issuers: [String: String] = [:]
            for entry in postfixIssuer {
                let parts = entry.split(separator: "=", maxSplits: 1)
                issuers[String(parts[0])] = String(parts[1])
            }
            let decider = SendmailPolicyDecider.standard(
                source: source,
                configuration: file,
                assumeCertificateRequested: !postfixNoAskCertificate,
                issuerDistinguishedNames: issuers
            )
            let server = try await AccessPolicyServer.start(
                configuration: .init(
                    socketmapAddress: socketmap == "none" ? nil : try ListenAddress(parsing: socketmap),
                    policyAddress: policy == "none" ? nil : try ListenAddress(parsing: policy),
                    statsAddress: stats == "none" ? nil : try ListenAddress(parsing: stats),
                    limits: ServerLimits(
                        maximumConnections: maxConnections,
                        maximumRequestBytes: maxRequestBytes,
                        idleTimeout: .seconds(Int64(idleTimeout)),
                        requestTimeout: .seconds(Int64(requestTimeout))
                    ),
                    reloadCheckInterval: reloadInterval > 0 ? .seconds(Int64(reloadInterval)) : nil,
                    threadCount: threads
                ),
                socketmap: SocketmapService.standard(
                    source: source,
                    exactMapName: mapName,
                    foldCase: !noFoldCase,
                    options: options
                ),
                policy: PolicyService(decider: decider),
                mapSource: source,
                logger: logger
            )
            await server.runUntilTerminated(logger: logger)
        }
    }
}

/// The error the async serve task ended with, handed back to the blocking `run()`.
private final class ServeOutcome: Sendable {
    private let stored = Mutex<(any Error)?>(nil)
    func set(_ error: any Error) { stored.withLock { $0 = error } }
    var error: (any Error)? { stored.withLock { $0 } }
}

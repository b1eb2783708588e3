public import AccessMap
import AccessPolicy
import GDBMStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A policy that cannot be loaded: unreadable configuration, missing or unreadable map, bad map text.
public struct PolicyLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, naming the file.
    public var description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

extension ReplayPolicy {
    /// Loads a policy: a GDBM access map (`.db` built by `accesspolicy makemap`) and an optional configuration
    /// file (`docs/configuration.md`).
    ///
    /// - Parameters:
    ///   - mapPath: The map; when `nil`, the configuration's `access_map.path`.
    ///   - configPath: The configuration file; `nil` = the baseline configuration.
    /// - Throws: ``PolicyLoadError`` when a file cannot be read, or when neither names a map. A map that does not
    ///   exist is an error here (a replay against a silently empty map would mislead).
    public static func load(mapPath: String?, configPath: String?) throws(PolicyLoadError) -> ReplayPolicy {
        var file = ConfigFile()
        if let configPath {
            do {
                file = try ConfigFile.load(path: configPath)
            } catch {
                throw PolicyLoadError("\(configPath): \(error)")
            }
        }
        guard let path = mapPath ?? file.accessMapPath else {
            throw PolicyLoadError("no access map: give --map FILE.db (or access_map.path in the configuration)")
        }
        var policy = ReplayPolicy(configuration: file, source: try openMap(path))
        policy.addressKeys = try? AddressKeyIndex.scan(gdbmPath: path)
        return policy
    }

    /// Opens a GDBM map for reading; an error names the file and the reason.
    public static func openMap(_ path: String) throws(PolicyLoadError) -> any AccessMapSource {
        guard access(path, R_OK) == 0 else {
            throw PolicyLoadError("\(path): cannot read the access map: \(String(cString: strerror(errno)))")
        }
        do {
            return try GDBMAccessMapSource(path: path)
        } catch {
            throw PolicyLoadError("\(path): not a GDBM access map (build it with accesspolicy makemap): \(error)")
        }
    }

    /// An in-memory map from makemap text (`KEY<white space>VALUE` lines), as makemap would build it (keys folded).
    ///
    /// - Throws: ``PolicyLoadError`` listing the lines makemap would reject.
    public static func mapSource(text: String, name: String = "<map>") throws(PolicyLoadError) -> any AccessMapSource {
        try mapSourceAndIndex(text: text, name: name).source
    }

    /// An in-memory map from makemap text and the index of its address keys.
    public static func mapSourceAndIndex(
        text: String,
        name: String = "<map>"
    ) throws(PolicyLoadError) -> (
        source: any AccessMapSource, addressKeys: AddressKeyIndex
    ) {
        let (entries, errors) = AccessMapParser().entries(in: Array(text.utf8))
        if !errors.isEmpty {
            throw PolicyLoadError(errors.map { "\(name):\($0)" }.joined(separator: "\n"))
        }
        var folded: [[UInt8]: [UInt8]] = [:]
        var index = AddressKeyIndex()
        for entry in entries where folded[entry.key] == nil {
            folded[entry.key] = entry.value
            index.add(key: entry.key)
        }
        return (InMemoryAccessMapSource(foldedEntries: folded), index)
    }
}

import Foundation

/// Whether sendmail would read a map below `path`: it refuses maps below a group- or world-writable directory (such
/// as /tmp or /var/tmp), so the oracle tests are reported skipped, with this reason, in a checkout below one.
///
/// - Returns: `true` when no directory from `path` up to `/` is group- or world-writable.
public func hasSendmailSafeAncestors(_ path: String) -> Bool {
    let parts = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
    return (1...parts.count).allSatisfy { n in
        let directory = NSString.path(withComponents: Array(parts.prefix(n)))
        let mode = (try? FileManager.default.attributesOfItem(atPath: directory))?[.posixPermissions] as? Int
        return (mode ?? 0) & 0o022 == 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A new database file built beside the one it replaces: created as a temporary file in the same directory,
/// moved over the target with `rename(2)` only after it was written and synced.
///
/// `rename` is atomic: a reader opening the path sees the old file or the new one, never half a file, and a
/// reader that has the old file open keeps reading it. If the process dies before the rename, the target is
/// untouched (a `kill -9` leaves the temporary file, named `.NAME.build-XXXXXX`, behind; every handled error
/// removes it).
final class MapFileReplacement {
    /// The file that will be replaced (symbolic links already resolved when they are allowed).
    let target: String
    /// The temporary file.
    let temporary: String
    private var done = false

    /// Checks the target and creates the temporary file.
    ///
    /// - Parameters:
    ///   - path: The database path.
    ///   - copyExisting: Start from a copy of the existing file (append mode); the file must exist.
    ///   - allowSymbolicLink: When `false`, a symbolic link at `path` is refused.
    init(path: String, copyExisting: Bool, allowSymbolicLink: Bool) throws(MapBuildError) {
        var target = path
        var info = stat()
        var exists = lstat(path, &info) == 0
        if exists && (info.st_mode & S_IFMT) == S_IFLNK {
            guard allowSymbolicLink else { throw .symbolicLink(path: path) }
            if let resolved = realpath(path, nil) {
                target = String(cString: resolved)
                free(resolved)
                exists = stat(target, &info) == 0
            } else {
                exists = false
            }
        }
        if copyExisting && !exists { throw .missingDatabase(path: path) }
        self.target = target

        let slash = target.lastIndex(of: "/")
        let directory = slash.map { String(target[..<$0]) } ?? "."
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(name).build-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw .cannotCreate(path: target, systemErrno: errno) }
        temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { close(fd) }

        // Same mode and owner as the file being replaced; a new map is 0640 as makemap makes it.
        if exists {
            _ = fchmod(fd, info.st_mode & 0o7777)
            if getuid() == 0 { _ = fchown(fd, info.st_uid, info.st_gid) }
        } else {
            _ = fchmod(fd, 0o640)
        }
        if copyExisting {
            let source = open(target, O_RDONLY | O_CLOEXEC)
            if source < 0 {
                let code = errno
                unlink(temporary)
                throw .cannotCreate(path: target, systemErrno: code)
            }
            defer { close(source) }
            if let code = Self.copy(from: source, to: fd) {
                unlink(temporary)
                throw .fileSystem(operation: "copy", path: temporary, systemErrno: code)
            }
        }
    }

    /// Syncs nothing itself (the database was synced through its handle): renames the temporary file over the
    /// target, then syncs the directory so the rename is durable.
    func commit() throws(MapBuildError) {
        if rename(temporary, target) != 0 {
            let code = errno
            unlink(temporary)
            done = true
            throw .fileSystem(operation: "rename", path: target, systemErrno: code)
        }
        done = true
        let slash = target.lastIndex(of: "/")
        let directory = slash.map { String(target[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    deinit {
        if !done { unlink(temporary) }
    }

    /// Copies a whole file; returns the errno of a failure.
    private static func copy(from source: Int32, to destination: Int32) -> Int32? {
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(source, buffer, size)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return nil }
            var written = 0
            while written < n {
                let w = write(destination, buffer + written, n - written)
                if w < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += w
            }
        }
    }
}

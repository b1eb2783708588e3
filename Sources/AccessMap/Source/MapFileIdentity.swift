#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which file a map path names right now: device, inode, size and modification time.
///
/// sendmail notices a rebuilt map by its file's modification time; builders (makemap, ``MapBuilder``) write a
/// new file and rename it over the old one, so the inode changes too. Two identities differ when any field does.
public struct MapFileIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The file system's device number (`st_dev`).
    public var device: UInt64
    /// The inode number (`st_ino`): a rebuilt map renamed into place has a new one.
    public var inode: UInt64
    /// The size in bytes (`st_size`).
    public var size: Int64
    /// Modification time, nanoseconds since the epoch.
    public var modified: Int64

    /// The identity of the file at `path` now (`stat`), or `nil` when it cannot be read.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    /// The identity of an open file (`fstat`), or `nil` on error.
    public init?(fileDescriptor: Int32) {
        var info = stat()
        guard fstat(fileDescriptor, &info) == 0 else { return nil }
        self.init(info)
    }

    private init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
    }

    public var description: String { "dev \(device) ino \(inode) size \(size) mtime \(modified)ns" }
}

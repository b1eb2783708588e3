public import AccessMap

/// The engine's ``AccessMapSource`` view of a ``MapSource``: every look-up reads the snapshot current when it
/// starts, so a whole ruleset evaluation normally sees one version of the map.
///
/// Keys are tried as given and with a trailing NUL (makemap `-N`), as ``GDBMAccessMapSource`` does; a read
/// error is a temporary failure (sendmail's `<TMPF>`).
public struct ReloadingAccessMapSource: AccessMapSource {
    /// The map being served.
    public let source: MapSource

    /// Creates the view.
    public init(source: MapSource) { self.source = source }

    public func lookup(foldedKey: UnsafeRawBufferPointer) -> AccessMapSourceResult {
        GDBMAccessMapSource(pool: source.current.readers).lookup(foldedKey: foldedKey)
    }

    /// A view pinned to one snapshot: use it for a whole decision so it cannot straddle a reload.
    public func pinned() -> GDBMAccessMapSource { GDBMAccessMapSource(pool: source.current.readers) }
}

/// How one line of access-map text is read: the grammar of sendmail's `makemap`, one line at a time.
///
/// - A line whose first byte is the comment character (default `#`) is skipped; a comment character anywhere
///   else is data.
/// - An empty line is skipped.
/// - Without a separator (``AccessMapSyntax/separator`` `nil`), a line starting with white space is an error,
///   the key is the bytes up to the first white-space byte, and the value is what follows the whole run of white
///   space after it (trailing white space included). With a separator byte, the key ends at the first separator
///   and the value starts after the run of separators that follows.
/// - Keys are folded to lower case (ASCII `A`–`Z` only) unless ``AccessMapSyntax/foldKeys`` is `false`.
/// - A key without a value is an error unless ``AccessMapSyntax/allowEmptyValues`` is set.
public enum AccessMapLine: Hashable, Sendable {
    /// Nothing to store: an empty or comment line.
    case skip
    /// A key and a value, as byte ranges of the line given to ``classify(_:syntax:line:)``.
    case entry(key: Range<Int>, value: Range<Int>)

    /// Splits one line (without its line end) into key and value.
    ///
    /// - Parameters:
    ///   - bytes: The line's bytes, without the line feed (and without a carriage return before it).
    ///   - syntax: Separator, comment character and empty-value policy.
    ///   - line: The line number to report in an error.
    /// - Returns: ``skip`` or the key and value ranges (the key is not folded here).
    /// - Throws: ``AccessMapSyntaxError`` for leading white space, an empty key, a missing value or a NUL byte.
    ///   Line length is checked by the parser, which sees the line before it is cut.
    public static func classify(
        _ bytes: UnsafeRawBufferPointer,
        syntax: AccessMapSyntax,
        line: Int
    ) throws(AccessMapSyntaxError) -> AccessMapLine {
        let count = bytes.count
        if count == 0 { return .skip }
        let first = bytes[0]
        if let comment = syntax.commentCharacter, first == comment { return .skip }
        var keyEnd = 0
        var valueStart = 0
        if let separator = syntax.separator {
            while keyEnd < count && bytes[keyEnd] != separator { keyEnd += 1 }
            valueStart = keyEnd
            while valueStart < count && bytes[valueStart] == separator { valueStart += 1 }
            if keyEnd == 0 { throw AccessMapSyntaxError(reason: .emptyKey, line: line, column: 1) }
        } else {
            if isWhiteSpace(first) { throw AccessMapSyntaxError(reason: .leadingWhiteSpace, line: line, column: 1) }
            while keyEnd < count && !isWhiteSpace(bytes[keyEnd]) { keyEnd += 1 }
            valueStart = keyEnd
            while valueStart < count && isWhiteSpace(bytes[valueStart]) { valueStart += 1 }
        }
        if let nul = firstNUL(bytes) {
            throw AccessMapSyntaxError(reason: .nulByte, line: line, column: nul + 1)
        }
        if valueStart == count && !syntax.allowEmptyValues {
            var key = Array(bytes[0..<keyEnd])
            if syntax.foldKeys { AccessMapKey.foldASCII(&key) }
            throw AccessMapSyntaxError(reason: .missingValue(key: key), line: line, column: keyEnd + 1)
        }
        return .entry(key: 0..<keyEnd, value: valueStart..<count)
    }

    /// C-locale `isspace`: space, tab, line feed, vertical tab, form feed, carriage return.
    @inline(__always)
    static func isWhiteSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    private static func firstNUL(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        guard let hit = memchrNUL(base, bytes.count) else { return nil }
        return hit
    }
}

/// Options of the line grammar (makemap's `-t`, `-D`, `-f`, `-e`).
public struct AccessMapSyntax: Hashable, Sendable {
    /// The byte that separates key and value (makemap `-t`); `nil` means any run of white space.
    public var separator: UInt8?
    /// Lines starting with this byte are comments (makemap `-D`); `nil` means no comment lines.
    public var commentCharacter: UInt8?
    /// Fold keys to ASCII lower case (makemap's default; `-f` turns it off).
    public var foldKeys: Bool
    /// Accept a key without a value and store an empty value (makemap `-e`).
    public var allowEmptyValues: Bool

    /// makemap's defaults: white-space separator, `#` comments, folded keys, values required.
    public init(
        separator: UInt8? = nil,
        commentCharacter: UInt8? = UInt8(ascii: "#"),
        foldKeys: Bool = true,
        allowEmptyValues: Bool = false
    ) {
        self.separator = separator
        self.commentCharacter = commentCharacter
        self.foldKeys = foldKeys
        self.allowEmptyValues = allowEmptyValues
    }
}

/// Key normalisation shared by the builder and by look-ups.
public enum AccessMapKey {
    /// Folds ASCII `A`–`Z` to `a`–`z` in place; other bytes (including every byte ≥ 0x80) are left alone,
    /// as sendmail does for maps built without `-f`.
    public static func foldASCII(_ bytes: inout [UInt8]) {
        for index in bytes.indices where bytes[index] &- 0x41 < 26 { bytes[index] |= 0x20 }
    }

    /// A copy of `bytes` folded with ``foldASCII(_:)``.
    public static func foldedASCII(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var copy = Array(bytes)
        foldASCII(&copy)
        return copy
    }
}

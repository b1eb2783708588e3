import RecordedSessions

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `Fixtures/logs` at the package root, found from this file's path.
func fixtureURL(_ name: String, filePath: String = #filePath) -> String {
    var parts = filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/RecordedSessionsTests/Support.swift
    return parts.joined(separator: "/") + "/Fixtures/logs/" + name
}

func readFixture(_ name: String) -> [UInt8] {
    let path = fixtureURL(name)
    let fd = open(path, O_RDONLY)
    precondition(fd >= 0, "missing fixture \(path)")
    defer { close(fd) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        result.append(contentsOf: buffer[0..<n])
    }
    return result
}

/// All sessions and the statistics of a run over bytes.
func sessions(
    of bytes: [UInt8],
    options: SessionAssembler.Options = .init()
) throws -> ([RecordedSession], ParseStatistics) {
    var stream = RecordedSessionStream(reader: LogLineReader(bytes: bytes), options: options)
    var result: [RecordedSession] = []
    try stream.forEachSession { result.append($0) }
    return (result.sorted { $0.sequenceNumber < $1.sequenceNumber }, stream.statistics)
}

func sessions(
    of text: String,
    options: SessionAssembler.Options = .init()
) throws -> (
    [RecordedSession], ParseStatistics
) {
    try sessions(of: Array(text.utf8), options: options)
}

extension ParseStatistics {
    /// Every line is accounted for exactly once.
    var accountsForEveryLine: Bool {
        linesRead == linesParsed + totalIgnored + totalUnparseable + continuationLinesJoined
    }
}

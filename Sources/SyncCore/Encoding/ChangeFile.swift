import Crypto

/// A file of changes carried by hand (a USB stick between a commune and its district when no
/// link comes up): magic, format version, count, length-prefixed changes, then a SHA-256 of
/// everything before it. Reading checks all of it before anything is applied.
public enum ChangeFile {
    static let magic = Array("TRECHG".utf8)
    static let version: UInt8 = 1
    /// Refuses files claiming more changes than this, before reading them.
    public static let maximumChanges = 5_000_000

    public static func encode(_ changes: [Change]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + changes.count * 200)
        writer.raw(magic)
        writer.byte(version)
        writer.varint(changes.count)
        for change in changes {
            let bytes = change.encoded()
            writer.varint(bytes.count)
            writer.raw(bytes)
        }
        writer.raw(Array(SHA256.hash(data: writer.bytes)))
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(FormatError) -> [Change] {
        let what = "change file"
        guard bytes.starts(with: magic) else {
            throw FormatError(what: what, offset: 0, reason: "not a Tre change file (wrong magic)")
        }
        guard bytes.count >= magic.count + 1 + 32 else {
            throw FormatError(what: what, offset: 0, reason: "too short to be a change file (\(bytes.count) bytes)")
        }
        guard bytes[magic.count] == version else {
            throw FormatError(what: what, offset: magic.count, reason: "unknown format version \(bytes[magic.count])")
        }
        let body = Array(bytes.prefix(bytes.count - 32))
        guard Array(SHA256.hash(data: body)) == Array(bytes.suffix(32)) else {
            throw FormatError(
                what: what, offset: body.count, reason: "checksum mismatch: the file is damaged or incomplete")
        }
        var reader = ByteReader(body, what: what)
        for _ in 0...magic.count { _ = try reader.byte() }
        let count = try reader.count(atMost: maximumChanges)
        var changes: [Change] = []
        changes.reserveCapacity(count)
        for _ in 0..<count {
            let length = try reader.count()
            let start = reader.offset
            changes.append(try Change.decode(from: &reader))
            guard reader.offset - start == length else { throw reader.fail("change length does not match its content") }
        }
        guard reader.isAtEnd else { throw reader.fail("trailing bytes after the last change") }
        return changes
    }
}

/// A file of change sets carried by hand (a USB stick between a commune and its district when
/// no link comes up):
///
///     magic "TRECHG" · version 2 · number of sets · for each set: its length · its bytes  (varints)
///
/// Each set is a change set exactly as it would cross the link (`ChangeSet+Wire.swift`): a
/// node's push sealed with its enrolment key, or what a hub would answer a peer's pull, sealed
/// with that peer's key. So a file proves who wrote it and shows nothing of its content to
/// whoever finds the stick, and it is applied through the same code as the sync. It needs no
/// checksum of its own: every set is authenticated, and `open` requires each set to start where
/// the one before it ended, so a set left out or moved is refused too.
///
/// Version 1 (a list of changes under a SHA-256, which anyone could write) is refused.
public struct ChangeFile: Hashable, Sendable {
    static let magic = Array("TRECHG".utf8)
    static let version: UInt8 = 2
    /// Refuses files claiming more sets than this, before reading them.
    public static let maximumSets = 10_000

    /// Each a sealed change set.
    public var sets: [[UInt8]]

    public init(sets: [[UInt8]]) {
        self.sets = sets
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + sets.reduce(0) { $0 + $1.count + 4 })
        writer.raw(Self.magic)
        writer.byte(Self.version)
        writer.varint(sets.count)
        for set in sets {
            writer.varint(set.count)
            writer.raw(set)
        }
        return writer.bytes
    }

    /// Splits a file into its sets, checking its framing and every length against `limits`.
    /// Nothing is authenticated yet: `open` does that.
    public init(bytes: [UInt8], limits: WireLimits = .standard) throws(FormatError) {
        let what = "change file"
        guard bytes.starts(with: Self.magic) else {
            throw FormatError(what: what, offset: 0, reason: "not a Tre change file (wrong magic)")
        }
        var reader = ByteReader(bytes, what: what)
        for _ in Self.magic { _ = try reader.byte() }
        let version = try reader.byte()
        guard version == Self.version else {
            throw FormatError(
                what: what, offset: Self.magic.count,
                reason: version < Self.version
                    ? "format version \(version) is no longer accepted: anyone could write one; "
                        + "export the changes again with this version of Tre, which seals them"
                    : "format version \(version) is newer than this program reads; upgrade Tre")
        }
        let count = try reader.count(atMost: Self.maximumSets)
        guard count > 0 else { throw reader.fail("a change file holds at least one change set") }
        var sets: [[UInt8]] = []
        sets.reserveCapacity(count)
        for index in 0..<count {
            let length = try reader.count()
            guard length <= limits.maximumWireBytes else {
                throw reader.fail(
                    "change set \(index + 1) is \(length) bytes, over the limit of \(limits.maximumWireBytes)")
            }
            sets.append(try reader.raw(length))
        }
        guard reader.isAtEnd else { throw reader.fail("bytes after the last change set") }
        self.sets = sets
    }

    /// What the first set's clear header claims (kind, sender): whose key to try. Not
    /// authenticated.
    public func header(limits: WireLimits = .standard) throws(WireError) -> ChangeSet.Header {
        try ChangeSet.header(of: sets[0], limits: limits)
    }

    /// Authenticates and decodes every set: each must be of `kind`, from `sender`, sealed with
    /// `key`, and start where the one before it ended. Throws on the first that is not.
    public func open(
        expecting kind: ChangeSet.Kind, from sender: OriginID, key: PeerKey, limits: WireLimits = .standard,
        dictionaries: [WireDictionary] = []
    ) throws(WireError) -> [ChangeSet] {
        var opened: [ChangeSet] = []
        opened.reserveCapacity(sets.count)
        for (index, bytes) in sets.enumerated() {
            let set = try ChangeSet.decode(
                bytes, expecting: kind, from: sender, limits: limits, dictionaries: dictionaries,
                key: { _ in key })  // `from: sender` refuses any other sender first
            if let previous = opened.last, set.from != previous.to {
                throw .malformed(
                    FormatError(
                        what: "change file", offset: index,
                        reason: "change set \(index + 1) starts after \(set.from), but the one before it ends at "
                            + "\(previous.to): a set is missing or out of order"))
            }
            opened.append(set)
        }
        return opened
    }
}

/// A bounded batch of changes as it crosses the network or sits in a file: the unit of push
/// and pull. See `ChangeSet+Wire.swift` for its bytes.
public struct ChangeSet: Hashable, Sendable {
    public enum Kind: UInt8, Hashable, Sendable {
        /// Sender → hub: the sender's own log entries after `from` up to `to`.
        case push = 1
        /// Hub → caller: the hub's log entries after `from` up to `to`, filtered to the caller.
        case pull = 2
    }

    public var kind: Kind
    public var sender: OriginID
    /// The log positions covered: after `from`, up to and including `to`, in the log of the
    /// replica that wrote the set (the sender for a push, the hub for a pull).
    public var from: UInt64
    public var to: UInt64
    /// For a pull: the hub has more after `to`.
    public var hasMore: Bool
    public var changes: [Change]

    public init(kind: Kind, sender: OriginID, from: UInt64, to: UInt64, hasMore: Bool = false, changes: [Change]) {
        self.kind = kind
        self.sender = sender
        self.from = from
        self.to = to
        self.hasMore = hasMore
        self.changes = changes
    }
}

/// Sizes a change set may not pass: on the wire (compressed) and once decompressed.
public struct WireLimits: Hashable, Sendable {
    public var maximumWireBytes: Int
    public var maximumPayloadBytes: Int
    public var maximumChanges: Int
    /// Values (nested ones included) in one set: each costs tens of bytes once decoded.
    public var maximumValues: Int
    /// How many times its sealed body a payload may be. Real sets compress 3–10×; a bomb
    /// compresses a thousandfold. With `maximumValues`, what one request can make the receiver
    /// allocate is bounded by what it sent.
    public var maximumExpansion: Int

    public init(
        maximumWireBytes: Int = 8 << 20, maximumPayloadBytes: Int = 64 << 20, maximumChanges: Int = 200_000,
        maximumValues: Int = 500_000, maximumExpansion: Int = 64
    ) {
        self.maximumWireBytes = maximumWireBytes
        self.maximumPayloadBytes = maximumPayloadBytes
        self.maximumChanges = maximumChanges
        self.maximumValues = maximumValues
        self.maximumExpansion = maximumExpansion
    }

    public static let standard = WireLimits()
}

/// Why a change set was refused. Each case names what is wrong; none carries record values.
public enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    case truncated(needed: Int, have: Int)
    case badMagic
    case unsupportedVersion(UInt8)
    case tooLarge(what: String, size: Int, limit: Int)
    case decompressionBomb(limit: Int)
    case corruptCompression(String)
    case badChecksum
    /// Compressed with a preset dictionary (named by its Adler-32) this program does not hold.
    case unknownDictionary(UInt32)
    /// The seal's tag does not verify: forged, damaged, or sealed with another key.
    case badSignature
    case wrongSender(expected: OriginID, got: OriginID)
    case unknownSender(OriginID)
    case wrongKind(expected: ChangeSet.Kind, got: UInt8)
    case malformed(FormatError)
    /// A push names `count` records by dots of the sender's own changes that the receiver does
    /// not hold (set aside, waiting, lost to a restore, or pushed before it kept an index).
    case unknownReference(count: Int)

    /// A short stable code, for JSON errors and fixtures.
    public var code: String {
        switch self {
        case .truncated: "truncated"
        case .badMagic: "bad_magic"
        case .unsupportedVersion: "unsupported_version"
        case .tooLarge: "too_large"
        case .decompressionBomb: "decompression_bomb"
        case .corruptCompression: "corrupt_compression"
        case .badChecksum: "bad_checksum"
        case .unknownDictionary: "unknown_dictionary"
        case .badSignature: "bad_signature"
        case .wrongSender: "wrong_sender"
        case .unknownSender: "unknown_sender"
        case .wrongKind: "wrong_kind"
        case .malformed: "malformed"
        case .unknownReference: "unknown_reference"
        }
    }

    public var description: String {
        switch self {
        case .truncated(let needed, let have): "change set truncated: needs at least \(needed) bytes, has \(have)"
        case .badMagic: "not a Tre change set (wrong magic number)"
        case .unsupportedVersion(let version) where version < ChangeSet.formatVersion:
            "change set format version \(version) is no longer accepted: since version \(ChangeSet.formatVersion) sets are "
                + "sealed (encrypted and authenticated); the sender runs an older version of Tre: upgrade it"
        case .unsupportedVersion(let version):
            "change set format version \(version) is newer than this program reads (\(ChangeSet.formatVersion)): "
                + "the sender runs a newer version of Tre; upgrade this one"
        case .tooLarge(let what, let size, let limit): "change set \(what) is \(size) bytes, over the limit of \(limit)"
        case .decompressionBomb(let limit):
            "change set decompresses past its declared size or the limit of \(limit) bytes"
        case .corruptCompression(let reason): "change set compression is corrupt: \(reason)"
        case .badChecksum: "change set checksum does not match its content"
        case .unknownDictionary(let id):
            "change set is compressed with dictionary \(String(id, radix: 16)), which this program does not have: "
                + "the sender runs a newer version of Tre; upgrade this one"
        case .badSignature:
            "change set does not authenticate with the sender's key: forged, damaged, or sealed with another key"
        case .wrongSender(let expected, let got): "change set is from \(got), expected \(expected)"
        case .unknownSender(let origin): "change set sender \(origin) is not enrolled here"
        case .wrongKind(let expected, let got): "change set kind \(got) where \(expected) was expected"
        case .malformed(let error): "change set content is malformed: \(error)"
        case .unknownReference(let count):
            "change set names \(count) record\(count == 1 ? "" : "s") by changes this hub does not hold; "
                + "send it again with every record's id"
        }
    }
}

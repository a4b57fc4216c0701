/// A 128-bit identifier in UUID layout, compared byte by byte (big-endian halves), so that the
/// order is the same as SQLite's `memcmp` order on the 16-byte blob.
public struct UUID128: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses the canonical `8-4-4-4-12` hexadecimal form (either case).
    public init?(string: String) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var nibbles = 0
        for (index, byte) in string.utf8.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            if nibbles < 16 {
                high = high << 4 | UInt64(value)
            } else {
                low = low << 4 | UInt64(value)
            }
            nibbles += 1
        }
        guard nibbles == 32, string.utf8.count == 36 else { return nil }
        self.init(high: high, low: low)
    }

    public init<Bytes: Collection<UInt8>>(bytes: Bytes) {
        precondition(bytes.count == 16, "a UUID is 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            out[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(index)))
            out[index + 8] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(index)))
        }
        return out
    }

    public var description: String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func < (lhs: UUID128, rhs: UUID128) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Time and randomness
    /// are injected so identities can be replayed in tests.
    public static func version7(
        unixMillis: UInt64, using generator: inout some RandomNumberGenerator
    ) -> UUID128 {
        let randA = generator.next() & 0x0fff
        let randB = generator.next() & 0x3fff_ffff_ffff_ffff
        let high = (unixMillis & 0xffff_ffff_ffff) << 16 | 0x7000 | randA
        let low = 0x8000_0000_0000_0000 | randB
        return UUID128(high: high, low: low)
    }
}

/// The identity of a replica (a node or a hub): every change it makes carries it.
public struct OriginID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let uuid: UUID128
    public init(_ uuid: UUID128) { self.uuid = uuid }
    public init?(string: String) {
        guard let uuid = UUID128(string: string) else { return nil }
        self.uuid = uuid
    }
    public var description: String { uuid.description }
    public static func < (lhs: OriginID, rhs: OriginID) -> Bool { lhs.uuid < rhs.uuid }
}

/// The identity of a record, a UUIDv7 made offline by the replica that created it.
public struct RecordID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let uuid: UUID128
    public init(_ uuid: UUID128) { self.uuid = uuid }
    public init?(string: String) {
        guard let uuid = UUID128(string: string) else { return nil }
        self.uuid = uuid
    }
    public var description: String { uuid.description }
    public static func < (lhs: RecordID, rhs: RecordID) -> Bool { lhs.uuid < rhs.uuid }
}

/// `(origin, counter)`: the identity of one change everywhere.
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let origin: OriginID
    public let counter: UInt64
    public init(origin: OriginID, counter: UInt64) {
        self.origin = origin
        self.counter = counter
    }
    public var description: String { "\(origin)@\(counter)" }

    /// Reads the form `description` prints: `ORIGIN@COUNTER`.
    public init?(_ text: String) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let origin = OriginID(string: String(parts[0])), let counter = UInt64(parts[1]),
            counter > 0
        else { return nil }
        self.init(origin: origin, counter: counter)
    }

    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        (lhs.origin, lhs.counter) < (rhs.origin, rhs.counter)
    }
}

/// A record's address: its collection and id.
public struct RecordKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let collection: String
    public let id: RecordID
    public init(collection: String, id: RecordID) {
        self.collection = collection
        self.id = id
    }
    public var description: String { "\(collection)/\(id)" }
    /// Byte order of the UTF-8 collection name, then the id: the order SQLite sorts them in.
    public static func < (lhs: RecordKey, rhs: RecordKey) -> Bool {
        if lhs.collection != rhs.collection {
            return lhs.collection.utf8.lexicographicallyPrecedes(rhs.collection.utf8)
        }
        return lhs.id < rhs.id
    }
}

/// Appends an explicitly ordered binary encoding: LEB128 varints, length-prefixed UTF-8 and
/// big-endian fixed-width integers.
package struct ByteWriter {
    package var bytes: [UInt8]

    package init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    package mutating func byte(_ value: UInt8) { bytes.append(value) }

    package mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    package mutating func varint(_ value: Int) { varint(UInt64(value)) }

    package mutating func zigzag(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    package mutating func fixed64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    package mutating func uuid(_ value: UUID128) {
        fixed64(value.high)
        fixed64(value.low)
    }

    package mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            varint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    package mutating func raw(_ other: [UInt8]) { bytes.append(contentsOf: other) }
    package mutating func raw(_ other: UnsafeRawBufferPointer) { bytes.append(contentsOf: other) }
}

/// Why a byte sequence could not be decoded, and where.
public struct FormatError: Error, Hashable, Sendable, CustomStringConvertible {
    public let what: String
    public let offset: Int
    public let reason: String

    public init(what: String, offset: Int, reason: String) {
        self.what = what
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "malformed \(what) at byte \(offset): \(reason)" }
}

/// Reads what `ByteWriter` wrote, checking every length against what is left.
package struct ByteReader {
    private let bytes: [UInt8]
    package private(set) var offset: Int
    private let what: String
    /// How many more values (`FieldValue`s, nested ones included) this reader may decode: a
    /// value of one byte costs tens in memory, so a peer's input is bounded by count too.
    package var valueBudget = Int.max

    package init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.offset = 0
        self.what = what
    }

    package var isAtEnd: Bool { offset == bytes.count }
    package var remaining: Int { bytes.count - offset }

    package func fail(_ reason: String) -> FormatError {
        FormatError(what: what, offset: offset, reason: reason)
    }

    package mutating func byte() throws(FormatError) -> UInt8 {
        guard offset < bytes.count else { throw fail("unexpected end") }
        defer { offset += 1 }
        return bytes[offset]
    }

    package mutating func varint() throws(FormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            if shift == 63 && next > 1 { throw fail("varint overflows 64 bits") }
            result |= UInt64(next & 0x7f) << shift
            if next & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A varint used as a count or length: never more than what remains, so a corrupt length
    /// cannot make the reader allocate more than the input's size.
    package mutating func count(atMost limit: Int? = nil) throws(FormatError) -> Int {
        let value = try varint()
        let bound = min(limit ?? Int.max, remaining)
        guard value <= UInt64(bound) else { throw fail("length \(value) exceeds the \(bound) bytes left") }
        return Int(value)
    }

    package mutating func zigzag() throws(FormatError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    package mutating func fixed64() throws(FormatError) -> UInt64 {
        guard remaining >= 8 else { throw fail("unexpected end") }
        var value: UInt64 = 0
        for index in offset..<offset + 8 { value = value << 8 | UInt64(bytes[index]) }
        offset += 8
        return value
    }

    package mutating func uuid() throws(FormatError) -> UUID128 {
        let high = try fixed64()
        return UUID128(high: high, low: try fixed64())
    }

    /// The next `count` bytes as they are.
    package mutating func raw(_ count: Int) throws(FormatError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw fail("unexpected end") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    package mutating func string() throws(FormatError) -> String {
        let length = try count()
        let slice = bytes[offset..<offset + length]
        guard let text = String(validating: slice, as: UTF8.self) else { throw fail("invalid UTF-8") }
        offset += length
        return text
    }
}

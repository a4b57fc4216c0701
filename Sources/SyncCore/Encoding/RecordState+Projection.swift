/// The shown values of a few named fields of a record, read from its stored state's bytes in
/// one pass without building the `RecordState` (every value of every field, with its writer):
/// what a report reading a province's records needs of each. The values are those
/// `RecordState.value(_:)` gives, the winner of concurrent ones included.
public struct ProjectedRecord: Sendable {
    /// The fields asked for, in the order given.
    public let fields: [String]
    var values: [FieldValue?]
    /// The owning unit (`@unit`).
    public internal(set) var unit: String?
    /// Whether the record is deleted (`@deleted` shows true).
    public internal(set) var isDeleted: Bool

    init(fields: [String]) {
        self.fields = fields
        values = Array(repeating: nil, count: fields.count)
        unit = nil
        isDeleted = false
    }

    /// The shown value of `name`, which must be one of `fields` (asking for another is a
    /// programming error: it reads as missing, and stops a debug build).
    public func value(_ name: String) -> FieldValue? {
        for index in fields.indices where fields[index] == name { return values[index] }
        assertionFailure("the field \(name) was not read: add it to the fields asked for")
        return nil
    }
}

/// Reads `ProjectedRecord`s from stored state bytes (the format of `RecordState.encoded()`),
/// reusing its buffers from one record to the next.
package struct StateProjector {
    private let names: [[UInt8]]
    private var record: ProjectedRecord
    /// Per field asked for (then `@unit`, `@deleted`): the writer of the value kept so far.
    private var best: [Int]
    private var writers: [(origin: Int, counter: UInt64, wall: UInt64, logical: UInt64)] = []
    private var origins: [UUID128] = []

    package init(fields: [String]) {
        names = (fields + [ReservedField.unit, ReservedField.deleted]).map { Array($0.utf8) }
        record = ProjectedRecord(fields: fields)
        best = Array(repeating: -1, count: names.count)
    }

    /// The record a scan lent.
    package mutating func read(_ lent: LentRecord) throws(FormatError) -> ProjectedRecord {
        switch lent {
        case .state(let bytes): return try read(bytes)
        case .creation(let bytes): return try read(creation: bytes)
        }
    }

    /// The record a plain creation made, from the change's bytes (`Change.encoded()`): each
    /// field has the one value the change wrote.
    package mutating func read(creation bytes: UnsafeRawBufferPointer) throws(FormatError) -> ProjectedRecord {
        var reader = RawReader(bytes, what: "change")
        guard try CreationHeader(&reader, of: bytes).dependsOnNothing else {
            throw reader.fail("a record's creation depends on other changes")
        }
        var values = [FieldValue?](repeating: nil, count: names.count)
        let fieldCount = names.count - 2
        for _ in 0..<(try reader.count()) {
            let wanted = matching(try reader.bytes(try reader.count()))
            guard let wanted else {
                try reader.skipValue()
                continue
            }
            guard wanted != fieldCount + 1 else { throw reader.fail("a record's creation deletes it") }
            values[wanted] = try reader.value()
        }
        guard reader.isAtEnd else { throw reader.fail("trailing bytes") }
        record.unit = values[fieldCount]?.stringValue
        record.isDeleted = false
        values.removeLast(2)
        record.values = values
        return record
    }

    /// The record whose state is `bytes`.
    package mutating func read(_ bytes: UnsafeRawBufferPointer) throws(FormatError) -> ProjectedRecord {
        var reader = RawReader(bytes)
        let format = try reader.byte()
        guard format == RecordState.formatVersion else { throw reader.fail("unknown record format \(format)") }
        origins.removeAll(keepingCapacity: true)
        for _ in 0..<(try reader.count()) {
            origins.append(try reader.uuid())
            _ = try reader.varint()
        }
        writers.removeAll(keepingCapacity: true)
        for _ in 0..<(try reader.count()) {
            let origin = try reader.varint()
            guard origin < UInt64(origins.count) else { throw reader.fail("origin index \(origin) out of range") }
            writers.append((Int(origin), try reader.varint(), try reader.varint(), try reader.varint()))
        }
        var values = [FieldValue?](repeating: nil, count: names.count)
        for index in best.indices { best[index] = -1 }
        for _ in 0..<(try reader.count()) {
            let wanted = matching(try reader.bytes(try reader.count()))
            for _ in 0..<(try reader.count()) {
                let writer = try reader.varint()
                guard writer < UInt64(writers.count) else { throw reader.fail("writer index \(writer) out of range") }
                switch try reader.byte() {
                case 0: break
                case 1:
                    for _ in 0..<(try reader.count()) {
                        _ = try reader.varint()
                        _ = try reader.varint()
                    }
                default: throw reader.fail("bad context flag")
                }
                guard let wanted else {
                    try reader.skipValue()
                    continue
                }
                let value = try reader.value()
                if best[wanted] < 0 || shows(Int(writer), over: best[wanted]) {
                    best[wanted] = Int(writer)
                    values[wanted] = value
                }
            }
        }
        guard reader.isAtEnd else { throw reader.fail("trailing bytes") }
        let fieldCount = names.count - 2
        record.unit = values[fieldCount]?.stringValue
        record.isDeleted = values[fieldCount + 1] == .bool(true)
        values.removeLast(2)
        record.values = values
        return record
    }

    /// The index of the field named by `name` among those asked for.
    private func matching(_ name: UnsafeRawBufferPointer) -> Int? {
        for (index, candidate) in names.enumerated() where candidate.count == name.count {
            if candidate.withUnsafeBytes({ $0.elementsEqual(name) }) { return index }
        }
        return nil
    }

    /// `FieldEntry.showsOver`: the higher (stamp, origin, counter) is shown.
    private func shows(_ writer: Int, over other: Int) -> Bool {
        let (a, b) = (writers[writer], writers[other])
        return (a.wall, a.logical, origins[a.origin], a.counter) > (b.wall, b.logical, origins[b.origin], b.counter)
    }
}

/// `ByteReader` over borrowed bytes: a stored state read where SQLite holds it.
struct RawReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    private let what: String

    init(_ bytes: UnsafeRawBufferPointer, what: String = "record state") {
        self.bytes = bytes
        self.what = what
    }

    var isAtEnd: Bool { offset == bytes.count }
    /// How many bytes were read so far.
    var position: Int { offset }

    func fail(_ reason: String) -> FormatError { FormatError(what: what, offset: offset, reason: reason) }

    mutating func byte() throws(FormatError) -> UInt8 {
        guard offset < bytes.count else { throw fail("unexpected end") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(FormatError) -> UInt64 {
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

    /// A varint used as a count or length: never more than what remains.
    mutating func count() throws(FormatError) -> Int {
        let value = try varint()
        guard value <= UInt64(bytes.count - offset) else { throw fail("length \(value) exceeds the bytes left") }
        return Int(value)
    }

    mutating func bytes(_ count: Int) throws(FormatError) -> UnsafeRawBufferPointer {
        guard count <= bytes.count - offset else { throw fail("unexpected end") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func uuid() throws(FormatError) -> UUID128 { UUID128(bytes: try bytes(16)) }

    private static let stringTag: UInt8 = 5

    /// `FieldValue.decode`, for the values asked for.
    mutating func value(depth: Int = 0) throws(FormatError) -> FieldValue {
        guard depth < 64 else { throw fail("value nested deeper than 64 levels") }
        switch try byte() {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3:
            let raw = try varint()
            return .int(Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1))
        case 4: return .double(Double(bitPattern: try fixed64()))
        case Self.stringTag: return .string(try string())
        case 6:
            let count = try count()
            var values: [FieldValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try value(depth: depth + 1)) }
            return .array(values)
        case 7:
            var members: [String: FieldValue] = [:]
            for _ in 0..<(try count()) {
                let key = try string()
                members[key] = try value(depth: depth + 1)
            }
            return .object(members)
        case let tag: throw fail("unknown value tag \(tag)")
        }
    }

    /// Steps over a value without making it.
    mutating func skipValue(depth: Int = 0) throws(FormatError) {
        guard depth < 64 else { throw fail("value nested deeper than 64 levels") }
        switch try byte() {
        case 0, 1, 2: break
        case 3: _ = try varint()
        case 4: _ = try fixed64()
        case Self.stringTag: _ = try bytes(try count())
        case 6: for _ in 0..<(try count()) { try skipValue(depth: depth + 1) }
        case 7:
            for _ in 0..<(try count()) {
                _ = try bytes(try count())
                try skipValue(depth: depth + 1)
            }
        case let tag: throw fail("unknown value tag \(tag)")
        }
    }

    private mutating func fixed64() throws(FormatError) -> UInt64 {
        var value: UInt64 = 0
        for byte in try bytes(8) { value = value << 8 | UInt64(byte) }
        return value
    }

    private mutating func string() throws(FormatError) -> String {
        let utf8 = try bytes(try count()).assumingMemoryBound(to: UInt8.self)
        // Codes, dates and moments are ASCII, valid as they are: only other text is validated.
        if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
        guard let text = String(validating: utf8, as: UTF8.self) else { throw fail("invalid UTF-8") }
        return text
    }
}

extension FieldValue {
    private enum Tag: UInt8 {
        case null = 0
        case `false`, `true`, int, double, string, array, object
    }

    /// Canonical binary form: object keys sorted by UTF-8 bytes, so equal values encode equally.
    package func encode(into writer: inout ByteWriter) {
        switch self {
        case .null: writer.byte(Tag.null.rawValue)
        case .bool(let value): writer.byte(value ? Tag.true.rawValue : Tag.false.rawValue)
        case .int(let value):
            writer.byte(Tag.int.rawValue)
            writer.zigzag(value)
        case .double(let value):
            writer.byte(Tag.double.rawValue)
            writer.fixed64(value.bitPattern)
        case .string(let value):
            writer.byte(Tag.string.rawValue)
            writer.string(value)
        case .array(let values):
            writer.byte(Tag.array.rawValue)
            writer.varint(values.count)
            for value in values { value.encode(into: &writer) }
        case .object(let members):
            writer.byte(Tag.object.rawValue)
            writer.varint(members.count)
            for key in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                writer.string(key)
                members[key]!.encode(into: &writer)
            }
        }
    }

    package static func decode(from reader: inout ByteReader, depth: Int = 0) throws(FormatError) -> FieldValue {
        guard depth < 64 else { throw reader.fail("value nested deeper than 64 levels") }
        guard reader.valueBudget > 0 else { throw reader.fail("more values than this input may hold") }
        reader.valueBudget -= 1
        let raw = try reader.byte()
        guard let tag = Tag(rawValue: raw) else { throw reader.fail("unknown value tag \(raw)") }
        switch tag {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .int(try reader.zigzag())
        case .double: return .double(Double(bitPattern: try reader.fixed64()))
        case .string: return .string(try reader.string())
        case .array:
            let count = try reader.count()
            var values: [FieldValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try decode(from: &reader, depth: depth + 1)) }
            return .array(values)
        case .object:
            let count = try reader.count()
            var members: [String: FieldValue] = [:]
            for _ in 0..<count {
                let key = try reader.string()
                members[key] = try decode(from: &reader, depth: depth + 1)
            }
            return .object(members)
        }
    }
}

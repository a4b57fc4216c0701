extension Change {
    static let formatVersion: UInt8 = 1

    /// A self-contained binary form of one change, used for the change log and parked changes.
    /// Field names are sorted, so one change always has one encoding.
    package func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        encode(into: &writer)
        return writer.bytes
    }

    package func encode(into writer: inout ByteWriter) {
        writer.byte(Self.formatVersion)
        writer.uuid(dot.origin.uuid)
        writer.varint(dot.counter)
        writer.varint(stamp.wallMillis)
        writer.varint(UInt64(stamp.logical))
        writer.string(collection)
        writer.uuid(record.uuid)
        writer.string(unit)
        writer.varint(context.entries.count)
        for entry in context.entries {
            writer.uuid(entry.origin.uuid)
            writer.varint(entry.counter)
        }
        writer.varint(self.set.count)
        for slot in self.set.elements {
            writer.string(slot.name)
            slot.value.encode(into: &writer)
        }
    }

    package init(encoded bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes, what: "change")
        self = try Change.decode(from: &reader)
        guard reader.isAtEnd else { throw reader.fail("trailing bytes") }
    }

    package static func decode(from reader: inout ByteReader) throws(FormatError) -> Change {
        let format = try reader.byte()
        guard format == formatVersion else { throw reader.fail("unknown change format \(format)") }
        let origin = OriginID(try reader.uuid())
        let counter = try reader.varint()
        let wall = try reader.varint()
        let logical = try reader.varint()
        guard logical <= UInt64(UInt32.max) else { throw reader.fail("logical clock overflows") }
        let collection = try reader.string()
        let record = RecordID(try reader.uuid())
        let unit = try reader.string()
        var context = VersionVector()
        for _ in 0..<(try reader.count()) {
            let item = OriginID(try reader.uuid())
            context[item] = try reader.varint()
        }
        var set: [FieldMap<FieldValue>.Slot] = []
        let count = try reader.count()
        set.reserveCapacity(count)
        for _ in 0..<count {
            let name = try reader.string()
            guard set.last.map({ $0.name < name }) ?? true else { throw reader.fail("field names not sorted") }
            set.append(FieldMap.Slot(name: name, value: try FieldValue.decode(from: &reader)))
        }
        return Change(
            dot: Dot(origin: origin, counter: counter), stamp: Stamp(wallMillis: wall, logical: UInt32(logical)),
            collection: collection, record: record, unit: unit, context: context, set: FieldMap(sorted: set))
    }
}

extension RecordState {
    /// Whether the change whose bytes (`Change.encoded()`) are `change` is of `key` and depends
    /// on nothing: what a store checks before it lends a record's creation as the record
    /// (`LentRecord.creation`; one born deleted is refused by whoever reads the fields).
    package static func isCreationHeader(_ change: UnsafeRawBufferPointer, of key: RecordKey) throws(FormatError)
        -> Bool
    {
        var reader = RawReader(change, what: "change")
        let format = try reader.byte()
        guard format == Change.formatVersion else { throw reader.fail("unknown change format \(format)") }
        _ = try reader.bytes(16)
        for _ in 0..<3 { _ = try reader.varint() }  // counter, wall and logical clocks
        guard try reader.bytes(try reader.count()).elementsEqual(key.collection.utf8),
            try reader.uuid() == key.id.uuid
        else { return false }
        _ = try reader.bytes(try reader.count())
        return try reader.varint() == 0
    }

    /// `encodedCreation(by:)` of the change whose bytes (`Change.encoded()`) are `change`, made
    /// from those bytes without building the change: a store that holds a record by its
    /// creation's log entry (`records.born`) hands every such record to a scan (a province's
    /// report, the search index, a state hash) this way, and most of a hub's records are held so.
    /// Nil when the bytes are not a plain creation of `key` (another record's change, one
    /// depending on others, one born deleted): a row pointing at the wrong entry.
    package static func encodedCreation(fromChange change: UnsafeRawBufferPointer, of key: RecordKey)
        throws(FormatError) -> [UInt8]?
    {
        var reader = RawReader(change, what: "change")
        let format = try reader.byte()
        guard format == Change.formatVersion else { throw reader.fail("unknown change format \(format)") }
        let origin = try reader.bytes(16)
        let header = reader.position
        _ = try reader.varint()  // counter
        let counterEnd = reader.position
        _ = try reader.varint()  // wall clock
        _ = try reader.varint()  // logical clock
        let stampEnd = reader.position
        guard try reader.bytes(try reader.count()).elementsEqual(key.collection.utf8),
            try reader.uuid() == key.id.uuid
        else { return nil }
        _ = try reader.bytes(try reader.count())  // the unit the change was labelled with
        guard try reader.varint() == 0 else { return nil }  // depends on nothing
        let fieldCount = try reader.count()
        var writer = ByteWriter(capacity: change.count + fieldCount * 3)
        writer.byte(formatVersion)
        writer.varint(1)
        writer.raw(origin)
        let counter = UnsafeRawBufferPointer(rebasing: change[header..<counterEnd])
        writer.raw(counter)
        writer.varint(fieldCount == 0 ? 0 : 1)
        if fieldCount > 0 {
            writer.varint(0)
            writer.raw(counter)
            writer.raw(UnsafeRawBufferPointer(rebasing: change[counterEnd..<stampEnd]))
        }
        writer.varint(fieldCount)
        var previous: UnsafeRawBufferPointer?
        for _ in 0..<fieldCount {
            let nameStart = reader.position
            let name = try reader.bytes(try reader.count())
            guard previous.map({ $0.lexicographicallyPrecedes(name) }) ?? true else {
                throw reader.fail("field names not sorted")
            }
            guard !name.elementsEqual(ReservedField.deleted.utf8) else { return nil }
            previous = name
            writer.raw(UnsafeRawBufferPointer(rebasing: change[nameStart..<reader.position]))
            writer.varint(1)
            writer.varint(0)
            writer.byte(0)
            let valueStart = reader.position
            try reader.skipValue()
            writer.raw(UnsafeRawBufferPointer(rebasing: change[valueStart..<reader.position]))
        }
        guard reader.isAtEnd else { throw reader.fail("trailing bytes") }
        return writer.bytes
    }
}

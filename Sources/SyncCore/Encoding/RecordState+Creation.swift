/// The header of a change's bytes (`Change.encode(into:)`), read in place up to its fields: what
/// a record held by its creation (`records.born`) is checked and read by, without building the
/// change. One reader for the store's check, the state's bytes and a report's projection.
struct CreationHeader {
    let origin: UnsafeRawBufferPointer
    /// The counter's varint, then the stamp's two (as the change wrote them).
    let counter: UnsafeRawBufferPointer
    let stamp: UnsafeRawBufferPointer
    let collection: UnsafeRawBufferPointer
    let record: UUID128
    /// No context: the change depends on nothing.
    let dependsOnNothing: Bool

    /// Reads the header, leaving `reader` at the field count.
    init(_ reader: inout RawReader, of bytes: UnsafeRawBufferPointer) throws(FormatError) {
        let format = try reader.byte()
        guard format == Change.formatVersion else { throw reader.fail("unknown change format \(format)") }
        origin = try reader.bytes(16)
        let counterStart = reader.position
        _ = try reader.varint()
        let stampStart = reader.position
        _ = try reader.varint()  // wall clock
        _ = try reader.varint()  // logical clock
        counter = UnsafeRawBufferPointer(rebasing: bytes[counterStart..<stampStart])
        stamp = UnsafeRawBufferPointer(rebasing: bytes[stampStart..<reader.position])
        collection = try reader.bytes(try reader.count())
        record = try reader.uuid()
        _ = try reader.bytes(try reader.count())  // the unit the change was labelled with
        dependsOnNothing = try reader.varint() == 0
    }

    /// A change of `key` that depends on nothing (one born deleted shows only in its fields).
    func isCreation(of key: RecordKey) -> Bool {
        dependsOnNothing && record == key.id.uuid && collection.elementsEqual(key.collection.utf8)
    }
}

extension RecordState {
    /// Whether the change whose bytes (`Change.encoded()`) are `change` is of `key` and depends
    /// on nothing: what a store checks before it lends a record's creation as the record
    /// (`LentRecord.creation`; one born deleted is refused by whoever reads the fields).
    package static func isCreationHeader(_ change: UnsafeRawBufferPointer, of key: RecordKey) throws(FormatError)
        -> Bool
    {
        var reader = RawReader(change, what: "change")
        return try CreationHeader(&reader, of: change).isCreation(of: key)
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
        let header = try CreationHeader(&reader, of: change)
        guard header.isCreation(of: key) else { return nil }
        let fieldCount = try reader.count()
        var writer = ByteWriter(capacity: change.count + fieldCount * 3)
        writer.byte(formatVersion)
        writer.varint(1)
        writer.raw(header.origin)
        writer.raw(header.counter)
        writer.varint(fieldCount == 0 ? 0 : 1)
        if fieldCount > 0 {
            writer.varint(0)
            writer.raw(header.counter)
            writer.raw(header.stamp)
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

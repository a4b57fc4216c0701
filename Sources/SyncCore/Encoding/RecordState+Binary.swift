extension RecordState {
    /// Format of the stored state; the first byte of every encoded state.
    static let formatVersion: UInt8 = 1

    /// The canonical bytes of this state: the version vector sorted by origin; the distinct
    /// (dot, stamp) pairs its values were written by, sorted by dot; then fields sorted by name,
    /// each value referring to its writer by index (a record written by one change stores its
    /// dot once, not once per field). Two replicas hold the same state exactly when these bytes
    /// are equal; the state hash digests them.
    package func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 512)
        writer.byte(Self.formatVersion)
        let origins = version.entries
        writer.varint(origins.count)
        for entry in origins {
            writer.uuid(entry.origin.uuid)
            writer.varint(entry.counter)
        }
        func originIndex(_ origin: OriginID) -> Int {
            origins.firstIndex { $0.origin == origin }!
        }
        var writers: [FieldEntry] = []
        for slot in fields.elements {
            for entry in slot.value where !writers.contains(where: { $0.dot == entry.dot }) {
                writers.append(entry)
            }
        }
        writers.sort { $0.dot < $1.dot }
        writer.varint(writers.count)
        for entry in writers {
            writer.varint(originIndex(entry.dot.origin))
            writer.varint(entry.dot.counter)
            writer.varint(entry.stamp.wallMillis)
            writer.varint(UInt64(entry.stamp.logical))
        }
        writer.varint(fields.count)
        for slot in fields.elements {
            let entries = slot.value
            writer.string(slot.name)
            writer.varint(entries.count)
            for entry in entries {
                writer.varint(writers.firstIndex { $0.dot == entry.dot }!)
                if let context = entry.context {
                    writer.byte(1)
                    writer.varint(context.entries.count)
                    for item in context.entries {
                        writer.varint(originIndex(item.origin))
                        writer.varint(item.counter)
                    }
                } else {
                    writer.byte(0)
                }
                entry.value.encode(into: &writer)
            }
        }
        return writer.bytes
    }

    /// Whether `change`, applied to a record this replica does not hold, makes a state that
    /// `encodedCreation(by:)` can write without building it: one that depends on nothing and
    /// is not born deleted.
    package static func isPlainCreation(_ change: Change) -> Bool {
        change.context.entries.isEmpty && change.set[ReservedField.deleted] == nil
    }

    /// The bytes of the state a plain creation makes (`Merge.apply(change, to: nil)`), written
    /// straight from the change: a hub's first load is almost all creations, and building each
    /// state only to encode and free it was most of the work. The tests hold it equal to
    /// `encoded()` of the built state.
    package static func encodedCreation(by change: Change) -> [UInt8] {
        var writer = ByteWriter(capacity: 512)
        writer.byte(formatVersion)
        writer.varint(1)
        writer.uuid(change.dot.origin.uuid)
        writer.varint(change.dot.counter)
        // Its one writer, unless it wrote no field at all.
        writer.varint(change.set.isEmpty ? 0 : 1)
        if !change.set.isEmpty {
            writer.varint(0)
            writer.varint(change.dot.counter)
            writer.varint(change.stamp.wallMillis)
            writer.varint(UInt64(change.stamp.logical))
        }
        writer.varint(change.set.count)
        for slot in change.set.elements {
            writer.string(slot.name)
            writer.varint(1)
            writer.varint(0)
            writer.byte(0)
            slot.value.encode(into: &writer)
        }
        return writer.bytes
    }

    /// The state `change` makes of a record not held, when it depends on nothing.
    package static func created(by change: Change) -> RecordState { Merge.created(by: change) }

    package init(encoded bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes, what: "record state")
        let format = try reader.byte()
        guard format == Self.formatVersion else { throw reader.fail("unknown record format \(format)") }
        var origins: [OriginID] = []
        var version = VersionVector()
        for _ in 0..<(try reader.count()) {
            let origin = OriginID(try reader.uuid())
            let counter = try reader.varint()
            guard counter > 0, origins.last.map({ $0 < origin }) ?? true else {
                throw reader.fail("version vector not canonical")
            }
            origins.append(origin)
            version[origin] = counter
        }
        func origin(_ index: UInt64) throws(FormatError) -> OriginID {
            guard index < UInt64(origins.count) else { throw reader.fail("origin index \(index) out of range") }
            return origins[Int(index)]
        }
        var writers: [(Dot, Stamp)] = []
        for _ in 0..<(try reader.count()) {
            let dot = Dot(origin: try origin(try reader.varint()), counter: try reader.varint())
            let wall = try reader.varint()
            let logical = try reader.varint()
            guard logical <= UInt64(UInt32.max) else { throw reader.fail("logical clock overflows") }
            writers.append((dot, Stamp(wallMillis: wall, logical: UInt32(logical))))
        }
        var fields: [FieldMap<[FieldEntry]>.Slot] = []
        let fieldCount = try reader.count()
        fields.reserveCapacity(fieldCount)
        for _ in 0..<fieldCount {
            let name = try reader.string()
            guard fields.last.map({ $0.name < name }) ?? true else { throw reader.fail("field names not sorted") }
            let count = try reader.count()
            var entries: [FieldEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let index = try reader.varint()
                guard index < UInt64(writers.count) else { throw reader.fail("writer index \(index) out of range") }
                let (dot, stamp) = writers[Int(index)]
                var context: VersionVector?
                switch try reader.byte() {
                case 0: context = nil
                case 1:
                    var vector = VersionVector()
                    for _ in 0..<(try reader.count()) {
                        let item = try origin(try reader.varint())
                        vector[item] = try reader.varint()
                    }
                    context = vector
                default: throw reader.fail("bad context flag")
                }
                let value = try FieldValue.decode(from: &reader)
                entries.append(FieldEntry(value: value, dot: dot, stamp: stamp, context: context))
            }
            fields.append(FieldMap.Slot(name: name, value: entries))
        }
        guard reader.isAtEnd else { throw reader.fail("trailing bytes") }
        self.init(version: version, fields: FieldMap(sorted: fields))
    }
}

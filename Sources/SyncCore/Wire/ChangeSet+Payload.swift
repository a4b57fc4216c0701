/// The payload of a change set, laid out in columns so that like bytes sit together for zlib:
/// the changes' small integers, then the context counters, then the values one column per field
/// name, then the record ids (random after their time prefix, so kept away from the rest). It
/// interns origins (the sender is origin 0 and is not repeated) and names (collections, units,
/// field names) once per set, writes counters and clock readings as varint deltas from the
/// previous change, and values in the canonical binary form. `ChangeSet+Wire.swift` compresses
/// and seals it.
///
/// Format 4 (a push only) adds one small number to each change's integers, its record
/// reference: 0 when the record's id is in the id column, k + 1 when the record is the one the
/// change at the change's own context entry k wrote — a dot the receiver can look up
/// (`RecordReferences`). An edit of a record names the version it was based on anyway, so it
/// need not spell the record's 16 random bytes again.
extension ChangeSet {
    package func encodePayload(referencing policy: RecordReferences? = nil) -> [UInt8] {
        var origins: [OriginID: Int] = [sender: 0]
        var originList: [OriginID] = [sender]
        var names: [String: Int] = [:]
        var nameList: [String] = []
        func origin(_ id: OriginID) -> Int {
            if let index = origins[id] { return index }
            origins[id] = originList.count
            originList.append(id)
            return originList.count - 1
        }
        func name(_ text: String) -> Int {
            if let index = names[text] { return index }
            names[text] = nameList.count
            nameList.append(text)
            return nameList.count - 1
        }
        var structure = ByteWriter(capacity: changes.count * 16)
        var counters = ByteWriter(capacity: changes.count * 3)
        var columns: [Int: ByteWriter] = [:]
        var ids = ByteWriter(capacity: changes.count * 16)
        var lastCounter: [Int: UInt64] = [:]
        var lastWall: UInt64 = 0
        // The record each earlier change of this set wrote, by dot (format 4).
        var written: [Dot: RecordKey] = [:]
        for change in changes {
            let originIndex = origin(change.dot.origin)
            structure.varint(originIndex)
            structure.zigzag(Int64(bitPattern: change.dot.counter &- (lastCounter[originIndex] ?? 0)))
            lastCounter[originIndex] = change.dot.counter
            structure.zigzag(Int64(bitPattern: change.stamp.wallMillis &- lastWall))
            lastWall = change.stamp.wallMillis
            structure.varint(UInt64(change.stamp.logical))
            structure.varint(name(change.collection))
            structure.varint(name(change.unit))
            var reference: Int?
            if let policy {
                reference = policy.entry(naming: change, writtenEarlier: written, sender: sender)
                structure.varint(reference.map { $0 + 1 } ?? 0)
                let key = RecordKey(collection: change.collection, id: change.record)
                if written[change.dot] == nil { written[change.dot] = key }
            }
            structure.varint(change.context.entries.count)
            for entry in change.context.entries {
                structure.varint(origin(entry.origin))
                counters.varint(entry.counter)
            }
            structure.varint(change.set.count)
            for slot in change.set.elements {
                let field = name(slot.name)
                structure.varint(field)
                slot.value.encode(into: &columns[field, default: ByteWriter()])
            }
            if reference == nil { ids.uuid(change.record.uuid) }
        }
        var writer = ByteWriter(capacity: structure.bytes.count + counters.bytes.count + ids.bytes.count + 1024)
        writer.varint(changes.count)
        writer.varint(originList.count - 1)
        for id in originList.dropFirst() { writer.uuid(id.uuid) }
        writer.varint(nameList.count)
        for text in nameList { writer.string(text) }
        writer.raw(structure.bytes)
        writer.raw(counters.bytes)
        for field in columns.keys.sorted() { writer.raw(columns[field]!.bytes) }
        writer.raw(ids.bytes)
        return writer.bytes
    }

    /// The changes of a payload; in format 4, with the dot each referenced change's record is
    /// named by (`references`, by the change's index): those changes hold a placeholder record
    /// until `resolveReferences` replaces it.
    static func decodePayload(_ payload: [UInt8], sender: OriginID, version: UInt8, limits: WireLimits)
        throws(FormatError) -> (changes: [Change], references: [Int: Dot])
    {
        var reader = ByteReader(payload, what: "change set payload")
        reader.valueBudget = limits.maximumValues
        let count = try reader.count(atMost: limits.maximumChanges)
        var origins: [OriginID] = [sender]
        for _ in 0..<(try reader.count()) { origins.append(OriginID(try reader.uuid())) }
        var names: [String] = []
        for _ in 0..<(try reader.count()) { names.append(try reader.string()) }
        func origin(_ index: UInt64) throws(FormatError) -> OriginID {
            guard index < UInt64(origins.count) else { throw reader.fail("origin index \(index) out of range") }
            return origins[Int(index)]
        }
        func name(_ index: UInt64) throws(FormatError) -> Int {
            guard index < UInt64(names.count) else { throw reader.fail("name index \(index) out of range") }
            return Int(index)
        }
        // The changes' small integers first; counters, values and ids follow in their columns.
        struct Skeleton {
            var dot: Dot
            var stamp: Stamp
            var collection: Int
            var unit: Int
            /// The context entry naming the record (format 4), or nil: its id is in the column.
            var reference: Int?
            var contextOrigins: [OriginID]
            var fields: [Int]
        }
        var skeletons: [Skeleton] = []
        skeletons.reserveCapacity(count)
        var lastCounter: [UInt64: UInt64] = [:]
        var lastWall: UInt64 = 0
        var counterCount = 0
        var fieldUses = [Int](repeating: 0, count: names.count)
        for _ in 0..<count {
            let originIndex = try reader.varint()
            let author = try origin(originIndex)
            let counter = (lastCounter[originIndex] ?? 0) &+ UInt64(bitPattern: try reader.zigzag())
            lastCounter[originIndex] = counter
            lastWall = lastWall &+ UInt64(bitPattern: try reader.zigzag())
            let logical = try reader.varint()
            guard logical <= UInt64(UInt32.max) else { throw reader.fail("logical clock overflows") }
            let collection = try name(try reader.varint())
            let unit = try name(try reader.varint())
            let reference = version >= Self.referencingVersion ? try reader.varint() : 0
            var contextOrigins: [OriginID] = []
            for _ in 0..<(try reader.count()) { contextOrigins.append(try origin(try reader.varint())) }
            guard reference <= UInt64(contextOrigins.count) else {
                throw reader.fail(
                    "record reference \(reference) past the change's \(contextOrigins.count) context entries")
            }
            counterCount += contextOrigins.count
            var fields: [Int] = []
            let fieldCount = try reader.count()
            fields.reserveCapacity(fieldCount)
            for _ in 0..<fieldCount {
                let field = try name(try reader.varint())
                guard fields.last.map({ names[$0] < names[field] }) ?? true else {
                    throw reader.fail("field names not sorted")
                }
                fields.append(field)
                fieldUses[field] += 1
            }
            skeletons.append(
                Skeleton(
                    dot: Dot(origin: author, counter: counter),
                    stamp: Stamp(wallMillis: lastWall, logical: UInt32(logical)),
                    collection: collection, unit: unit, reference: reference == 0 ? nil : Int(reference - 1),
                    contextOrigins: contextOrigins, fields: fields))
        }
        var counters: [UInt64] = []
        counters.reserveCapacity(counterCount)
        for _ in 0..<counterCount { counters.append(try reader.varint()) }
        var columns: [[FieldValue]] = Array(repeating: [], count: names.count)
        for field in names.indices where fieldUses[field] > 0 {
            columns[field].reserveCapacity(fieldUses[field])
            for _ in 0..<fieldUses[field] { columns[field].append(try FieldValue.decode(from: &reader)) }
        }
        var changes: [Change] = []
        changes.reserveCapacity(count)
        var references: [Int: Dot] = [:]
        var nextCounter = 0
        var nextValue = [Int](repeating: 0, count: names.count)
        for (index, skeleton) in skeletons.enumerated() {
            var pairs: [(OriginID, UInt64)] = []
            pairs.reserveCapacity(skeleton.contextOrigins.count)
            for item in skeleton.contextOrigins {
                pairs.append((item, counters[nextCounter]))
                nextCounter += 1
            }
            var context = VersionVector()
            for (item, counter) in pairs { context[item] = counter }
            let record: RecordID
            if let reference = skeleton.reference {
                let (origin, counter) = pairs[reference]
                guard counter > 0, context[origin] == counter else {
                    throw reader.fail("record reference to a context entry that is not one (origin repeated or 0)")
                }
                references[index] = Dot(origin: origin, counter: counter)
                record = Self.unresolvedRecord
            } else {
                record = RecordID(try reader.uuid())
            }
            var set: [FieldMap<FieldValue>.Slot] = []
            set.reserveCapacity(skeleton.fields.count)
            for field in skeleton.fields {
                set.append(FieldMap.Slot(name: names[field], value: columns[field][nextValue[field]]))
                nextValue[field] += 1
            }
            changes.append(
                Change(
                    dot: skeleton.dot, stamp: skeleton.stamp, collection: names[skeleton.collection],
                    record: record, unit: names[skeleton.unit], context: context, set: FieldMap(sorted: set)))
        }
        guard reader.isAtEnd else { throw reader.fail("trailing bytes") }
        return (changes, references)
    }

    /// What a referenced change holds until its record is resolved: never stored (a set with
    /// references is returned by `decode` only once every one is resolved).
    static let unresolvedRecord = RecordID(UUID128(high: 0, low: 0))
}

import Crypto

/// The bytes of a change set:
///
///     magic "TRE\u{1A}" · version 1 · kind · flags (bit 0: more follows)
///     sender origin (16) · from · to · payload length · body length   (varints)
///     body: the payload, zlib-compressed
///     SHA-256 of the payload (32)
///     HMAC-SHA256 with the sender's enrolment key over everything above (32)
///
/// The payload interns origins and names (collections, units, field names) once per set,
/// writes ids as 16 bytes, counters and clock readings as varint deltas from the previous
/// change, and values in the canonical binary form.
/// Checks run cheapest and safest first: magic, version, sizes against the limits, signature
/// (before decompressing anything, so an unknown sender cannot make the receiver inflate),
/// decompression bounded by the declared size, checksum, then the payload.
extension ChangeSet {
    static let magic: [UInt8] = [0x54, 0x52, 0x45, 0x1A]
    static let formatVersion: UInt8 = 1
    static let trailerBytes = 64

    public func encode(key: PeerKey) -> [UInt8] {
        let payload = encodePayload()
        let body = Zlib.compress(payload)
        var writer = ByteWriter(capacity: body.count + 128)
        writer.raw(Self.magic)
        writer.byte(Self.formatVersion)
        writer.byte(kind.rawValue)
        writer.byte(hasMore ? 1 : 0)
        writer.uuid(sender.uuid)
        writer.varint(from)
        writer.varint(to)
        writer.varint(payload.count)
        writer.varint(body.count)
        writer.raw(body)
        writer.raw(Array(SHA256.hash(data: payload)))
        writer.raw(Array(HMAC<SHA256>.authenticationCode(for: writer.bytes, using: key.symmetric)))
        return writer.bytes
    }

    /// Reads and verifies a change set. `key` gives the key of an enrolled sender (nil: not
    /// enrolled); `expectedSender`, when given, must be the set's sender.
    public static func decode(
        _ bytes: [UInt8], expecting kind: Kind, from expectedSender: OriginID? = nil,
        limits: WireLimits = .standard, key: (OriginID) -> PeerKey?
    ) throws(WireError) -> ChangeSet {
        guard bytes.count <= limits.maximumWireBytes else {
            throw .tooLarge(what: "body", size: bytes.count, limit: limits.maximumWireBytes)
        }
        guard bytes.count >= 4 else { throw .truncated(needed: 4, have: bytes.count) }
        guard Array(bytes[0..<4]) == magic else { throw .badMagic }
        var reader = ByteReader(bytes, what: "change set header")
        let header: (kind: UInt8, flags: UInt8, sender: OriginID, from: UInt64, to: UInt64, payload: Int, body: Int)
        do {
            for _ in 0..<4 { _ = try reader.byte() }
            let version = try reader.byte()
            guard version == formatVersion else { throw WireError.unsupportedVersion(version) }
            header = (
                try reader.byte(), try reader.byte(), OriginID(try reader.uuid()), try reader.varint(),
                try reader.varint(), Int(clamping: try reader.varint()), Int(clamping: try reader.varint())
            )
        } catch let error as WireError {
            throw error
        } catch {
            throw .truncated(needed: reader.offset + 1, have: bytes.count)
        }
        guard header.kind == kind.rawValue else { throw .wrongKind(expected: kind, got: header.kind) }
        guard header.payload <= limits.maximumPayloadBytes else {
            throw .decompressionBomb(limit: limits.maximumPayloadBytes)
        }
        let bodyStart = reader.offset
        let needed = bodyStart + header.body + trailerBytes
        guard header.body <= bytes.count, bytes.count >= needed else {
            throw .truncated(needed: needed, have: bytes.count)
        }
        guard bytes.count == needed else {
            throw .malformed(reader.fail("\(bytes.count - needed) bytes after the signature"))
        }
        guard let senderKey = key(header.sender) else { throw .unknownSender(header.sender) }
        if let expectedSender, expectedSender != header.sender {
            throw .wrongSender(expected: expectedSender, got: header.sender)
        }
        let signed = bytes[0..<(needed - 32)]
        guard
            HMAC<SHA256>.isValidAuthenticationCode(
                bytes[(needed - 32)...], authenticating: signed, using: senderKey.symmetric)
        else {
            throw .badSignature
        }
        let payload: [UInt8]
        do {
            payload = try Zlib.decompress(Array(bytes[bodyStart..<(bodyStart + header.body)]), limit: header.payload)
        } catch {
            switch error {
            case .tooLarge: throw .decompressionBomb(limit: header.payload)
            case .corrupt(let reason): throw .corruptCompression(reason)
            }
        }
        guard payload.count == header.payload else { throw .corruptCompression("payload shorter than declared") }
        let checksum = bytes[(bodyStart + header.body)..<(bodyStart + header.body + 32)]
        guard Array(SHA256.hash(data: payload)) == Array(checksum) else { throw .badChecksum }
        let changes: [Change]
        do {
            changes = try decodePayload(payload, limits: limits)
        } catch {
            throw .malformed(error)
        }
        return ChangeSet(
            kind: kind, sender: header.sender, from: header.from, to: header.to, hasMore: header.flags & 1 == 1,
            changes: changes)
    }

    func encodePayload() -> [UInt8] {
        var origins: [OriginID: Int] = [:]
        var originList: [OriginID] = []
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
        var body = ByteWriter(capacity: changes.count * 64)
        var lastCounter: [Int: UInt64] = [:]
        var lastWall: UInt64 = 0
        for change in changes {
            let originIndex = origin(change.dot.origin)
            body.varint(originIndex)
            body.zigzag(Int64(bitPattern: change.dot.counter &- (lastCounter[originIndex] ?? 0)))
            lastCounter[originIndex] = change.dot.counter
            body.zigzag(Int64(bitPattern: change.stamp.wallMillis &- lastWall))
            lastWall = change.stamp.wallMillis
            body.varint(UInt64(change.stamp.logical))
            body.varint(name(change.collection))
            body.uuid(change.record.uuid)
            body.varint(name(change.unit))
            body.varint(change.context.entries.count)
            for entry in change.context.entries {
                body.varint(origin(entry.origin))
                body.varint(entry.counter)
            }
            body.varint(change.set.count)
            for slot in change.set.elements {
                body.varint(name(slot.name))
                slot.value.encode(into: &body)
            }
        }
        var writer = ByteWriter(capacity: body.bytes.count + originList.count * 16 + nameList.count * 12 + 8)
        writer.varint(changes.count)
        writer.varint(originList.count)
        for id in originList { writer.uuid(id.uuid) }
        writer.varint(nameList.count)
        for text in nameList { writer.string(text) }
        writer.raw(body.bytes)
        return writer.bytes
    }

    static func decodePayload(_ payload: [UInt8], limits: WireLimits) throws(FormatError) -> [Change] {
        var reader = ByteReader(payload, what: "change set payload")
        let count = try reader.count(atMost: limits.maximumChanges)
        var origins: [OriginID] = []
        for _ in 0..<(try reader.count()) { origins.append(OriginID(try reader.uuid())) }
        var names: [String] = []
        for _ in 0..<(try reader.count()) { names.append(try reader.string()) }
        func origin(_ index: UInt64) throws(FormatError) -> OriginID {
            guard index < UInt64(origins.count) else { throw reader.fail("origin index \(index) out of range") }
            return origins[Int(index)]
        }
        func name(_ index: UInt64) throws(FormatError) -> String {
            guard index < UInt64(names.count) else { throw reader.fail("name index \(index) out of range") }
            return names[Int(index)]
        }
        var changes: [Change] = []
        changes.reserveCapacity(count)
        var lastCounter: [UInt64: UInt64] = [:]
        var lastWall: UInt64 = 0
        for _ in 0..<count {
            let originIndex = try reader.varint()
            let author = try origin(originIndex)
            let counter = (lastCounter[originIndex] ?? 0) &+ UInt64(bitPattern: try reader.zigzag())
            lastCounter[originIndex] = counter
            lastWall = lastWall &+ UInt64(bitPattern: try reader.zigzag())
            let logical = try reader.varint()
            guard logical <= UInt64(UInt32.max) else { throw reader.fail("logical clock overflows") }
            let collection = try name(try reader.varint())
            let record = RecordID(try reader.uuid())
            let unit = try name(try reader.varint())
            var context = VersionVector()
            for _ in 0..<(try reader.count()) {
                let item = try origin(try reader.varint())
                context[item] = try reader.varint()
            }
            var set: [FieldMap<FieldValue>.Slot] = []
            let fieldCount = try reader.count()
            set.reserveCapacity(fieldCount)
            for _ in 0..<fieldCount {
                let field = try name(try reader.varint())
                guard set.last.map({ $0.name < field }) ?? true else { throw reader.fail("field names not sorted") }
                set.append(FieldMap.Slot(name: field, value: try FieldValue.decode(from: &reader)))
            }
            changes.append(
                Change(
                    dot: Dot(origin: author, counter: counter),
                    stamp: Stamp(wallMillis: lastWall, logical: UInt32(logical)),
                    collection: collection, record: record, unit: unit, context: context, set: FieldMap(sorted: set)))
        }
        guard reader.isAtEnd else { throw reader.fail("trailing bytes") }
        return changes
    }
}

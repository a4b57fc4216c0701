import Crypto

/// The bytes of a change set (format version 3, or 4 for a push that names records by
/// reference, `RecordReferences`; the two differ only in the payload):
///
///     header, in clear and authenticated (the AEAD's associated data):
///       magic "TRE\u{1A}" · version 3 or 4 · kind · flags (bit 0: more follows)
///       sender origin (16) · from · to · payload length · sealed length   (varints)
///     nonce: 12 random bytes
///     sealed body (sealed length bytes): the payload (`ChangeSet+Payload.swift`) as a zlib
///       stream, whose Adler-32 is the checksum of the payload, made with a preset dictionary
///       (zlib's FDICT, named by its Adler-32) when the sender has one; then encrypted with
///       ChaCha20 under the link's sealing key
///     tag: Poly1305, 16 bytes, over the header and the sealed body
///
/// Sealed, so that plain HTTP over a commune's mobile link shows no record id, name, value or
/// field name: only what the header says (who sends, which log positions, how big). The key is
/// the one the link agreed at enrolment (`PeerKey.sealingKey`, derived from it for this one
/// purpose). Compressed before it is encrypted: ciphertext does not compress. Both directions of
/// a link share the key; the kind and the sender are in the associated data, so a push cannot
/// be played back to its sender as a pull, nor a set passed off as another sender's.
///
/// Checks run cheapest and safest first: magic, version, sizes against the limits, the sender's
/// key, authentication and decryption (before decompressing anything, so nobody without the key
/// can make the receiver inflate), decompression bounded by the declared size and checked
/// against its Adler-32, then the payload.
extension ChangeSet {
    static let magic: [UInt8] = [0x54, 0x52, 0x45, 0x1A]
    /// 3: sealed (ChaCha20-Poly1305). 2 (signed with a truncated HMAC, in clear) is refused.
    /// Pulls and change files are written in it, and pushes to a hub that does not read 4.
    public static let formatVersion: UInt8 = 3
    /// 4: format 3 whose pushes may name records by reference (`RecordReferences`); read by
    /// hubs since release 0.6.0, which say so in their answers (`wireHeader`).
    public static let referencingVersion: UInt8 = 4
    /// The answer header in which a hub names the newest format it reads.
    public static let wireHeader = "Tre-Wire"
    static let nonceBytes = 12
    static let tagBytes = 16

    /// What a set's clear header says. It is authenticated only when `decode` opens the set:
    /// use it to find whose key to try, never to trust.
    public struct Header: Hashable, Sendable {
        /// 3, or 4: records may be named by reference.
        public let version: UInt8
        /// The kind's raw value (an unknown kind is refused by `decode`, not here).
        public let kind: UInt8
        public let hasMore: Bool
        public let sender: OriginID
        public let from: UInt64
        public let to: UInt64
        /// The payload's size once inflated.
        public let payloadLength: Int
        /// The size of the encrypted zlib stream.
        public let sealedLength: Int
        /// Bytes of the header: the associated data.
        let length: Int
    }

    /// The set's bytes, sealed with `key`; compressed with `dictionary` when given; a push with
    /// `referencing` names records by reference where it may (format 4, for a hub that reads it).
    public func encode(key: PeerKey, dictionary: WireDictionary? = nil, referencing: RecordReferences? = nil)
        -> [UInt8]
    {
        encode(key: key, dictionary: dictionary, nonce: nil, referencing: referencing)
    }

    /// `nonce`: 12 bytes, for fixtures made anew byte for byte; nil (always, outside tests): random.
    package func encode(
        key: PeerKey, dictionary: WireDictionary?, nonce: [UInt8]?, referencing: RecordReferences? = nil
    ) -> [UInt8] {
        let policy = kind == .push ? referencing : nil
        let payload = encodePayload(referencing: policy)
        let body = Zlib.compress(payload, dictionary: dictionary?.bytes ?? [])
        let header = Self.headerBytes(
            version: policy == nil ? Self.formatVersion : Self.referencingVersion, kind: kind.rawValue,
            flags: hasMore ? 1 : 0, sender: sender, from: from, to: to, payloadLength: payload.count,
            sealedLength: body.count)
        return Self.seal(header: header, body: body, key: key, nonce: nonce)
    }

    package static func headerBytes(
        version: UInt8 = formatVersion, kind: UInt8, flags: UInt8, sender: OriginID, from: UInt64, to: UInt64,
        payloadLength: Int, sealedLength: Int
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 48)
        writer.raw(magic)
        writer.byte(version)
        writer.byte(kind)
        writer.byte(flags)
        writer.uuid(sender.uuid)
        writer.varint(from)
        writer.varint(to)
        writer.varint(payloadLength)
        writer.varint(sealedLength)
        return writer.bytes
    }

    /// `header` followed by the nonce, `body` encrypted, and the tag over both.
    ///
    /// The nonce is 12 random bytes per set. ChaCha20-Poly1305 fails if a nonce ever repeats
    /// under one key, and a counter would have to survive crashes and restores from backup
    /// (as dots must, which is hard enough); random bytes need no state. Keys are per link
    /// (each node and each lower hub has its own) and a link seals a handful of sets a night,
    /// so after n sets two nonces are equal with probability about n²/2⁹⁷: below 2⁻⁶⁰ even after
    /// 2¹⁸ sets, centuries of nights, and far inside the 2³² messages per key that NIST SP
    /// 800-38D allows random 96-bit nonces (written for AES-GCM, whose nonce is the same size).
    package static func seal(header: [UInt8], body: [UInt8], key: PeerKey, nonce: [UInt8]? = nil) -> [UInt8] {
        do {
            let box = try ChaChaPoly.seal(
                body, using: key.sealingKey,
                nonce: try nonce.map { try ChaChaPoly.Nonce(data: $0) } ?? ChaChaPoly.Nonce(),
                authenticating: header)
            return header + box.combined
        } catch {
            // Only a key or nonce of the wrong size fails, and both sizes are fixed here.
            preconditionFailure("ChaChaPoly.seal failed: \(error)")
        }
    }

    /// Reads the clear header and checks the set's sizes against `limits`, without any key:
    /// whether the bytes can be a set, and who claims to send it.
    public static func header(of bytes: [UInt8], limits: WireLimits = .standard) throws(WireError) -> Header {
        guard bytes.count <= limits.maximumWireBytes else {
            throw .tooLarge(what: "body", size: bytes.count, limit: limits.maximumWireBytes)
        }
        guard bytes.count >= 4 else { throw .truncated(needed: 4, have: bytes.count) }
        guard Array(bytes[0..<4]) == magic else { throw .badMagic }
        var reader = ByteReader(bytes, what: "change set header")
        let header: Header
        do {
            for _ in 0..<4 { _ = try reader.byte() }
            let version = try reader.byte()
            guard version == formatVersion || version == referencingVersion else {
                throw WireError.unsupportedVersion(version)
            }
            let kind = try reader.byte()
            let flags = try reader.byte()
            let sender = OriginID(try reader.uuid())
            let from = try reader.varint()
            let to = try reader.varint()
            let payloadLength = Int(clamping: try reader.varint())
            let sealedLength = Int(clamping: try reader.varint())
            header = Header(
                version: version, kind: kind, hasMore: flags & 1 == 1, sender: sender, from: from, to: to,
                payloadLength: payloadLength,
                sealedLength: sealedLength, length: reader.offset)
        } catch let error as WireError {
            throw error
        } catch {
            throw .truncated(needed: reader.offset + 1, have: bytes.count)
        }
        // (The sealed length is checked against the bytes received just below; bounded by them
        // here, the product cannot overflow.)
        let allowed = min(
            limits.maximumPayloadBytes,
            max(64 << 10, min(header.sealedLength, bytes.count) * max(1, limits.maximumExpansion)))
        guard header.payloadLength <= allowed else { throw .decompressionBomb(limit: allowed) }
        guard header.sealedLength <= bytes.count else {
            throw .truncated(needed: header.sealedLength, have: bytes.count)
        }
        let needed = header.length + nonceBytes + header.sealedLength + tagBytes
        guard bytes.count >= needed else { throw .truncated(needed: needed, have: bytes.count) }
        guard bytes.count == needed else {
            throw .malformed(reader.fail("\(bytes.count - needed) bytes after the tag"))
        }
        return header
    }

    /// Reads, authenticates and decrypts a change set. `key` gives the key of an enrolled
    /// sender (nil: not enrolled); `expectedSender`, when given, must be the set's sender;
    /// `dictionaries` are the preset dictionaries this reader holds; `resolve` finds the records
    /// the sender's own dots wrote, for a push naming records by reference (format 4; without
    /// it, such a push is refused as `unknownReference`).
    public static func decode(
        _ bytes: [UInt8], expecting kind: Kind, from expectedSender: OriginID? = nil,
        limits: WireLimits = .standard, dictionaries: [WireDictionary] = [],
        resolve: (([Dot]) -> [Dot: RecordKey])? = nil, key: (OriginID) -> PeerKey?
    ) throws(WireError) -> ChangeSet {
        let header = try header(of: bytes, limits: limits)
        guard header.kind == kind.rawValue else { throw .wrongKind(expected: kind, got: header.kind) }
        guard header.version == formatVersion || kind == .push else { throw .unsupportedVersion(header.version) }
        guard let senderKey = key(header.sender) else { throw .unknownSender(header.sender) }
        if let expectedSender, expectedSender != header.sender {
            throw .wrongSender(expected: expectedSender, got: header.sender)
        }
        let body = try open(bytes, header: header, key: senderKey)
        let payload: [UInt8]
        do {
            payload = try Zlib.decompress(
                body, limit: header.payloadLength, dictionary: { id in dictionaries.first { $0.id == id }?.bytes })
        } catch {
            switch error {
            case .tooLarge: throw .decompressionBomb(limit: header.payloadLength)
            case .corrupt(let reason): throw .corruptCompression(reason)
            case .checksum: throw .badChecksum
            case .unknownDictionary(let id): throw .unknownDictionary(id)
            }
        }
        guard payload.count == header.payloadLength else {
            throw .corruptCompression("payload shorter than declared")
        }
        var changes: [Change]
        let references: [Int: Dot]
        do {
            (changes, references) = try decodePayload(
                payload, sender: header.sender, version: header.version, limits: limits)
        } catch {
            throw .malformed(error)
        }
        try resolveReferences(&changes, references, sender: header.sender, resolve: resolve)
        return ChangeSet(
            kind: kind, sender: header.sender, from: header.from, to: header.to, hasMore: header.hasMore,
            changes: changes)
    }

    /// The sealed body, decrypted, if the tag verifies over the header and the body with `key`.
    static func open(_ bytes: [UInt8], header: Header, key: PeerKey) throws(WireError) -> [UInt8] {
        do {
            let box = try ChaChaPoly.SealedBox(combined: bytes[header.length...])
            return [UInt8](try ChaChaPoly.open(box, using: key.sealingKey, authenticating: bytes[0..<header.length]))
        } catch {
            throw .badSignature
        }
    }
}

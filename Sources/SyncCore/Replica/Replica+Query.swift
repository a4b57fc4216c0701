import Crypto

/// The open conflicts of one record.
public struct RecordConflicts: Hashable, Sendable {
    public let key: RecordKey
    public let unit: String?
    public let conflicts: [FieldConflict]
}

/// A replica's counts, for `status`.
public struct ReplicaCounts: Hashable, Sendable {
    public let records: Int
    public let conflictedRecords: Int
    public let parked: Int
    public let lastSequence: UInt64
    public let counter: UInt64
}

extension Replica {
    public func record(_ collection: String, id: RecordID) throws -> RecordState? {
        try storage.read { try $0.record(RecordKey(collection: collection, id: id)) }
    }

    /// The records of `ids` that this replica holds, read in one transaction.
    public func records(_ collection: String, ids: [RecordID]) throws -> [(RecordID, RecordState)] {
        try storage.read { access in
            try ids.compactMap { id in
                try access.record(RecordKey(collection: collection, id: id)).map { (id, $0) }
            }
        }
    }

    /// Every record of a collection, in id order, deleted ones included.
    public func records(in collection: String) throws -> [(RecordID, RecordState)] {
        try storage.read { access in
            var result: [(RecordID, RecordState)] = []
            try access.forEachRecord(collection: collection) { stored in
                result.append((stored.key.id, try RecordState(encoded: stored.stateBytes)))
            }
            return result
        }
    }

    public func conflicts() throws -> [RecordConflicts] {
        try storage.read { access in
            try access.conflictedKeys().compactMap { key in
                guard let state = try access.record(key) else { return nil }
                return RecordConflicts(key: key, unit: state.unit, conflicts: state.conflicts)
            }
        }
    }

    public func log(after sequence: UInt64, limit: Int) throws -> [LogEntry] {
        try storage.read { try $0.logPage(after: sequence, filter: .all, maxEntries: limit, maxBytes: .max).entries }
    }

    public func setting(_ name: String) throws -> String? {
        try storage.read { try $0.setting(name) }
    }

    public func setSetting(_ name: String, _ value: String?) throws {
        try storage.write { try $0.setSetting(name, value) }
    }

    /// The sequence of the last entry of this replica's log (0 when empty).
    public func lastSequence() throws -> UInt64 {
        try storage.read { try $0.lastSequence() }
    }

    public func counts() throws -> ReplicaCounts {
        try storage.read { access in
            ReplicaCounts(
                records: try access.recordCount(), conflictedRecords: try access.conflictedKeys().count,
                parked: try access.parkedCount(), lastSequence: try access.lastSequence(),
                counter: try access.meta()?.counter ?? 0)
        }
    }

    /// A SHA-256 over the canonical state of every record (each field value with its dot and
    /// stamp, tombstones, version vectors; open conflicts follow from these), in key order.
    /// Two replicas have equal hashes exactly when they hold the same records in the same
    /// state. `unit` restricts it to records owned by the units it accepts.
    public func stateHash(unit include: ((String?) -> Bool)? = nil) throws -> String {
        try storage.read { access in
            var hasher = Self.stateHasher()
            try access.forEachRecord(collection: nil) { stored in
                if let include, !include(stored.unit) { return }
                Self.hash(stored, into: &hasher)
            }
            return Self.hex(hasher.finalize())
        }
    }

    /// `stateHash(unit:)` for every owning unit at once, in one pass over the records: what a
    /// hub compares with each of its communes.
    public func stateHashesByUnit() throws -> [String: String] {
        try storage.read { access in
            var hashers: [String: SHA256] = [:]
            try access.forEachRecord(collection: nil) { stored in
                let unit = stored.unit ?? ""
                var hasher = hashers[unit] ?? Self.stateHasher()
                Self.hash(stored, into: &hasher)
                hashers[unit] = hasher
            }
            return hashers.mapValues { Self.hex($0.finalize()) }
        }
    }

    private static func stateHasher() -> SHA256 {
        var hasher = SHA256()
        hasher.update(data: Array("tre-state-1".utf8))
        return hasher
    }

    private static func hash(_ stored: StoredRecord, into hasher: inout SHA256) {
        var writer = ByteWriter(capacity: stored.stateBytes.count + 48)
        writer.string(stored.key.collection)
        writer.uuid(stored.key.id.uuid)
        writer.varint(stored.stateBytes.count)
        writer.raw(stored.stateBytes)
        hasher.update(data: writer.bytes)
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension Replica {
    /// Every live record of a collection, one at a time in id order, in one read transaction:
    /// what a report reads, without holding a province's records in memory at once.
    public func forEachLiveRecord(
        in collection: String, _ body: (RecordID, RecordState) throws -> Void
    ) throws {
        try storage.read { access in
            try access.forEachRecord(collection: collection) { stored in
                let state = try RecordState(encoded: stored.stateBytes)
                if !state.isDeleted { try body(stored.key.id, state) }
            }
        }
    }
}

extension Replica {
    /// `forEachLiveRecord(in:_:)` reading only the shown value of `fields` (and the unit) of
    /// each record, from its stored state in place: a province's report reads half a million
    /// children, and building each whole state (every field's every value with its writer) was
    /// most of its time. Asking the record for a field not in `fields` is a programming error.
    public func forEachLiveRecord(
        in collection: String, reading fields: [String], _ body: (RecordID, ProjectedRecord) throws -> Void
    ) throws {
        var projector = StateProjector(fields: fields)
        try storage.read { access in
            try access.forEachRecordState(collection: collection) { id, bytes in
                try project(&projector, bytes, collection: collection, id: id, body)
            }
        }
    }

    /// `forEachLiveRecord(in:reading:_:)` over the records `selection` names only, chosen by
    /// the store (in its query, where it can) from the units and ids it keeps in clear: a
    /// district's report reads the district's records. Each record once, in no promised order.
    public func forEachLiveRecord(
        _ selection: RecordSelection, reading fields: [String], _ body: (RecordID, ProjectedRecord) throws -> Void
    ) throws {
        var projector = StateProjector(fields: fields)
        try storage.read { access in
            try access.forEachRecordState(selection) { id, bytes in
                try project(&projector, bytes, collection: selection.collection, id: id, body)
            }
        }
    }

    private func project(
        _ projector: inout StateProjector, _ bytes: LentRecord, collection: String, id: RecordID,
        _ body: (RecordID, ProjectedRecord) throws -> Void
    ) throws {
        let record: ProjectedRecord
        do {
            record = try projector.read(bytes)
        } catch {
            throw StoreError(.corrupt, path: "\(storage)", operation: "read \(collection)/\(id)", detail: "\(error)")
        }
        if !record.isDeleted { try body(id, record) }
    }
}

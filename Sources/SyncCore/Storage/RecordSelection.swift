/// Which records of one collection a scan reads, decided only by what a store keeps in clear
/// beside each record's (possibly sealed) state: the owning unit and the id. A store pushes it
/// into its query (`WHERE unit IN … OR id IN …`), so a district's report on a province's hub
/// reads the district's records, not the province's. It selects; it never counts: the values
/// a count rests on are in the states, which only the replica opens (see docs/POSTGRES.md,
/// "Reports: the server selects, the hub counts").
public struct RecordSelection: Hashable, Sendable {
    public let collection: String
    /// Records owned by one of these units (the records' `unit` column, the shown `@unit`).
    public var units: Set<String>
    /// And records with one of these ids, whatever unit owns them.
    public var ids: Set<RecordID>

    public init(collection: String, units: Set<String>, ids: Set<RecordID> = []) {
        self.collection = collection
        self.units = units
        self.ids = ids
    }

    /// Whether the record `id`, owned by `unit`, is selected.
    public func contains(id: RecordID, unit: String?) -> Bool {
        ids.contains(id) || unit.map { units.contains($0) } ?? false
    }
}

extension StorageAccess {
    /// Reads every record of the collection and keeps the selected ones: for stores that have
    /// no cheaper way (memory).
    public func forEachRecordState(_ selection: RecordSelection, _ body: (RecordID, LentRecord) throws -> Void) throws {
        try forEachRecord(collection: selection.collection) { stored in
            guard selection.contains(id: stored.key.id, unit: stored.unit) else { return }
            try stored.stateBytes.withUnsafeBytes { try body(stored.key.id, .state($0)) }
        }
    }
}

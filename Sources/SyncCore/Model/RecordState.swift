/// One value held by a field, with the change that wrote it.
public struct FieldEntry: Hashable, Sendable {
    public let value: FieldValue
    public let dot: Dot
    public let stamp: Stamp
    /// The writer's context; kept only for tombstone values (`@deleted`).
    public let context: VersionVector?

    public init(value: FieldValue, dot: Dot, stamp: Stamp, context: VersionVector? = nil) {
        self.value = value
        self.dot = dot
        self.stamp = stamp
        self.context = context
    }

    /// The order every replica uses to pick the shown value: highest `(stamp, origin)` wins.
    func showsOver(_ other: FieldEntry) -> Bool {
        (stamp, dot.origin, dot.counter) > (other.stamp, other.dot.origin, other.dot.counter)
    }
}

/// Everything a replica knows of one record: its version vector and, per field, every value
/// not yet replaced (one in the ordinary case, several after concurrent writes). Entries are
/// kept sorted by dot and fields by name, so equal states are equal values.
public struct RecordState: Hashable, Sendable {
    public internal(set) var version: VersionVector
    public internal(set) var fields: FieldMap<[FieldEntry]>

    public init(version: VersionVector = VersionVector(), fields: FieldMap<[FieldEntry]> = [:]) {
        self.version = version
        self.fields = fields
    }

    /// The value every replica shows for `field`.
    public func winner(_ field: String) -> FieldEntry? {
        guard let entries = fields[field], var best = entries.first else { return nil }
        for entry in entries.dropFirst() where entry.showsOver(best) { best = entry }
        return best
    }

    public func value(_ field: String) -> FieldValue? { winner(field)?.value }

    public var unit: String? { value(ReservedField.unit)?.stringValue }

    public var isDeleted: Bool { value(ReservedField.deleted) == .bool(true) }

    /// The shown value of every domain field (reserved fields left out).
    public var shownFields: [String: FieldValue] {
        var result: [String: FieldValue] = [:]
        for slot in fields.elements where !ReservedField.isReserved(slot.name) {
            let entries = slot.value
            var best = entries[0]
            for entry in entries.dropFirst() where entry.showsOver(best) { best = entry }
            result[slot.name] = best.value
        }
        return result
    }

    /// The open conflicts, the same on every replica holding this state.
    ///
    /// A field conflicts when it holds values that differ (concurrent writes of the same value
    /// are not asked about). A deleted record conflicts when it holds a value that no
    /// tombstone's context covers: an edit made concurrently with the deletion. While the
    /// record is deleted its other field conflicts are not listed; they return if it is
    /// restored.
    public var conflicts: [FieldConflict] {
        var result: [FieldConflict] = []
        if isDeleted {
            let tombstones = fields[ReservedField.deleted] ?? []
            var seen = VersionVector()
            for entry in tombstones where entry.value == .bool(true) {
                if let context = entry.context { seen = seen.merged(with: context) }
            }
            var unseen: [String] = []
            for (name, entries) in fields where name != ReservedField.deleted {
                if entries.contains(where: { !seen.covers($0.dot) }) { unseen.append(name) }
            }
            let deleteValues = Set(tombstones.map(\.value))
            if !unseen.isEmpty || deleteValues.count > 1 {
                result.append(
                    FieldConflict(
                        field: ReservedField.deleted,
                        kind: unseen.isEmpty ? .concurrentWrites : .editedWhileDeleted,
                        entries: tombstones, editedFields: unseen.sorted()))
            }
            return result
        }
        for (name, entries) in fields where entries.count > 1 {
            let first = entries[0].value
            if entries.contains(where: { $0.value != first }) {
                result.append(FieldConflict(field: name, kind: .concurrentWrites, entries: entries, editedFields: []))
            }
        }
        return result
    }

    /// `!conflicts.isEmpty`, without building the list in the ordinary case (one value per
    /// field, not deleted).
    public var hasConflicts: Bool {
        if !fields.elements.contains(where: { $0.value.count > 1 }) && !isDeleted { return false }
        return !conflicts.isEmpty
    }
}

/// One field of one record that a person must decide.
public struct FieldConflict: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// Different values written concurrently; the winner is shown, the others kept.
        case concurrentWrites = "concurrent_writes"
        /// The record was deleted by someone who had not seen these edits.
        case editedWhileDeleted = "edited_while_deleted"
    }

    public let field: String
    public let kind: Kind
    /// Every value held, sorted by dot.
    public let entries: [FieldEntry]
    /// For `editedWhileDeleted`: the fields edited without the deleter seeing it.
    public let editedFields: [String]

    /// The value every replica shows.
    public var winner: FieldEntry {
        var best = entries[0]
        for entry in entries.dropFirst() where entry.showsOver(best) { best = entry }
        return best
    }
}

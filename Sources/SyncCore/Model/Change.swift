/// Names of the fields the engine itself writes. A domain field may not start with `@`.
public enum ReservedField {
    /// The record's owning unit (an administrative code). Written on creation and on a move,
    /// like any field, so two communes claiming one child is an ordinary conflict.
    public static let unit = "@unit"
    /// The tombstone: `true` deletes, `false` restores. Its values keep their writer's context,
    /// which tells an edit made concurrently with the deletion from one the deleter saw.
    public static let deleted = "@deleted"

    public static func isReserved(_ name: String) -> Bool { name.utf8.first == UInt8(ascii: "@") }

    /// Domain field and collection names: 1 to 64 ASCII letters, digits or `_`. Keeping names
    /// ASCII makes their order and equality the same for Swift and for bytes everywhere.
    public static func isValidName(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard !utf8.isEmpty, utf8.count <= 64 else { return false }
        return utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x5f
        }
    }
}

/// One change to one record, as made by its origin: `{dot, stamp, collection, record, unit,
/// context, set}`. A delete is `set["@deleted"] = true`.
public struct Change: Hashable, Sendable {
    public var dot: Dot
    public var stamp: Stamp
    public var collection: String
    public var record: RecordID
    /// The record's owning unit as the author saw it after this change: what routing and
    /// authorisation look at. When the change writes the owning unit, `set["@unit"]` equals it.
    public var unit: String
    /// The record's version vector as the author saw it when editing.
    public var context: VersionVector
    public var `set`: FieldMap<FieldValue>

    public init(
        dot: Dot, stamp: Stamp, collection: String, record: RecordID, unit: String,
        context: VersionVector, set: FieldMap<FieldValue>
    ) {
        self.dot = dot
        self.stamp = stamp
        self.collection = collection
        self.record = record
        self.unit = unit
        self.context = context
        self.set = set
    }

    public var key: RecordKey { RecordKey(collection: collection, id: record) }
    public var isDelete: Bool { self.set[ReservedField.deleted] == .bool(true) }

    /// The largest counter a change or its context may carry. An honest replica makes a few
    /// million changes in its life; a bound far above that keeps every sum and every SQLite
    /// integer (and JSON number) that a counter reaches exact, whatever a peer sends.
    public static let maximumCounter: UInt64 = 1 << 53
    /// The latest wall-clock reading a stamp may carry: the last millisecond of year 9999.
    /// (How far ahead of its own clock a receiver accepts is its gate's business.)
    public static let maximumWallMillis: UInt64 = 253_402_300_799_999

    /// Checks what every replica must refuse before merging: a malformed change would make
    /// replicas disagree or park forever.
    public func validate() throws(ChangeError) {
        func refuse(_ reason: String) -> ChangeError { ChangeError(dot: dot, record: key, reason: reason) }
        guard dot.counter > 0 else { throw refuse("counter must be at least 1") }
        guard dot.counter <= Self.maximumCounter else { throw refuse("counter is over \(Self.maximumCounter)") }
        guard context.entries.allSatisfy({ $0.counter <= Self.maximumCounter }) else {
            throw refuse("a context counter is over \(Self.maximumCounter)")
        }
        guard stamp.wallMillis <= Self.maximumWallMillis else { throw refuse("the stamp's time is past year 9999") }
        guard context[dot.origin] < dot.counter else {
            throw refuse("context already includes this change's own counter")
        }
        guard ReservedField.isValidName(collection) else {
            throw refuse("collection name must be 1 to 64 ASCII letters, digits or _")
        }
        guard !unit.isEmpty, unit.utf8.count <= 32 else { throw refuse("unit code must be 1 to 32 bytes") }
        guard !set.isEmpty else { throw refuse("a change must set at least one field") }
        for slot in set.elements {
            let name = slot.name
            let value = slot.value
            if name == ReservedField.unit {
                guard value == .string(unit) else { throw refuse("@unit must be the string of the change's unit") }
            } else if name == ReservedField.deleted {
                guard value.boolValue != nil else { throw refuse("@deleted must be true or false") }
            } else if !ReservedField.isValidName(name) {
                throw refuse("field names are 1 to 64 ASCII letters, digits or _ (@unit and @deleted are the engine's)")
            }
        }
    }
}

/// A change that no replica may apply, with what is wrong. Carries identities, never values.
public struct ChangeError: Error, Hashable, Sendable, CustomStringConvertible {
    public let dot: Dot
    public let record: RecordKey
    public let reason: String
    public var description: String { "invalid change \(dot) to \(record): \(reason)" }
}

/// A change as it sits in a replica's log: the local sequence number it was given, the peer
/// it came from (nil: made here, or imported from a file), and the record's unit just before
/// it (nil for a record new here), which tells who must hear of a move.
public struct LogEntry: Hashable, Sendable {
    public let sequence: UInt64
    public let change: Change
    public let via: OriginID?
    public let previousUnit: String?
    /// The record's owning unit once the change was applied here: what routing reads. A change
    /// that does not write the owning unit carries its author's view of it, which may be stale
    /// (a commune's offline edit of a child who moved meanwhile) or false.
    public let unit: String

    public init(
        sequence: UInt64, change: Change, via: OriginID? = nil, previousUnit: String? = nil, unit: String? = nil
    ) {
        self.sequence = sequence
        self.change = change
        self.via = via
        self.previousUnit = previousUnit
        self.unit = unit ?? change.unit
    }
}

/// Which log entries a reader wants.
public struct LogFilter: Hashable, Sendable {
    /// Only entries whose change's unit or previous unit is one of these (nil: all).
    public var units: Set<String>?
    /// Skip entries that came from this peer (it has them) — but, with `units`, not one that
    /// moves a record into them: the peer lacks what happened to the record while it was
    /// elsewhere, and `Replica.outgoingPage` sends that history in its place.
    public var excludingVia: OriginID?
    /// Only changes made by this origin.
    public var onlyOrigin: OriginID?
    /// Only changes to records of these collections (nil: all). A record's history is of its
    /// own collection, so what `Replica.outgoingPage` adds for a move stays within them.
    public var collections: Set<String>?

    public init(
        units: Set<String>? = nil, excludingVia: OriginID? = nil, onlyOrigin: OriginID? = nil,
        collections: Set<String>? = nil
    ) {
        self.units = units
        self.excludingVia = excludingVia
        self.onlyOrigin = onlyOrigin
        self.collections = collections
    }

    public static let all = LogFilter()

    public func accepts(_ entry: LogEntry) -> Bool {
        if let excludingVia, entry.via == excludingVia, !(units.map { Self.movesIn(entry, units: $0) } ?? false) {
            return false
        }
        if let onlyOrigin, entry.change.dot.origin != onlyOrigin { return false }
        if let collections, !collections.contains(entry.change.collection) { return false }
        if let units {
            return units.contains(entry.unit) || entry.previousUnit.map(units.contains) == true
        }
        return true
    }

    /// Whether `entry` brings its record into `units` from elsewhere (the record was held here,
    /// owned outside them, just before it).
    public static func movesIn(_ entry: LogEntry, units: Set<String>) -> Bool {
        guard let previous = entry.previousUnit else { return false }
        return !units.contains(previous) && units.contains(entry.unit)
    }
}

/// A bounded run of log entries.
public struct LogPage: Hashable, Sendable {
    public let entries: [LogEntry]
    /// The last sequence examined: the next page starts after it, even when the filter
    /// skipped entries up to it.
    public let through: UInt64
    public let hasMore: Bool

    public init(entries: [LogEntry], through: UInt64, hasMore: Bool) {
        self.entries = entries
        self.through = through
        self.hasMore = hasMore
    }
}

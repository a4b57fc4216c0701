/// How a push names records its receiver already holds (wire format 4): by the dot of a change
/// that wrote the record, taken from the change's own context, instead of the record's id.
///
/// On a commune's night most changes edit records the hub has had for years; their ids are 16
/// bytes each, 74 bits of them random, which no compression shrinks — a third of the bytes on the
/// wire. An edit's context already names the version it was based on: for each origin, the
/// counter of that origin's last change to the record (`Merge.apply` records only dots of
/// changes applied to the record there). So a context entry of the sender's own is the dot of a
/// change the sender wrote to this very record, and the hub, which logged that change when it
/// was pushed, can find the record from it (`StorageAccess.recordKeys(for:)`).
///
/// Which entries may name the record:
/// - the dot of an earlier change in the same set that wrote the same record (exact: the set
///   itself says which record it wrote);
/// - an entry of the sender's own whose counter is above `floor`: a change pushed earlier, which
///   the hub logged, unless it set it aside, kept it waiting, lost it to a restore, or is a hub
///   of a release that kept no index (upgraded since). Then the hub answers
///   `unknown_reference`, nothing applied, and the sender sends the set again naming by id
///   every record outside it, and raises `floor` to just below that set's own changes (never
///   lowers it): dots from before are never named again, so one such answer costs one resend,
///   not one a night.
///
/// A hub looks up only the pusher's own dots, which only the pusher can have logged there (the
/// index keeps a change's dot only when the peer that pushed it is its author): a peer can make
/// a reference name only a record it could have named by id, and the gate judges the change
/// on the record found, as on any other. A dot logged for two records (counters handed out
/// again: a replica restored twice from one backup, a clone) names neither; a node raises its
/// floor past every change it took back from the hub after a restore.
public struct RecordReferences: Hashable, Sendable {
    /// The sender's own dots up to this counter are never named (see above).
    public var floor: UInt64

    public init(floor: UInt64 = 0) { self.floor = floor }

    /// The context entry of `change` that names its record, if one may: the dot of an earlier
    /// change of the set that wrote the same record (`writtenEarlier`), or the sender's own above
    /// the floor.
    func entry(naming change: Change, writtenEarlier: [Dot: RecordKey], sender: OriginID) -> Int? {
        let key = RecordKey(collection: change.collection, id: change.record)
        var own: Int?
        for (index, entry) in change.context.entries.enumerated() {
            let dot = Dot(origin: entry.origin, counter: entry.counter)
            if let written = writtenEarlier[dot] {
                if written == key { return index }
                continue
            }
            if entry.origin == sender && entry.counter > floor && own == nil { own = index }
        }
        return own
    }
}

extension ChangeSet {
    /// Replaces each referenced change's placeholder record with the record its dot names: an
    /// earlier change of this set, or what `resolve` finds for the sender's own dots (a dot it
    /// does not know is absent from its answer). Throws `malformed` for a reference the sender
    /// could not honestly make (another origin's dot outside the set, a record of another
    /// collection) and `unknownReference` for dots `resolve` does not know.
    static func resolveReferences(
        _ changes: inout [Change], _ references: [Int: Dot], sender: OriginID,
        resolve: (([Dot]) -> [Dot: RecordKey])?
    ) throws(WireError) {
        guard !references.isEmpty else { return }
        // Which dots the set itself writes, and where (the first change with each dot).
        var firstWriter: [Dot: Int] = [:]
        for (index, change) in changes.enumerated() where firstWriter[change.dot] == nil {
            firstWriter[change.dot] = index
        }
        var outside: [Dot] = []
        for index in references.keys.sorted() {
            let dot = references[index]!
            if let writer = firstWriter[dot], writer < index { continue }
            guard dot.origin == sender else {
                throw .malformed(
                    FormatError(
                        what: "change set payload", offset: 0,
                        reason: "change \(index) names its record by another origin's change outside the set"))
            }
            outside.append(dot)
        }
        var found: [Dot: RecordKey] = [:]
        if !outside.isEmpty {
            guard let resolve else { throw .unknownReference(count: outside.count) }
            found = resolve(outside)
            let unknown = Set(outside).filter { found[$0] == nil }.count
            guard unknown == 0 else { throw .unknownReference(count: unknown) }
        }
        for index in references.keys.sorted() {
            let dot = references[index]!
            let key: RecordKey
            if let writer = firstWriter[dot], writer < index {
                key = RecordKey(collection: changes[writer].collection, id: changes[writer].record)
            } else {
                key = found[dot]!
            }
            guard key.collection == changes[index].collection else {
                throw .malformed(
                    FormatError(
                        what: "change set payload", offset: 0,
                        reason: "change \(index) names a record of another collection"))
            }
            changes[index].record = key.id
        }
    }
}

import SyncCore

/// Which records are filed under which case (history, assessments, plans, referrals, visits),
/// kept between commands so that opening a case or a child's profile does not open every record
/// of those collections: the engine has no secondary index. Like the name cache, one replica
/// setting (sealed at rest like every value), covering the log up to `sequence`, caught up from
/// the log when behind and rebuilt when damaged or far behind. It holds record ids only.
struct FiledCache {
    static let setting = "domain.filed.v1"
    static let collections = ["case_events", "assessments", "plans", "referrals", "visits"]

    var sequence: UInt64 = 0
    /// Per case id, the collection's index in `collections` and the record's id.
    var byCase: [RecordID: [(Int, RecordID)]] = [:]
    /// Per filed record, the case it is under (to move it when its `case_id` changes).
    var caseOf: [RecordID: RecordID] = [:]

    init() {}

    /// `v1 SEQUENCE` then a line per filed record: `CASE COLLECTION RECORD` (ids in hex).
    init?(stored text: String) {
        let bytes = Array(text.utf8)
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)[...]
        guard let header = lines.popFirst(), header.starts(with: "v1 ".utf8),
            let sequence = UInt64(String(decoding: header.dropFirst(3), as: UTF8.self))
        else { return nil }
        self.sequence = sequence
        for line in lines {
            let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count == 3, let caseID = NameCache.id(hex: parts[0]),
                let collection = Int(String(decoding: parts[1], as: UTF8.self)),
                Self.collections.indices.contains(collection), let id = NameCache.id(hex: parts[2])
            else { return nil }
            file(id, in: collection, under: caseID)
        }
    }

    var stored: String {
        var text = "v1 \(sequence)\n"
        for (caseID, records) in byCase {
            for (collection, id) in records {
                text += "\(NameCache.hex(caseID)) \(collection) \(NameCache.hex(id))\n"
            }
        }
        return text
    }

    mutating func file(_ id: RecordID, in collection: Int, under caseID: RecordID) {
        byCase[caseID, default: []].append((collection, id))
        caseOf[id] = caseID
    }

    /// Files `id` (of `collections[collection]`) as its state says now (nil: gone).
    mutating func update(_ id: RecordID, in collection: Int, _ state: RecordState?) {
        if let previous = caseOf[id] {
            byCase[previous]?.removeAll { $0.1 == id }
            caseOf[id] = nil
        }
        guard let state, !state.isDeleted, let text = state.value("case_id")?.stringValue,
            let caseID = RecordID(string: text)
        else { return }
        file(id, in: collection, under: caseID)
    }
}

extension DomainStore {
    /// The filed-records cache, brought up to date with the log; written back when it changed.
    func currentFiledCache() throws -> FiledCache {
        var cache = try replica.setting(FiledCache.setting).flatMap(FiledCache.init(stored:))
        var changed = false
        if var current = cache {
            if let (after, touched) = try touchedRecords(
                since: current.sequence, in: Set(FiledCache.collections))
            {
                if after != current.sequence {
                    for (collection, name) in FiledCache.collections.enumerated() {
                        guard let ids = touched[name] else { continue }
                        let read = Dictionary(
                            try replica.records(name, ids: Array(ids)).map { ($0.0, $0.1) },
                            uniquingKeysWith: { first, _ in first })
                        for id in ids { current.update(id, in: collection, read[id]) }
                    }
                    current.sequence = after
                    cache = current
                    changed = true
                }
            } else {
                cache = nil
            }
        }
        if cache == nil {
            var fresh = FiledCache()
            // The position first: what lands while the records are read is caught up again.
            fresh.sequence = try replica.lastSequence()
            for (collection, name) in FiledCache.collections.enumerated() {
                for (id, state) in try replica.records(in: name) { fresh.update(id, in: collection, state) }
            }
            cache = fresh
            changed = true
        }
        if changed, let cache {
            // Opening a case must not fail because the cache could not be saved.
            try? replica.setSetting(FiledCache.setting, cache.stored)
        }
        return cache!
    }
}

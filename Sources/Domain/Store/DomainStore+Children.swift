public import SyncCore

extension DomainStore {
    /// The children whose names match `query` as people type them (no diacritics, any case,
    /// `d` for `đ`, prefixes of syllables), best first. The index is built here, in memory, from
    /// the unlocked records: nothing of it is written to disk, where it would reveal names.
    public func findChildren(_ query: String, limit: Int = 20, includeTraces: Bool = false) throws -> [DomainRecord] {
        let terms = searchTerms(query)
        guard !terms.isEmpty, limit > 0 else { return [] }
        // The sealed cache of folded names narrows 15,000 children to the few whose syllables
        // start with every term; only those records are opened and ranked.
        let cache = try currentNameCache()
        let own = replica.unit
        let candidates = cache.candidates(terms.map { Array($0.utf8) }) { includeTraces || $0 == own }
        var index = NameIndex<RecordID>()
        var byID: [RecordID: DomainRecord] = [:]
        for (id, state) in try replica.records("children", ids: Array(candidates.prefix(Self.maximumRankedCandidates)))
        {
            let child = DomainRecord(collection: "children", id: id, state: state)
            guard !child.deleted, includeTraces || isOwn(child), let name = child.string("full_name") else { continue }
            index.insert(child.id, text: name)
            byID[child.id] = child
        }
        return index.search(query, limit: limit).compactMap { byID[$0.id] }
    }

    /// At most this many candidates are opened and ranked (a one-letter query matches most of a
    /// commune); the rest are not shown.
    static let maximumRankedCandidates = 2_000

    /// This office's children, by village then name; `village` matched as typed (folded).
    public func listChildren(village: String? = nil, includeTraces: Bool = false) throws -> [DomainRecord] {
        let wanted = village.map(foldForSearch)
        return try records("children")
            .filter { includeTraces || isOwn($0) }
            .filter { child in wanted.map { foldForSearch(child.string("village") ?? "") == $0 } ?? true }
            .sorted {
                (foldForSearch($0.string("village") ?? ""), foldForSearch($0.string("full_name") ?? ""), $0.id)
                    < (foldForSearch($1.string("village") ?? ""), foldForSearch($1.string("full_name") ?? ""), $1.id)
            }
    }

    /// A child's cases, newest first, with what is filed under them.
    public func cases(ofChild id: RecordID) throws -> [DomainRecord] {
        try records("cases").filter { $0.string("child_id") == id.description }
            .sorted { ($0.string("received_at") ?? "") > ($1.string("received_at") ?? "") }
    }

    /// Records of `collection` filed under a case, oldest first.
    public func filed(_ collection: String, underCase id: RecordID, by order: String = "at") throws -> [DomainRecord] {
        try filedUnderCase(id)[collection] ?? []
    }

    /// Everything filed under a case (history, assessments, plans, referrals, visits), by
    /// collection, oldest first: found through the sealed cache of which record is under which
    /// case, so only those records are opened.
    public func filedUnderCase(_ id: RecordID) throws -> [String: [DomainRecord]] {
        let cache = try currentFiledCache()
        var result: [String: [DomainRecord]] = [:]
        for (index, collection) in FiledCache.collections.enumerated() {
            let ids = (cache.byCase[id] ?? []).filter { $0.0 == index }.map(\.1)
            let order = collection == "plans" ? "drafted_at" : "at"
            result[collection] = try replica.records(collection, ids: ids)
                .map { DomainRecord(collection: collection, id: $0.0, state: $0.1) }
                .filter { !$0.deleted && $0.string("case_id") == id.description }
                .sorted { ($0.string(order) ?? "", $0.id) < ($1.string(order) ?? "", $1.id) }
        }
        return result
    }
}

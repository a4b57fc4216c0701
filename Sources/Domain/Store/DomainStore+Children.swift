public import SyncCore

extension DomainStore {
    /// The children whose names match `query` as people type them (no diacritics, any case,
    /// `d` for `đ`, prefixes of syllables), best first. The index is built here, in memory, from
    /// the unlocked records: nothing of it is written to disk, where it would reveal names.
    public func findChildren(_ query: String, limit: Int = 20, includeTraces: Bool = false) throws -> [DomainRecord] {
        let children = try records("children").filter { includeTraces || isOwn($0) }
        var index = NameIndex<RecordID>()
        var byID: [RecordID: DomainRecord] = [:]
        for child in children {
            guard let name = child.string("full_name") else { continue }
            index.insert(child.id, text: name)
            byID[child.id] = child
        }
        return index.search(query, limit: limit).compactMap { byID[$0.id] }
    }

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
        try records(collection).filter { $0.string("case_id") == id.description }
            .sorted { ($0.string(order) ?? "", $0.id) < ($1.string(order) ?? "", $1.id) }
    }
}

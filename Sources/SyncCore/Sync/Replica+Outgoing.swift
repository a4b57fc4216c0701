extension Replica {
    /// The next page of this replica's log for someone else: a push (`filter.onlyOrigin` or
    /// `excludingVia` the hub) or a pull by a peer (`filter.units` its scope, `excludingVia`
    /// the peer). When an entry moves a record into the filter's units, the record's whole
    /// earlier history comes first: the receiver never saw it, and without it the move would
    /// wait forever for its dependencies.
    public func outgoingPage(after cursor: UInt64, filter: LogFilter, maxEntries: Int, maxBytes: Int) throws -> LogPage
    {
        try storage.read { access in
            let page = try access.logPage(after: cursor, filter: filter, maxEntries: maxEntries, maxBytes: maxBytes)
            guard let units = filter.units else { return page }
            var entries: [LogEntry] = []
            var sent = Set<Dot>()
            for entry in page.entries {
                if let previous = entry.previousUnit, !units.contains(previous), units.contains(entry.change.unit) {
                    for earlier in try access.history(of: entry.change.key, before: entry.sequence)
                    where sent.insert(earlier.change.dot).inserted {
                        entries.append(earlier)
                    }
                }
                if sent.insert(entry.change.dot).inserted { entries.append(entry) }
            }
            return LogPage(entries: entries, through: page.through, hasMore: page.hasMore)
        }
    }
}

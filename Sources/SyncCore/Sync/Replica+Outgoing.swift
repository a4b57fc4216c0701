extension Replica {
    /// The next page of this replica's log for someone else: a push (`filter.onlyOrigin` or
    /// `excludingVia` the hub) or a pull by a peer (`filter.units` its scope, `excludingVia`
    /// the peer). When an entry moves a record into the filter's units, the record's whole
    /// earlier history comes first: the receiver never saw it, and without it the move would
    /// wait forever for its dependencies. That holds for an entry that came from the receiver
    /// too (it moved the record back without knowing what happened to it meanwhile): its history
    /// is sent, the entry itself is not. The limits hold for the page with those histories:
    /// the page ends before an entry whose history would take it past them, unless that entry
    /// is the first (a page always makes progress).
    public func outgoingPage(after cursor: UInt64, filter: LogFilter, maxEntries: Int, maxBytes: Int) throws -> LogPage
    {
        try outgoingPage(after: cursor, filter: filter, maxEntries: maxEntries, maxBytes: maxBytes, faults: .none)
    }

    /// `outgoingPage`, with `faults` planted (the mutation check; `.none` otherwise).
    package func outgoingPage(
        after cursor: UInt64, filter: LogFilter, maxEntries: Int, maxBytes: Int, faults: PlantedFaults
    ) throws -> LogPage {
        try storage.read { access in
            let page = try access.logPage(after: cursor, filter: filter, maxEntries: maxEntries, maxBytes: maxBytes)
            guard let units = filter.units, !faults.withoutMovedInHistory else { return page }
            var entries: [LogEntry] = []
            var bytes = 0
            var sent = Set<Dot>()
            var through = cursor
            for entry in page.entries {
                var adding: [LogEntry] = []
                if LogFilter.movesIn(entry, units: units) {
                    for earlier in try access.history(of: entry.change.key, before: entry.sequence)
                    where !sent.contains(earlier.change.dot) {
                        adding.append(earlier)
                    }
                }
                // The receiver's own entry is in the page only for the history it brings.
                let fromReceiver = filter.excludingVia != nil && entry.via == filter.excludingVia
                if !fromReceiver && !sent.contains(entry.change.dot) { adding.append(entry) }
                let size = adding.reduce(0) { $0 + $1.change.encoded().count }
                if !entries.isEmpty && (entries.count + adding.count > max(1, maxEntries) || bytes + size > maxBytes) {
                    // Stop before this entry: the next page starts with it and its history.
                    return LogPage(entries: entries, through: through, hasMore: true)
                }
                for item in adding where sent.insert(item.change.dot).inserted { entries.append(item) }
                bytes += size
                through = entry.sequence
            }
            return LogPage(entries: entries, through: page.through, hasMore: page.hasMore)
        }
    }
}

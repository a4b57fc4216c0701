import SyncCore

/// The folded names of a commune's children, kept between commands so that a search does not
/// open every child's record: one replica setting, which the storage seals at rest like any
/// value (a copied file shows nothing of it), covering the log up to `sequence` and brought up
/// to date from the log when it is behind. It holds folded syllables only; the names shown come
/// from the matching records themselves.
struct NameCache {
    struct Entry {
        var unit: String
        /// The folded syllables, each preceded by a space: " dang van duc".
        var folded: [UInt8]
    }

    static let setting = "domain.search.children.v2"
    /// Beyond this many log entries to catch up, rebuilding from the records is quicker.
    static let catchUpLimit = 20_000

    var sequence: UInt64 = 0
    /// In the order read: a search scans them all; an update (rare: a catch-up) finds its entry
    /// through `positions`, built then.
    var ids: [RecordID] = []
    var values: [Entry] = []

    /// The cache as stored, or nil when absent or not readable (then it is rebuilt).
    init?(stored text: String) {
        // One copy into contiguous bytes: slicing an array is far cheaper than a string's view.
        let bytes = Array(text.utf8)
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)[...]
        guard let header = lines.popFirst(), header.starts(with: "v1 ".utf8),
            let sequence = UInt64(String(decoding: header.dropFirst(3), as: UTF8.self))
        else { return nil }
        self.sequence = sequence
        ids.reserveCapacity(lines.count)
        values.reserveCapacity(lines.count)
        var unit = ""
        for line in lines {
            let parts = line.split(separator: UInt8(ascii: "\t"), maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = Self.id(hex: parts[0]) else { return nil }
            // A commune's entries share one or two unit codes: a new string only when it changes.
            if !unit.utf8.elementsEqual(parts[1]) { unit = String(decoding: parts[1], as: UTF8.self) }
            ids.append(id)
            values.append(Entry(unit: unit, folded: Array(parts[2])))
        }
    }

    /// A record id as the cache writes it: 32 hexadecimal digits (parsed without building a
    /// string: a commune's cache holds thousands).
    static func id(hex: some Collection<UInt8>) -> RecordID? {
        guard hex.count == 32 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (position, byte) in hex.enumerated() {
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: return nil
            }
            if position < 16 { high = high << 4 | UInt64(digit) } else { low = low << 4 | UInt64(digit) }
        }
        return RecordID(UUID128(high: high, low: low))
    }

    static func hex(_ id: RecordID) -> String {
        let value = id.uuid
        func digits(_ word: UInt64) -> String {
            let text = String(word, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }
        return digits(value.high) + digits(value.low)
    }

    init() {}

    var stored: String {
        var text = "v1 \(sequence)\n"
        text.reserveCapacity(ids.count * 64)
        for (id, entry) in zip(ids, values) {
            text += "\(Self.hex(id))\t\(entry.unit)\t\(String(decoding: entry.folded, as: UTF8.self))\n"
        }
        return text
    }

    static func entry(for state: RecordState) -> Entry? {
        guard !state.isDeleted, let name = state.value("full_name")?.stringValue else { return nil }
        let folded = searchTerms(name).map { " " + $0 }.joined()
        // Tabs and newlines never survive folding into terms; units are codes.
        return Entry(unit: state.unit ?? "", folded: Array(folded.utf8))
    }

    /// Brings the entries of `records` up to date (nil: the record is gone), finding each
    /// through one index of positions.
    mutating func update(_ records: [(RecordID, RecordState?)]) {
        var positions: [RecordID: Int] = [:]
        positions.reserveCapacity(ids.count)
        for (position, id) in ids.enumerated() { positions[id] = position }
        var removed = Set<Int>()
        for (id, state) in records {
            let entry = state.flatMap(Self.entry(for:))
            if let position = positions[id] {
                if let entry { values[position] = entry } else { removed.insert(position) }
            } else if let entry {
                positions[id] = ids.count
                ids.append(id)
                values.append(entry)
            }
        }
        if !removed.isEmpty {
            let kept = ids.indices.filter { !removed.contains($0) }
            ids = kept.map { ids[$0] }
            values = kept.map { values[$0] }
        }
    }

    /// Entries for records read in full (a rebuild): no lookups.
    mutating func append(_ records: [(RecordID, RecordState)]) {
        for (id, state) in records {
            guard let entry = Self.entry(for: state) else { continue }
            ids.append(id)
            values.append(entry)
        }
    }

    /// The ids whose folded name holds every query term at the start of a syllable: the
    /// candidates the name index then ranks.
    func candidates(_ terms: [[UInt8]], units: (String) -> Bool) -> [RecordID] {
        var result: [RecordID] = []
        for (id, entry) in zip(ids, values) where units(entry.unit) {
            if terms.allSatisfy({ Self.containsSyllablePrefix(entry.folded, $0) }) { result.append(id) }
        }
        return result
    }

    /// Whether `haystack` holds " " + `term` (a syllable starting with the term).
    static func containsSyllablePrefix(_ haystack: [UInt8], _ term: [UInt8]) -> Bool {
        let needle = term.count + 1
        guard haystack.count >= needle else { return false }
        var start = 0
        while start + needle <= haystack.count {
            if haystack[start] == 0x20 {
                var matched = true
                for offset in 0..<term.count where haystack[start + 1 + offset] != term[offset] {
                    matched = false
                    break
                }
                if matched { return true }
            }
            start += 1
        }
        return false
    }
}

extension DomainStore {
    /// The name cache, brought up to date with the log; written back when it changed.
    func currentNameCache() throws -> NameCache {
        var cache = try replica.setting(NameCache.setting).flatMap(NameCache.init(stored:))
        var changed = false
        if var current = cache {
            if let (after, touched) = try touchedRecords(since: current.sequence, in: ["children"]) {
                if after != current.sequence {
                    let ids = touched["children"] ?? []
                    let read = Dictionary(
                        try replica.records("children", ids: Array(ids)).map { ($0.0, $0.1) },
                        uniquingKeysWith: { first, _ in first })
                    current.update(ids.map { ($0, read[$0]) })
                    current.sequence = after
                    cache = current
                    changed = true
                }
            } else {
                cache = nil
            }
        }
        if cache == nil {
            var fresh = NameCache()
            // The position first: a change landing while the records are read is then caught
            // up again next time (updating an entry twice is harmless), never missed.
            fresh.sequence = try replica.lastSequence()
            fresh.append(try replica.records(in: "children"))
            cache = fresh
            changed = true
        }
        if changed, let cache {
            // A search must not fail because the cache could not be saved (another command
            // writing): it is rebuilt or caught up next time.
            try? replica.setSetting(NameCache.setting, cache.stored)
        }
        return cache!
    }

    /// The records of `collections` that changed after log position `sequence`, and the log's
    /// last position; nil when more than `NameCache.catchUpLimit` entries follow (rebuilding
    /// the cache is then quicker than catching up) or the cache claims a position the log has
    /// not reached.
    func touchedRecords(since sequence: UInt64, in collections: Set<String>) throws -> (
        UInt64, [String: Set<RecordID>]
    )? {
        // A cache ahead of the log (a file put back from elsewhere, a setting written by hand)
        // would never catch up: rebuild it.
        guard sequence <= (try replica.lastSequence()) else { return nil }
        var touched: [String: Set<RecordID>] = [:]
        var after = sequence
        var entries = 0
        while true {
            let page = try replica.log(after: after, limit: 5_000)
            guard let last = page.last else { break }
            for entry in page where collections.contains(entry.change.collection) {
                touched[entry.change.collection, default: []].insert(entry.change.record)
            }
            entries += page.count
            after = last.sequence
            if entries > NameCache.catchUpLimit { return nil }
        }
        return (after, touched)
    }
}

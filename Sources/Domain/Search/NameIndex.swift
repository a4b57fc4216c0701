/// A search of people's names as workers type them: without diacritics, in any case, `d` for
/// `đ`, any syllable by its first letters ("ng th la" finds "Nguyễn Thị Lan").
///
/// It lives in memory only, built when a node is unlocked: an index on disk would reveal the
/// names it holds. Lookups go through an inverted index of folded syllables kept sorted, so a
/// term's syllables are a binary search away and a query looks only at the names holding its
/// rarest term. Syllables are numbered, so matching a name compares integers, not text.
public struct NameIndex<ID: Hashable & Sendable>: Sendable {
    // The names, by slot (a removed name's slot is reused).
    private var ids: [ID?] = []
    private var texts: [String] = []
    /// Each name's folded syllables by number, and the same syllables with their marks (NFC,
    /// lower case).
    private var syllables: [[Int32]] = []
    private var marked: [[String]] = []
    /// Bit s set: syllable s has no diacritics, so a term typed without them equals it with its
    /// marks whenever it equals it folded.
    private var plain: [UInt64] = []
    private var foldedTexts: [String] = []
    private var lengths: [Int] = []
    /// The order of insertion: the last tie-break, so equal names keep a stable order.
    private var sequences: [Int] = []
    private var slotOf: [ID: Int] = [:]
    private var freeSlots: [Int] = []
    private var nextSequence = 0

    // The folded syllables: numbers, their text, the slots of the names holding each, and the
    // numbers in the UTF-8 order of their text, where a prefix's syllables are contiguous.
    private var numberOf: [String: Int32] = [:]
    private var syllableText: [String] = []
    private var postings: [[Int32]] = []
    private var freeNumbers: [Int32] = []
    private var vocabulary: [Int32] = []

    /// The most syllables of a text that are searchable, far beyond any name.
    public static var maximumSyllables: Int { 64 }

    public init() {}

    /// The number of names indexed.
    public var count: Int { slotOf.count }

    /// Indexes `text` under `id`, replacing what `id` had.
    public mutating func insert(_ id: ID, text: String) {
        remove(id)
        var folded: [String] = []
        var markedSyllables: [String] = []
        var plainBits: UInt64 = 0
        for (syllable, fold) in markedAndFoldedSyllables(text).prefix(Self.maximumSyllables) {
            if fold == syllable { plainBits |= 1 << UInt64(folded.count) }
            folded.append(fold)
            markedSyllables.append(syllable)
        }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = ids.count
            ids.append(nil)
            texts.append("")
            syllables.append([])
            marked.append([])
            plain.append(0)
            foldedTexts.append("")
            lengths.append(0)
            sequences.append(0)
        }
        var numbers: [Int32] = []
        for fold in folded {
            let number = self.number(for: fold)
            if !numbers.contains(number) { postings[Int(number)].append(Int32(slot)) }
            numbers.append(number)
        }
        let foldedText = folded.joined(separator: " ")
        ids[slot] = id
        texts[slot] = text
        syllables[slot] = numbers
        marked[slot] = markedSyllables
        plain[slot] = plainBits
        foldedTexts[slot] = foldedText
        lengths[slot] = foldedText.count
        sequences[slot] = nextSequence
        nextSequence += 1
        slotOf[id] = slot
    }

    public mutating func remove(_ id: ID) {
        guard let slot = slotOf.removeValue(forKey: id) else { return }
        for number in Set(syllables[slot]) {
            let index = Int(number)
            guard let position = postings[index].firstIndex(of: Int32(slot)) else { continue }
            postings[index].swapAt(position, postings[index].count - 1)
            postings[index].removeLast()
            if postings[index].isEmpty { forget(number) }
        }
        ids[slot] = nil
        texts[slot] = ""
        syllables[slot] = []
        marked[slot] = []
        foldedTexts[slot] = ""
        freeSlots.append(slot)
    }

    /// The names matching `query`, best first, at most `limit`. Every term of the query must
    /// begin a different syllable of the name. Ranked by, in turn: the query typed with its
    /// diacritics equals the whole name; more terms equal to a whole syllable; the terms in
    /// the name's order; more terms equal to their syllable with its diacritics; the shorter
    /// name; the folded name's text; the earlier inserted.
    public func search(_ query: String, limit: Int) -> [NameMatch<ID>] {
        var terms: [String] = []
        var markedTerms: [String] = []
        for (syllable, fold) in markedAndFoldedSyllables(query) {
            terms.append(fold)
            markedTerms.append(syllable)
        }
        guard limit > 0, !terms.isEmpty, terms.count <= Self.maximumSyllables else { return [] }

        // For each term: the syllables it begins (a bit set over syllable numbers), the one it
        // equals, whether it was typed without marks; and the term whose names are fewest.
        let words = (syllableText.count + 63) / 64
        var matcher = Matcher(terms: terms.count, words: words)
        var rarest = 0..<0
        var rarestCount = Int.max
        for (t, term) in terms.enumerated() {
            let range = prefixRange(term)
            var count = 0
            for number in vocabulary[range] {
                matcher.begins[t][Int(number) >> 6] |= 1 << UInt64(number & 63)
                count += postings[Int(number)].count
            }
            if count == 0 { return [] }
            matcher.equals[t] = numberOf[term] ?? -1
            matcher.typedPlain[t] = markedTerms[t] == term
            if count < rarestCount {
                rarest = range
                rarestCount = count
            }
        }

        // Keep every match when there may be fewer than `limit`; otherwise only the best
        // `limit` so far, in order, without sorting every match (a bare "n" matches most names).
        let keepAll = rarestCount <= limit
        var visited = rarest.count > 1 ? [Bool](repeating: false, count: ids.count) : []
        var best: [Ranked] = []
        for number in vocabulary[rarest] {
            for slot32 in postings[Int(number)] {
                let slot = Int(slot32)
                if !visited.isEmpty {
                    if visited[slot] { continue }
                    visited[slot] = true
                }
                guard var score = matcher.best(syllables[slot], plain: plain[slot], marked: marked[slot], markedTerms)
                else { continue }
                score.full =
                    score.exact == terms.count && score.inOrder && syllables[slot].count == terms.count
                    && marked[slot] == markedTerms
                let candidate = Ranked(score: score, length: lengths[slot], sequence: sequences[slot], slot: slot)
                if keepAll {
                    best.append(candidate)
                } else if best.count < limit || precedes(candidate, best[limit - 1]) {
                    if best.count == limit { best.removeLast() }
                    best.insert(candidate, at: insertionPoint(of: candidate, in: best))
                }
            }
        }
        if keepAll { best.sort(by: precedes) }
        return best.prefix(limit).map { ranked in
            NameMatch(
                id: ids[ranked.slot]!, name: texts[ranked.slot], isFullMatch: ranked.score.full,
                exactTerms: ranked.score.exact, inOrder: ranked.score.inOrder)
        }
    }

    private struct Ranked {
        let score: Score
        let length: Int
        let sequence: Int
        let slot: Int
    }

    private func precedes(_ lhs: Ranked, _ rhs: Ranked) -> Bool {
        if lhs.score.full != rhs.score.full { return lhs.score.full }
        if lhs.score.key != rhs.score.key { return lhs.score.key > rhs.score.key }
        if lhs.length != rhs.length { return lhs.length < rhs.length }
        let (left, right) = (foldedTexts[lhs.slot], foldedTexts[rhs.slot])
        if left != right { return left.utf8.lexicographicallyPrecedes(right.utf8) }
        return lhs.sequence < rhs.sequence
    }

    private func insertionPoint(of candidate: Ranked, in sorted: [Ranked]) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if precedes(sorted[middle], candidate) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The number of a folded syllable, numbering it (and placing it in the vocabulary) if new.
    private mutating func number(for fold: String) -> Int32 {
        if let number = numberOf[fold] { return number }
        let number: Int32
        if let free = freeNumbers.popLast() {
            number = free
            syllableText[Int(number)] = fold
        } else {
            number = Int32(syllableText.count)
            syllableText.append(fold)
            postings.append([])
        }
        vocabulary.insert(number, at: lowerBound(fold))
        numberOf[fold] = number
        return number
    }

    /// Drops a syllable no name holds any more: nothing of a removed name stays behind.
    private mutating func forget(_ number: Int32) {
        let text = syllableText[Int(number)]
        vocabulary.remove(at: lowerBound(text))
        numberOf[text] = nil
        syllableText[Int(number)] = ""
        freeNumbers.append(number)
    }

    /// The range of `vocabulary` whose syllables begin with `prefix`.
    private func prefixRange(_ prefix: String) -> Range<Int> {
        let start = lowerBound(prefix)
        var end = start
        while end < vocabulary.count && syllableText[Int(vocabulary[end])].utf8.starts(with: prefix.utf8) {
            end += 1
        }
        return start..<end
    }

    /// The first position of `vocabulary` whose syllable is not ordered before `text`.
    private func lowerBound(_ text: String) -> Int {
        var low = 0
        var high = vocabulary.count
        while low < high {
            let middle = (low + high) / 2
            if syllableText[Int(vocabulary[middle])].utf8.lexicographicallyPrecedes(text.utf8) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }
}

/// How well a query matches a name, best assignment of terms to syllables.
private struct Score {
    var full = false
    var exact = 0
    var inOrder = true
    var markedExact = 0

    /// What ranks assignments, most significant first.
    var key: (Int, Int, Int) { (exact, inOrder ? 1 : 0, markedExact) }
}

/// Finds, for one name at a time, the best way to give each term a different syllable it
/// begins. Its buffers serve every name of a search.
private struct Matcher {
    var begins: [[UInt64]]
    var equals: [Int32]
    var typedPlain: [Bool]
    // Per term, over the name's syllables: those it begins, equals, equals with marks.
    private var masks: [UInt64]
    private var exactMasks: [UInt64]
    private var markedMasks: [UInt64]
    private var found: Score?
    /// Assignments left to try for this name: a query of many one-letter terms against a long
    /// text could otherwise try millions. Real names and queries stay far below it.
    private var budget = 0

    init(terms: Int, words: Int) {
        begins = [[UInt64]](repeating: [UInt64](repeating: 0, count: words), count: terms)
        equals = [Int32](repeating: -1, count: terms)
        typedPlain = [Bool](repeating: true, count: terms)
        masks = [UInt64](repeating: 0, count: terms)
        exactMasks = masks
        markedMasks = masks
    }

    mutating func best(_ syllables: [Int32], plain: UInt64, marked: [String], _ markedTerms: [String]) -> Score? {
        let terms = masks.count
        guard terms <= syllables.count else { return nil }
        for t in 0..<terms {
            var mask: UInt64 = 0
            var exact: UInt64 = 0
            for (s, number) in syllables.enumerated() {
                let bit: UInt64 = 1 << UInt64(s)
                if begins[t][Int(number) >> 6] & (1 << UInt64(number & 63)) != 0 { mask |= bit }
                if number == equals[t] { exact |= bit }
            }
            if mask == 0 { return nil }
            masks[t] = mask
            exactMasks[t] = exact
            if typedPlain[t] {
                markedMasks[t] = exact & plain
            } else {
                var markedMask: UInt64 = 0
                var candidates = exact
                while candidates != 0 {
                    let s = candidates.trailingZeroBitCount
                    candidates &= candidates - 1
                    if marked[s] == markedTerms[t] { markedMask |= 1 << UInt64(s) }
                }
                markedMasks[t] = markedMask
            }
        }
        found = nil
        budget = 10_000
        assign(0, used: 0, previous: -1, score: Score())
        return found
    }

    private mutating func assign(_ t: Int, used: UInt64, previous: Int, score: Score) {
        guard budget > 0 else { return }
        budget -= 1
        if t == masks.count {
            if found.map({ score.key > $0.key }) ?? true { found = score }
            return
        }
        // No better than the best so far even if every term left were exact.
        if let found, found.exact > score.exact + (masks.count - t) { return }
        var options = masks[t] & ~used
        while options != 0 {
            let s = options.trailingZeroBitCount
            options &= options - 1
            var next = score
            next.exact += Int((exactMasks[t] >> UInt64(s)) & 1)
            next.markedExact += Int((markedMasks[t] >> UInt64(s)) & 1)
            next.inOrder = score.inOrder && s > previous
            assign(t + 1, used: used | (1 << UInt64(s)), previous: s, score: next)
        }
    }
}

/// A name found, with what ranked it.
public struct NameMatch<ID: Hashable & Sendable>: Sendable, Hashable {
    public let id: ID
    /// The text indexed, as given.
    public let name: String
    /// The query, typed with its diacritics, is the whole name.
    public let isFullMatch: Bool
    /// How many terms equal a whole syllable (the others begin one).
    public let exactTerms: Int
    /// Whether the terms match in the name's order.
    public let inOrder: Bool
}

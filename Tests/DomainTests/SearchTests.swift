import Domain
import Foundation
import Testing

@Suite struct FoldingTests {
    @Test func foldsCaseMarksAndTheLetterD() {
        #expect(foldForSearch("Đặng Văn Đức") == "dang van duc")
        #expect(foldForSearch("ĐẶNG VĂN ĐỨC") == "dang van duc")
        #expect(foldForSearch("Nguyễn Thị Lan") == "nguyen thi lan")
        #expect(foldForSearch("Trương Thị Ngọc Ánh") == "truong thi ngoc anh")
        #expect(foldForSearch("Lường Thị Hương") == "luong thi huong")
        #expect(foldForSearch("dang van đuc") == "dang van duc")
        // The Icelandic eth, which look-alike keyboards type for Đ.
        #expect(foldForSearch("\u{00D0}ặng") == "dang")
    }

    @Test func decomposedInputFoldsAsComposed() {
        let decomposed = "Đặng Văn Đức".decomposedStringWithCanonicalMapping
        #expect(decomposed.unicodeScalars.count > "Đặng Văn Đức".unicodeScalars.count)
        #expect(foldForSearch(decomposed) == "dang van duc")
        // "ệ" typed as e + circumflex + dot below, marks in the other order.
        #expect(foldForSearch("Nguye\u{0323}\u{0302}n") == "nguyen")
    }

    @Test func termsSplitOnSpacesAndPunctuation() {
        #expect(searchTerms("  Nguyễn-Thị   Lan, (Hà Nội) ") == ["nguyen", "thi", "lan", "ha", "noi"])
        #expect(searchTerms("H'Hen Niê") == ["h", "hen", "nie"])
        #expect(searchTerms("Lò Văn Páo 2") == ["lo", "van", "pao", "2"])
        #expect(searchTerms(" .,- ").isEmpty)
    }
}

@Suite struct NameIndexTests {
    func index(_ names: [String]) -> NameIndex<Int> {
        var index = NameIndex<Int>()
        for (id, name) in names.enumerated() { index.insert(id, text: name) }
        return index
    }

    func names(_ index: NameIndex<Int>, _ query: String, limit: Int = 20) -> [String] {
        index.search(query, limit: limit).map(\.name)
    }

    @Test func namesAreFoundHoweverTheyAreTyped() {
        let index = index(["Đặng Văn Đức", "Nguyễn Thị Lan", "Hoàng Minh Tuấn", "Lò Thị Mỷ"])
        for query in [
            "Đặng Văn Đức", "dang van duc", "DANG VAN DUC", "dang van đuc", "Dang Van Duc",
            "Đặng Văn Đức".decomposedStringWithCanonicalMapping, "duc dang", "đ v đ", "d", "DA",
        ] {
            #expect(names(index, query) == ["Đặng Văn Đức"], "\(query)")
        }
        #expect(names(index, "ng th la") == ["Nguyễn Thị Lan"])
        #expect(names(index, "nguyen thi lan") == ["Nguyễn Thị Lan"])
        #expect(names(index, "lo thi my") == ["Lò Thị Mỷ"])
        #expect(names(index, "thi").sorted() == ["Lò Thị Mỷ", "Nguyễn Thị Lan"])
        #expect(names(index, "tran").isEmpty)
        #expect(names(index, "dang van duc anh").isEmpty)
        #expect(names(index, "").isEmpty && names(index, " - ").isEmpty)
        #expect(index.search("dang", limit: 0).isEmpty)
    }

    @Test func eachTermNeedsASyllableOfItsOwn() {
        let index = index(["Nguyễn Thị Lan", "Nguyễn Văn Văn", "Vũ Văn Thành"])
        #expect(names(index, "thi thi").isEmpty)
        #expect(names(index, "van van") == ["Nguyễn Văn Văn"])
        #expect(names(index, "v v").sorted() == ["Nguyễn Văn Văn", "Vũ Văn Thành"])
        #expect(names(index, "ng ng").isEmpty)
    }

    /// Whole syllables before prefixes, the name's order before any other, then the shorter
    /// name: orders written out by hand.
    @Test func rankingOrder() {
        let index = index([
            "Nguyễn Thị Lanh", "Nguyễn Lan Thi", "Nguyễn Thị Ngọc Lan", "Nguyễn Thị Lan", "Lan", "Lê Thị Lan Anh",
        ])
        // All three whole and in order, the shorter first; whole but out of order; a prefix.
        #expect(
            names(index, "nguyen thi lan") == [
                "Nguyễn Thị Lan", "Nguyễn Thị Ngọc Lan", "Nguyễn Lan Thi", "Nguyễn Thị Lanh",
            ])
        // "Lan" typed with its marks (none) is the whole of "Lan"; then whole syllables, the
        // shorter name first and names of one length by their folded text; then a prefix.
        #expect(
            names(index, "lan") == [
                "Lan", "Lê Thị Lan Anh", "Nguyễn Lan Thi", "Nguyễn Thị Lan", "Nguyễn Thị Ngọc Lan", "Nguyễn Thị Lanh",
            ])
        let matches = index.search("nguyen thi lan", limit: 2)
        #expect(matches.map(\.name) == ["Nguyễn Thị Lan", "Nguyễn Thị Ngọc Lan"])
        #expect(matches[0].exactTerms == 3 && matches[0].inOrder && !matches[0].isFullMatch)
    }

    /// The same folded name twice: typed with its diacritics, a name ranks first, then those
    /// with more syllables typed with the right marks; without marks, the one indexed first.
    @Test func diacriticsTypedInFullRankHighest() {
        let index = index(["Đặng Vân Đức", "Đặng Văn Đức", "Đặng Văn Đức Anh"])
        #expect(names(index, "dang van duc") == ["Đặng Vân Đức", "Đặng Văn Đức", "Đặng Văn Đức Anh"])
        for query in [
            "Đặng Văn Đức", "đặng văn đức", "ĐẶNG VĂN ĐỨC", "Đặng Văn Đức".decomposedStringWithCanonicalMapping,
        ] {
            let matches = index.search(query, limit: 5)
            #expect(matches.map(\.name) == ["Đặng Văn Đức", "Đặng Văn Đức Anh", "Đặng Vân Đức"], "\(query)")
            #expect(matches.map(\.isFullMatch) == [true, false, false])
        }
        #expect(names(index, "Đặng Vân Đức") == ["Đặng Vân Đức", "Đặng Văn Đức", "Đặng Văn Đức Anh"])
        // A marked syllable typed right breaks a tie without being the whole name.
        #expect(names(index, "vân") == ["Đặng Vân Đức", "Đặng Văn Đức", "Đặng Văn Đức Anh"])
        #expect(names(index, "văn") == ["Đặng Văn Đức", "Đặng Văn Đức Anh", "Đặng Vân Đức"])
    }

    @Test func removingAndReplacing() {
        var index = index(["Nguyễn Thị Lan", "Trần Văn Nam", "Phạm Thị Hoa"])
        #expect(index.count == 3)
        index.remove(1)
        #expect(names(index, "tran").isEmpty && index.count == 2)
        index.remove(1)
        index.insert(0, text: "Nguyễn Thị Lành")
        #expect(names(index, "lan") == ["Nguyễn Thị Lành"])
        #expect(index.search("lanh", limit: 5).map(\.id) == [0])
        index.insert(7, text: "Trần Văn Nam")
        #expect(index.search("tr v n", limit: 5).map(\.id) == [7])
        index.remove(0)
        index.remove(2)
        index.remove(7)
        #expect(index.count == 0 && names(index, "t").isEmpty && names(index, "nguyen").isEmpty)
    }

    /// Many one-letter terms against a long text: the search of an assignment is bounded, and
    /// still finds one.
    @Test func aPathologicalQueryStaysBounded() {
        var index = NameIndex<Int>()
        index.insert(1, text: Array(repeating: "An", count: 30).joined(separator: " "))
        index.insert(2, text: "Nguyễn Thị An")
        let matches = index.search(Array(repeating: "a", count: 12).joined(separator: " "), limit: 5)
        #expect(matches.map(\.id) == [1])
        #expect(matches.first?.exactTerms == 0 && matches.first?.inOrder == true)
        #expect(index.search(Array(repeating: "an", count: 65).joined(separator: " "), limit: 5).isEmpty)
    }

    /// 15,000 names, the size of a large merged commune. Asserts the results against a plain
    /// scan; the time is printed, not asserted (a loaded CI machine is no measure).
    @Test func fifteenThousandNames() {
        var generator = SplitMix(seed: 2026)
        let families = [
            "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Lò", "Giàng", "Thào", "Hà", "Đinh", "Lường", "Sùng",
        ]
        let middles = ["Thị", "Văn", "Thị", "Văn", "Minh", "Ngọc", "Thanh", "Đức", "Hữu", "Thu", "Xuân", "Gia"]
        let givens = [
            "Lan", "Anh", "Hoa", "Nam", "Đức", "Hùng", "Lanh", "Linh", "Mai", "Tuấn", "Hương", "Dũng", "Páo", "Mỷ",
            "Sính", "Thảo", "Trang", "Vy", "Yến", "Khoa", "Long", "Phúc", "Quân", "Tâm", "Thành", "Vinh", "Ánh",
        ]
        var all: [String] = []
        var index = NameIndex<Int>()
        for id in 0..<15_000 {
            var parts = [families.randomElement(using: &generator)!, middles.randomElement(using: &generator)!]
            if Bool.random(using: &generator) { parts.append(middles.randomElement(using: &generator)!) }
            parts.append(givens.randomElement(using: &generator)!)
            let name = parts.joined(separator: " ")
            all.append(name)
            index.insert(id, text: name)
        }
        #expect(index.count == 15_000)

        for query in ["nguyen thi lan", "ng th la", "n", "dang van duc", "thi", "lo pao", "ánh"] {
            let clock = ContinuousClock()
            var matches: [NameMatch<Int>] = []
            let elapsed = clock.measure { matches = index.search(query, limit: 20) }
            print("search “\(query)” in 15,000 names: \(elapsed) (\(matches.count) shown)")

            let terms = searchTerms(query)
            let expected = all.indices.filter { scanMatches(terms, searchTerms(all[$0])) }
            let found = index.search(query, limit: 15_000)
            #expect(Set(found.map(\.id)) == Set(expected), "\(query)")
            #expect(matches == Array(found.prefix(20)))
        }
    }

    /// Whether each term begins a different syllable: a brute-force search over assignments.
    func scanMatches(_ terms: [String], _ syllables: [String]) -> Bool {
        guard let term = terms.first else { return true }
        for (index, syllable) in syllables.enumerated() where syllable.hasPrefix(term) {
            var rest = syllables
            rest.remove(at: index)
            if scanMatches(Array(terms.dropFirst()), rest) { return true }
        }
        return false
    }
}

/// A small seeded generator, so the generated commune is the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

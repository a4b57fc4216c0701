import Foundation

/// A text as search compares it: NFC, lower case, `đ` as `d`, without combining marks. People
/// type names without diacritics, in any case, and write `d` for `đ`; `đ` is a letter of its
/// own, not a `d` with a mark, so removing marks alone would not fold it. The same folding runs
/// on what is indexed and on what is typed.
///
/// `ð` (U+00F0, the Icelandic eth, which old Vietnamese encodings and look-alike keyboards put
/// in place of `đ`) folds to `d` too.
public func foldForSearch(_ text: String) -> String {
    if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
    return stripMarks(text.precomposedStringWithCanonicalMapping.lowercased().decomposedStringWithCanonicalMapping)
}

/// A decomposed (NFD) text without its combining marks, `đ` and `ð` as `d`.
private func stripMarks(_ decomposed: String) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in decomposed.unicodeScalars {
        switch scalar {
        case "\u{0111}", "\u{00F0}": scalars.append("d")
        default:
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: scalars.append(scalar)
            }
        }
    }
    return String(scalars)
}

/// The folded syllables of a text, split on whatever is neither a letter nor a digit (spaces,
/// punctuation, the apostrophe of "H'Hen"): "Nguyễn-Thị  Lan" → `nguyen`, `thi`, `lan`.
public func searchTerms(_ text: String) -> [String] {
    markedAndFoldedSyllables(text).map(\.folded)
}

/// The syllables of a text in NFC and lower case, marks kept: what a query typed with its
/// diacritics is compared with.
func syllables(_ text: String) -> [String] {
    let normalized =
        text.utf8.allSatisfy { $0 < 0x80 } ? text.lowercased() : text.precomposedStringWithCanonicalMapping.lowercased()
    return normalized.split { !($0.isLetter || $0.isNumber) }.map(String.init)
}

/// The syllables of a text, each with its marks (as `syllables`) and folded (as
/// `searchTerms`), without the syllables that fold to nothing. One normalization of the whole
/// text rather than one a syllable: indexing a commune's names at unlock stays quick.
func markedAndFoldedSyllables(_ text: String) -> [(marked: String, folded: String)] {
    let marked = syllables(text)
    guard !marked.isEmpty else { return [] }
    let joined = marked.joined(separator: " ")
    let folded =
        joined.utf8.allSatisfy { $0 < 0x80 }
        ? marked : stripMarks(joined.decomposedStringWithCanonicalMapping).split(separator: " ").map(String.init)
    // A syllable always keeps a letter or digit, so the split lines up; fold one by one if not.
    let aligned = folded.count == marked.count ? folded : marked.map { foldForSearch($0) }
    return zip(marked, aligned).filter { !$0.1.isEmpty }.map { (marked: $0.0, folded: $0.1) }
}

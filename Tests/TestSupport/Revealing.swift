public import Foundation

/// The forms in which someone searching a copied file might look for a personal value: UTF-8
/// precomposed (NFC) and decomposed (NFD), lowercase, without diacritics (đ as d), and UTF-16LE.
public func searchableForms(_ value: String) -> [[UInt8]] {
    let nfc = value.precomposedStringWithCanonicalMapping
    let bare = nfc.folding(options: .diacriticInsensitive, locale: nil)
        .replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "D")
    return [
        Array(nfc.utf8), Array(value.decomposedStringWithCanonicalMapping.utf8), Array(nfc.lowercased().utf8),
        Array(bare.utf8), nfc.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] },
    ]
}

/// The values of `values` that `bytes` shows in any of their searchable forms.
public func revealed(_ values: [String], in bytes: Data) -> [String] {
    values.filter { value in searchableForms(value).contains { bytes.range(of: Data($0)) != nil } }
}

/// The bytes of a SQLite file and its side files (-wal, -shm) that exist.
public func fileBytes(_ path: String) throws -> Data {
    var bytes = Data()
    for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
        bytes += try Data(contentsOf: URL(fileURLWithPath: file))
    }
    return bytes
}

public import SyncCore

/// What someone who reads a link (plain HTTP) learns from the bytes that crossed it, for the
/// tests that check change sets are sealed: the bytes themselves, and whatever inflates from
/// them at any offset, with the public preset dictionary or without one, as an eavesdropper
/// who knows the format would try.
public enum Eavesdropper {
    /// A secret and what it is called in a failure message.
    public typealias Secret = (name: String, bytes: [UInt8])

    /// The secrets of a record: its id as text and every 4-byte window of its 16 bytes.
    public static func secrets(of id: RecordID) -> [Secret] {
        let bytes = id.uuid.bytes
        return [("id \(id) as text", Array(id.description.utf8))]
            + (0...(bytes.count - 4)).map { ("id \(id) bytes \($0)..<\($0 + 4)", Array(bytes[$0..<($0 + 4)])) }
    }

    /// Text secrets: names, values, field names.
    public static func secrets(_ texts: [String]) -> [Secret] { texts.map { ("\"\($0)\"", Array($0.utf8)) } }

    /// The names of the `secrets` found in `bytes` or in anything that inflates from them.
    public static func leaks(in bytes: [UInt8], of secrets: [Secret], dictionary: [UInt8]?) -> [String] {
        var seen = [bytes]
        for start in bytes.indices
        where start + 2 <= bytes.count && (Int(bytes[start]) << 8 | Int(bytes[start + 1])) % 31 == 0 {
            // Only offsets where a zlib header could start (its first two bytes are a multiple of 31).
            if let inflated = try? Zlib.decompress(
                Array(bytes[start...]), limit: 1 << 20, dictionary: { _ in dictionary }, stopAtEnd: true)
            {
                seen.append(inflated)
            }
        }
        return secrets.filter { secret in seen.contains { contains($0, secret.bytes) } }.map(\.name)
    }

    /// Whether `needle` occurs in `haystack`.
    public static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains {
            haystack[$0..<($0 + needle.count)].elementsEqual(needle)
        }
    }
}

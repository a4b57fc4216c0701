import CZlib

/// A preset zlib dictionary for change sets: text both ends hold, so that the strings of a
/// small set cost a back-reference instead of their bytes. The engine knows nothing of what it
/// holds (the domain provides it); a set names its dictionary by the Adler-32 of its bytes
/// (zlib's DICTID), and a reader inflates only with a dictionary it holds under that id.
public struct WireDictionary: Hashable, Sendable {
    public let bytes: [UInt8]
    /// zlib's id of the dictionary: the Adler-32 of its bytes.
    public let id: UInt32

    public init(_ bytes: [UInt8]) {
        precondition(!bytes.isEmpty && bytes.count <= 32_768, "a zlib dictionary holds 1 to 32,768 bytes")
        self.bytes = bytes
        id = bytes.withUnsafeBufferPointer { UInt32(adler32(adler32(0, nil, 0), $0.baseAddress, UInt32($0.count))) }
    }

    /// The id as zlib writes it, in hexadecimal: for messages.
    public var hexID: String { String(id, radix: 16) }
}

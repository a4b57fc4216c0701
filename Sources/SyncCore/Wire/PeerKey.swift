import Crypto

/// The secret a hub gives a node or lower hub at enrolment: 32 random bytes shared by the two.
/// Used as they are, they sign requests (HMAC-SHA256); change sets are sealed with a key derived
/// from them for that purpose alone (`sealingKey`), so one secret never serves two algorithms.
public struct PeerKey: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    public static func random() -> PeerKey {
        var generator = SystemRandomNumberGenerator()
        return PeerKey(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })!
    }

    /// Lowercase hexadecimal, for storage and the enrolment answer.
    public var hex: String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: utf8[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        self.init(bytes: bytes)
    }

    /// Never the key itself: keys stay out of logs.
    public var description: String { "PeerKey(…)" }

    var symmetric: SymmetricKey { SymmetricKey(data: bytes) }

    /// The label of the sealing key's derivation: another use of the enrolment key must take
    /// another label.
    static let sealingInfo = Array("tre/v3/change-set-seal/chacha20-poly1305".utf8)

    /// The key change sets are sealed with (ChaCha20-Poly1305): HKDF-SHA256 of the enrolment
    /// key, no salt (the key is already uniformly random), `sealingInfo` as the info.
    var sealingKey: SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: symmetric, info: Self.sealingInfo, outputByteCount: 32)
    }

    /// The sealing key's bytes, for tests that check it is not the enrolment key.
    package var sealingKeyBytes: [UInt8] { sealingKey.withUnsafeBytes { Array($0) } }

    /// HMAC-SHA256 of `message`, for request signatures.
    public func authenticate(_ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: symmetric))
    }

    public func verify(_ code: [UInt8], for message: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: message, using: symmetric)
    }
}

/// SHA-256, hex-encoded: request bodies in signatures, enrolment codes at rest.
public func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

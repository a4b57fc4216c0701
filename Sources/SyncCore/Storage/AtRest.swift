import Crypto
import Foundation
import _CryptoExtras

/// The 32 random bytes a key file holds (as one line of base64): what protects a replica at
/// rest when no passphrase is used.
public struct ReplicaKey: @unchecked Sendable {
    // `SymmetricKey` is an immutable value whose bytes live in SecureBytes (zeroed when freed);
    // swift-crypto does not mark it Sendable, but nothing can mutate it once made.
    let symmetric: SymmetricKey

    /// A fresh key from the system's secure generator.
    public static func random() -> ReplicaKey { ReplicaKey(symmetric: SymmetricKey(size: .bits256)) }

    private init(symmetric: SymmetricKey) { self.symmetric = symmetric }

    /// Reads a key file's text: the base64 of exactly 32 bytes, surrounding whitespace ignored.
    public init?(keyFileText: String) {
        let trimmed = keyFileText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed), data.count == 32 else { return nil }
        symmetric = SymmetricKey(data: data)
    }

    /// What a key file holds: the key in base64 and a newline.
    public var keyFileText: String { symmetric.withUnsafeBytes { Data($0).base64EncodedString() } + "\n" }
}

/// What unlocks a protected replica, or protects a new one.
public enum ReplicaSecret: Sendable {
    /// Stretched by scrypt with the salt and parameters the replica keeps. It is normalised to
    /// Unicode NFC first: Vietnamese input methods type the same letters precomposed or not,
    /// and the passphrase must open the replica whichever keyboard typed it.
    case passphrase(String)
    /// A key file's key, used as it is.
    case key(ReplicaKey)

    package var method: ProtectionMethod {
        switch self {
        case .passphrase: .passphrase
        case .key: .keyFile
        }
    }
}

/// How a protected replica's key is obtained.
public enum ProtectionMethod: String, Sendable, CustomStringConvertible {
    /// A passphrase through scrypt.
    case passphrase = "scrypt"
    /// A key file given at `init`.
    case keyFile = "key_file"

    public var description: String {
        switch self {
        case .passphrase: "a passphrase"
        case .keyFile: "a key file"
        }
    }
}

/// scrypt's costs: N = 2^log2N rounds, block size r, parallelism p. Memory is 128·r·N·p bytes.
package struct ScryptParameters: Hashable, Sendable {
    package let log2N: Int
    package let r: Int
    package let p: Int

    package init(log2N: Int, r: Int, p: Int) {
        self.log2N = log2N
        self.r = r
        self.p = p
    }

    /// What `init` uses: 128 MiB and about half a second in a release build on the reference
    /// machine (docs/PERFORMANCE.md), paid once each time a command opens the replica and by
    /// every guess of someone holding a copied file.
    package static let standard = ScryptParameters(log2N: 17, r: 8, p: 1)

    /// For tests: a millisecond, so a test can make many protected replicas.
    package static let fastForTests = ScryptParameters(log2N: 10, r: 8, p: 1)

    /// Parameters read from a file are checked before use: a damaged or forged file must not
    /// make the program allocate without limit (at most 1 GiB, BoringSSL's own ceiling aside).
    package var isWithinBounds: Bool {
        (10...22).contains(log2N) && (1...16).contains(r) && (1...4).contains(p)
            && (128 * r * p) << log2N <= 1 << 30
    }
}

/// Where a sealed value lives in the file. It is bound to the value as associated data, so a
/// value copied to another row, column or table no longer opens.
package struct SealedPlace {
    package let bytes: [UInt8]

    /// `key` names the row: a record's collection and id, a log sequence, a dot, a setting's
    /// name. Each part is length-prefixed, so two places never give the same bytes.
    package init(table: String, column: String, key: [UInt8]) {
        var writer = ByteWriter(capacity: 32 + table.utf8.count + column.utf8.count + key.count)
        writer.string("tre/at-rest/1")
        writer.string(table)
        writer.string(column)
        writer.varint(key.count)
        writer.raw(key)
        bytes = writer.bytes
    }

    package static func record(_ key: RecordKey) -> SealedPlace {
        var writer = ByteWriter(capacity: 24 + key.collection.utf8.count)
        writer.string(key.collection)
        writer.uuid(key.id.uuid)
        return SealedPlace(table: "records", column: "state", key: writer.bytes)
    }

    package static func log(_ sequence: UInt64) -> SealedPlace {
        var writer = ByteWriter(capacity: 8)
        writer.fixed64(sequence)
        return SealedPlace(table: "log", column: "change", key: writer.bytes)
    }

    package static func dot(_ dot: Dot, table: String, column: String) -> SealedPlace {
        var writer = ByteWriter(capacity: 24)
        writer.uuid(dot.origin.uuid)
        writer.fixed64(dot.counter)
        return SealedPlace(table: table, column: column, key: writer.bytes)
    }

    package static func setting(_ name: String) -> SealedPlace {
        SealedPlace(table: "settings", column: "value", key: Array(name.utf8))
    }
}

/// The keys of an unlocked replica, each derived from its master key (scrypt of the passphrase,
/// or the key file's bytes) by HKDF-SHA256 with its own label, so one key never serves two
/// algorithms.
package struct AtRestKeys: @unchecked Sendable {
    // Immutable `SymmetricKey`s: see `ReplicaKey`.
    let sealing: SymmetricKey
    let search: SymmetricKey

    init(master: SymmetricKey) {
        sealing = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: master, info: Array("tre/at-rest/1/aes-256-gcm".utf8), outputByteCount: 32)
        search = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: master, info: Array("tre/at-rest/1/search-token/hmac-sha256".utf8),
            outputByteCount: 32)
    }
}

/// What the `protection` table of a protected replica holds: never the key, only how to derive
/// it and a value sealed with it, so a wrong passphrase is told apart from a damaged file.
package struct StoredProtection: Sendable {
    package let method: ProtectionMethod
    /// scrypt's salt (16 random bytes); empty for a key file.
    package let salt: [UInt8]
    /// nil for a key file.
    package let scrypt: ScryptParameters?
    /// `checkPlaintext` sealed with the sealing key, bound to the method, salt and parameters.
    package let check: [UInt8]

    static let checkPlaintext = Array("tre: this key opens this replica".utf8)

    package init(method: ProtectionMethod, salt: [UInt8], scrypt: ScryptParameters?, check: [UInt8]) {
        self.method = method
        self.salt = salt
        self.scrypt = scrypt
        self.check = check
    }

    /// Binds the key check to how the key is derived: changed parameters fail like a wrong key.
    var checkPlace: SealedPlace {
        var writer = ByteWriter(capacity: 48)
        writer.string(method.rawValue)
        writer.varint(salt.count)
        writer.raw(salt)
        writer.varint(scrypt?.log2N ?? 0)
        writer.varint(scrypt?.r ?? 0)
        writer.varint(scrypt?.p ?? 0)
        return SealedPlace(table: "protection", column: "check_value", key: writer.bytes)
    }

    /// A new protection for `secret`: a fresh salt, and the keys it gives.
    package static func make(for secret: ReplicaSecret, scrypt: ScryptParameters, path: String) throws -> (
        StoredProtection, AtRestKeys
    ) {
        var generator = SystemRandomNumberGenerator()
        let salt: [UInt8] =
            secret.method == .passphrase ? (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) } : []
        let unchecked = StoredProtection(
            method: secret.method, salt: salt, scrypt: secret.method == .passphrase ? scrypt : nil, check: [])
        let keys = AtRestKeys(master: try unchecked.master(for: secret, path: path))
        let check = AtRest.seal(checkPlaintext, with: keys.sealing, at: unchecked.checkPlace)
        return (
            StoredProtection(method: unchecked.method, salt: salt, scrypt: unchecked.scrypt, check: check), keys
        )
    }

    /// The keys `secret` gives, or why it does not open this replica. The passphrase's scrypt
    /// runs here (the slow step); a key file's key is used as it is.
    package func unlock(with secret: ReplicaSecret, path: String) throws -> AtRestKeys {
        guard secret.method == method else {
            throw StoreError(
                .wrongKey, path: path, operation: "unlock",
                detail: "this replica is protected by \(method), not by \(secret.method)")
        }
        let keys = AtRestKeys(master: try master(for: secret, path: path))
        guard AtRest.open(check, with: keys.sealing, at: checkPlace) == Self.checkPlaintext else {
            throw StoreError(
                .wrongKey, path: path, operation: "unlock",
                detail: method == .passphrase
                    ? "the passphrase does not open this replica" : "the key file does not open this replica")
        }
        return keys
    }

    private func master(for secret: ReplicaSecret, path: String) throws -> SymmetricKey {
        switch secret {
        case .key(let key):
            return key.symmetric
        case .passphrase(let passphrase):
            let bytes = Array(passphrase.precomposedStringWithCanonicalMapping.utf8)
            guard !bytes.isEmpty else {
                throw StoreError(
                    .wrongKey, path: path, operation: "derive key", detail: "an empty passphrase protects nothing")
            }
            guard let scrypt, scrypt.isWithinBounds, salt.count == 16 else {
                throw StoreError(
                    .corrupt, path: path, operation: "derive key",
                    detail: "the replica's key derivation parameters are out of bounds")
            }
            do {
                return try KDF.Scrypt.deriveKey(
                    from: bytes, salt: salt, outputByteCount: 32, rounds: 1 << scrypt.log2N, blockSize: scrypt.r,
                    parallelism: scrypt.p)
            } catch {
                throw StoreError(.other, path: path, operation: "derive key", detail: "scrypt failed: \(error)")
            }
        }
    }
}

/// How a storage treats the columns that hold field values and secrets.
package enum AtRest: Sendable {
    /// An unprotected replica: values are stored as they are.
    case clear
    /// A protected replica, unlocked: values are sealed with AES-256-GCM.
    case sealed(AtRestKeys)
    /// A protected replica opened without its secret: its identity, counts and clear settings
    /// can be read, and it can be backed up; anything sealed is refused.
    case locked(ProtectionMethod)

    /// The format byte of a sealed value: AES-256-GCM, a random 12-byte nonce, then the
    /// ciphertext and its 16-byte tag. Another format would take another byte.
    static let format: UInt8 = 1
    /// What sealing adds to a value: the format byte, the nonce and the tag.
    static let overhead = 1 + 12 + 16

    static func seal(_ plaintext: [UInt8], with key: SymmetricKey, at place: SealedPlace) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: place.bytes)
            // A 12-byte nonce always gives the combined form.
            var sealed = [AtRest.format]
            sealed.reserveCapacity(plaintext.count + overhead)
            sealed.append(contentsOf: box.combined!)
            return sealed
        } catch {
            // AES-GCM sealing fails only on a key of the wrong size, which AtRestKeys never makes.
            preconditionFailure("AES.GCM.seal failed: \(error)")
        }
    }

    /// HMAC-SHA256 of the term's UTF-8, first 16 bytes (`ReplicaStorage.searchToken`).
    static func searchToken(_ term: String, key: SymmetricKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(term.utf8), using: key).prefix(16))
    }

    /// The search key of an unprotected replica: public, so its tokens are only a fixed-size
    /// form of the terms, exactly as secret as the records beside them.
    static var clearSearchKey: SymmetricKey { SymmetricKey(data: Array("tre/search-token/unprotected".utf8)) }

    /// The plaintext, or nil when the value does not open: damaged, moved from another place,
    /// or sealed with another key.
    static func open(_ sealed: [UInt8], with key: SymmetricKey, at place: SealedPlace) -> [UInt8]? {
        guard sealed.count >= overhead, sealed[0] == format,
            let box = try? AES.GCM.SealedBox(combined: sealed[1...]),
            let plaintext = try? AES.GCM.open(box, using: key, authenticating: place.bytes)
        else { return nil }
        return [UInt8](plaintext)
    }
}

/// The same protection for a store outside this module (the hub's PostgreSQL store): sealing,
/// opening and search tokens without handing out the keys.
extension AtRest {
    /// `plaintext` sealed for the column at `place`; itself when clear; nil when locked.
    package func seal(_ plaintext: [UInt8], at place: SealedPlace) -> [UInt8]? {
        switch self {
        case .clear: plaintext
        case .sealed(let keys): Self.seal(plaintext, with: keys.sealing, at: place)
        case .locked: nil
        }
    }

    /// What `seal` stored at `place`, opened: `.failure(false)` when it does not open (damaged
    /// or moved), `.failure(true)` when the store is locked.
    package func open(_ stored: [UInt8], at place: SealedPlace) -> Result<[UInt8], OpenFailure> {
        switch self {
        case .clear: .success(stored)
        case .sealed(let keys):
            Self.open(stored, with: keys.sealing, at: place).map { .success($0) } ?? .failure(.unopenable)
        case .locked: .failure(.locked)
        }
    }

    package enum OpenFailure: Error {
        case locked
        case unopenable
    }

    /// A search term's token: keyed by the replica's search key when protected, publicly when
    /// clear; nil when locked.
    package func searchToken(_ term: String) -> [UInt8]? {
        switch self {
        case .clear: Self.searchToken(term, key: Self.clearSearchKey)
        case .sealed(let keys): Self.searchToken(term, key: keys.search)
        case .locked: nil
        }
    }
}

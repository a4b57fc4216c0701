import Domain
import Foundation
import GRDB
import SyncClient
import SyncCore
import Synchronization

extension HubStore {
    // MARK: Enrolment

    /// A pending one-time code as `enroll list` shows it: never the code, only an id made
    /// from the stored hash.
    struct Enrolment: Hashable, Sendable {
        let id: String
        let unit: String
        let kind: String
        let createdAt: UInt64
        let expiresAt: UInt64
    }

    /// The id `enroll list` shows for a code: the start of its stored hash.
    static func enrolmentID(hash: String) -> String { String(hash.prefix(10)) }

    /// A new one-time code for a `kind` of peer of `unit`, valid for `hours`. Only its hash is
    /// stored.
    func createEnrolment(unit: String, kind: Kind, hours: Int, now: UInt64) throws -> (code: String, id: String) {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
        let groups = (0..<4).map { _ in
            String((0..<4).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        }
        let code = groups.joined(separator: "-")
        let hash = Self.hash(code)
        if let postgres {
            try postgresCreateEnrolment(hash: hash, unit: unit, kind: kind, hours: hours, now: now, postgres)
            return (code, Self.enrolmentID(hash: hash))
        }
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO hub_enrolments (code_hash, unit, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [hash, unit, kind.rawValue, Int64(now), Int64(now + UInt64(hours) * 3_600_000)])
            try event(
                db, "code_created", origin: nil, unit: unit,
                detail: "code \(Self.enrolmentID(hash: hash)) for a \(kind.rawValue), \(hours) h", at: now)
        }
        return (code, Self.enrolmentID(hash: hash))
    }

    static func hash(_ code: String) -> String {
        sha256Hex(Array(code.uppercased().filter { $0 != "-" && $0 != " " }.utf8))
    }

    /// Codes not used, revoked or expired, oldest first.
    func pendingEnrolments(now: UInt64) throws -> [Enrolment] {
        if let postgres { return try postgresPendingEnrolments(now: now, postgres) }
        return try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT code_hash, unit, kind, created_at, expires_at FROM hub_enrolments
                    WHERE used_by IS NULL AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at, code_hash
                    """, arguments: [Int64(now)]
            ).map(Self.enrolment)
        }
    }

    static func enrolment(_ row: Row) -> Enrolment {
        let created: Int64 = row["created_at"]
        let expires: Int64 = row["expires_at"]
        return Enrolment(
            id: enrolmentID(hash: row["code_hash"]), unit: row["unit"], kind: row["kind"], createdAt: UInt64(created),
            expiresAt: UInt64(expires))
    }

    enum CodeRevocation: Equatable {
        case revoked(Enrolment)
        case alreadyRevoked(Enrolment)
        case used(Enrolment, by: OriginID?)
        case notFound
        case ambiguous(count: Int)
    }

    /// Revokes the code whose id starts with `id` (at least 4 hexadecimal digits, one code only).
    func revokeEnrolment(id: String, now: UInt64) throws -> CodeRevocation {
        let prefix = id.lowercased()
        guard prefix.count >= 4, prefix.count <= 64, prefix.allSatisfy(\.isHexDigit) else { return .notFound }
        if let postgres { return try postgresRevokeEnrolment(prefix: prefix, now: now, postgres) }
        return try writer.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT code_hash, unit, kind, created_at, expires_at, used_by, revoked_at FROM hub_enrolments
                    WHERE substr(code_hash, 1, ?) = ?
                    """, arguments: [prefix.count, prefix])
            guard rows.count == 1, let row = rows.first else {
                return rows.isEmpty ? .notFound : .ambiguous(count: rows.count)
            }
            let enrolment = Self.enrolment(row)
            let usedBy: Data? = row["used_by"]
            if let usedBy {
                return .used(enrolment, by: usedBy.count == 16 ? OriginID(UUID128(bytes: usedBy)) : nil)
            }
            let revoked: Int64? = row["revoked_at"]
            if revoked != nil { return .alreadyRevoked(enrolment) }
            try db.execute(
                sql: "UPDATE hub_enrolments SET revoked_at = ? WHERE code_hash = ?",
                arguments: [Int64(now), row["code_hash"] as String])
            try event(
                db, "code_revoked", origin: nil, unit: enrolment.unit,
                detail: "code \(enrolment.id) for a \(enrolment.kind)", at: now)
            return .revoked(enrolment)
        }
    }

    enum EnrolmentFailure: Error, Equatable {
        case unknownCode, usedCode, expiredCode, revokedCode
        /// The code is for the other kind of peer: `codeKind`.
        case wrongKind(codeKind: String)
        /// The caller expected another unit than the code's.
        case wrongUnit(codeUnit: String)
    }

    /// Uses a code: records the peer, with an origin the hub makes (UUIDv7) and a fresh key, in
    /// one transaction. A code of another kind or unit than the caller's is refused and stays
    /// unused.
    /// `assigning` is for tests only, which need replayable origins; the protocol never passes
    /// one (the hub makes a fresh UUIDv7).
    func enrol(
        code: String, kind: Kind, name: String, expectedUnit: String?, now: UInt64, assigning: OriginID? = nil
    ) throws -> Result<Peer, EnrolmentFailure> {
        if let postgres {
            return try postgresEnrol(
                code: code, kind: kind, name: name, expectedUnit: expectedUnit, now: now, assigning: assigning, postgres
            )
        }
        return try writer.write { db in
            let hash = Self.hash(code)
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT unit, kind, expires_at, used_by, revoked_at FROM hub_enrolments WHERE code_hash = ?",
                    arguments: [hash])
            else { return .failure(.unknownCode) }
            let revoked: Int64? = row["revoked_at"]
            guard revoked == nil else { return .failure(.revokedCode) }
            let usedBy: Data? = row["used_by"]
            guard usedBy == nil else { return .failure(.usedCode) }
            let expires: Int64 = row["expires_at"]
            guard expires > Int64(now) else { return .failure(.expiredCode) }
            let codeKind: String = row["kind"]
            guard codeKind == kind.rawValue else { return .failure(.wrongKind(codeKind: codeKind)) }
            let unit: String = row["unit"]
            if let expectedUnit, expectedUnit != unit { return .failure(.wrongUnit(codeUnit: unit)) }
            var generator = SystemRandomNumberGenerator()
            var origin = assigning ?? OriginID(.version7(unixMillis: now, using: &generator))
            while try origin == replica.origin
                || Row.fetchOne(
                    db, sql: "SELECT 1 FROM hub_peers WHERE origin = ?", arguments: [Data(origin.uuid.bytes)]) != nil
            {
                origin = OriginID(.version7(unixMillis: now, using: &generator))
            }
            let peer = Peer(origin: origin, unit: unit, kind: kind.rawValue, name: name, key: .random())
            try db.execute(
                sql: "INSERT INTO hub_peers (origin, unit, kind, name, key, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    Data(origin.uuid.bytes), unit, kind.rawValue, name,
                    try storage.sealText(peer.key.hex, at: Self.keyPlace(origin)), Int64(now),
                ])
            try db.execute(
                sql: "UPDATE hub_enrolments SET used_by = ? WHERE code_hash = ?",
                arguments: [Data(origin.uuid.bytes), hash])
            try event(
                db, "enrolled", origin: origin, unit: unit,
                detail: "\(kind.rawValue) with code \(Self.enrolmentID(hash: hash))", at: now)
            return .success(peer)
        }
    }
}

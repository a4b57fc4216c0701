import Domain
import Foundation
import PostgresNIO
import PostgresStore
import SyncCore

/// The hub's own tables on PostgreSQL: the same statements as the SQLite code beside each
/// method, in `PostgresStorage` transactions. Writes take the writers' lock as every write to
/// the store does (one writer at a time across the hub processes on the database), reads are
/// snapshots. A nonce is admitted once across every process: its primary key decides.
extension HubStore {
    private func bytes(_ cell: PostgresCell) throws -> [UInt8] { try PostgresSession.bytes(cell) }

    private static func uuid(_ origin: OriginID?) -> PostgresBind { .bytes(origin?.uuid.bytes) }

    static func postgresEvent(
        _ session: PostgresSession, _ event: String, origin: OriginID?, unit: String?, detail: String, at: UInt64
    ) throws {
        try session.execute(
            "INSERT INTO hub_events (at, event, origin, unit, detail) VALUES ($1, $2, $3, $4, $5)",
            [.int(Int64(at)), .text(event), uuid(origin), .text(unit), .text(detail)])
    }

    func postgresEvents(_ postgres: PostgresStorage) throws -> [Event] {
        try postgres.transaction(writing: false) { session in
            try session.query("SELECT at, event, origin, unit, detail FROM hub_events ORDER BY sequence").map { row in
                let origin = try bytes(row[2])
                return Event(
                    at: UInt64(try row[0].decode(Int64.self)), event: try row[1].decode(String.self),
                    origin: origin.count == 16 ? OriginID(UUID128(bytes: origin)) : nil,
                    unit: try row[3].decode(String?.self), detail: try row[4].decode(String.self))
            }
        }
    }

    func postgresImport(_ units: [Unit], _ postgres: PostgresStorage) throws -> Int {
        try postgres.transaction(writing: true) { session in
            for unit in units {
                try session.execute(
                    """
                    INSERT INTO hub_units (code, name, level, parent_code) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,
                        parent_code = excluded.parent_code
                    """, [.text(unit.code), .text(unit.name), .text(unit.level), .text(unit.parentCode)])
            }
            return units.count
        }
    }

    func postgresUnit(_ code: String, _ postgres: PostgresStorage) throws -> Unit? {
        try postgres.transaction(writing: false) { session in
            try session.query("SELECT code, name, level, parent_code FROM hub_units WHERE code = $1", [.text(code)])
                .first.map {
                    Unit(
                        code: try $0[0].decode(String.self), name: try $0[1].decode(String.self),
                        level: try $0[2].decode(String.self), parentCode: try $0[3].decode(String?.self))
                }
        }
    }

    func postgresSubtree(of code: String, _ postgres: PostgresStorage) throws -> Set<String> {
        try postgres.transaction(writing: false) { session in
            Set(
                try session.query(
                    """
                    WITH RECURSIVE below(code) AS (
                        SELECT $1::text COLLATE "C" UNION SELECT hub_units.code FROM hub_units JOIN below ON hub_units.parent_code = below.code
                    ) SELECT code FROM below
                    """, [.text(code)]
                ).map { try $0[0].decode(String.self) })
        }
    }

    func postgresUnitCount(_ postgres: PostgresStorage) throws -> Int {
        try postgres.transaction(writing: false) { session in
            Int(try session.query("SELECT count(*) FROM hub_units").first?[0].decode(Int64.self) ?? 0)
        }
    }

    func postgresUnitTree(_ postgres: PostgresStorage) throws -> [UnitTree.Unit] {
        try postgres.transaction(writing: false) { session in
            try session.query("SELECT code, name, parent_code FROM hub_units").map {
                UnitTree.Unit(
                    code: try $0[0].decode(String.self), name: try $0[1].decode(String.self),
                    parent: try $0[2].decode(String?.self))
            }
        }
    }

    // MARK: Authorisation

    func postgresSetAsideCount(from origin: OriginID, _ postgres: PostgresStorage) throws -> Int {
        try postgres.transaction(writing: false) { session in
            Int(
                try session.query("SELECT count(*) FROM set_aside WHERE via = $1", [Self.uuid(origin)]).first?[0]
                    .decode(Int64.self) ?? 0)
        }
    }

    /// The definition versions peers declared (settings, opened when the hub is protected).
    func postgresDeclaredDefinitions(_ postgres: PostgresStorage) throws -> [String] {
        try postgres.transaction(writing: false) { session in
            try session.query("SELECT name, value FROM settings WHERE name LIKE 'peer.%.definition'").map {
                let name = try $0[0].decode(String.self)
                return try postgres.openText(
                    try $0[1].decode(String.self), at: .setting(name), what: "setting \(name)")
            }
        }
    }

    func postgresPeerKinds(_ postgres: PostgresStorage) throws -> (Set<OriginID>, Set<OriginID>) {
        try postgres.transaction(writing: false) { session in
            var direct = Set<OriginID>()
            var hubs = Set<OriginID>()
            for row in try session.query("SELECT origin, kind FROM hub_peers") {
                let origin = try bytes(row[0])
                guard origin.count == 16 else { continue }
                let id = OriginID(UUID128(bytes: origin))
                direct.insert(id)
                if try row[1].decode(String.self) == HubStore.Kind.hub.rawValue { hubs.insert(id) }
            }
            return (direct, hubs)
        }
    }

    func postgresSenders(_ postgres: PostgresStorage) throws -> [Data] {
        try postgres.transaction(writing: false) { session in
            try session.query(
                "SELECT DISTINCT via FROM parked WHERE via IS NOT NULL UNION SELECT DISTINCT via FROM set_aside WHERE via IS NOT NULL"
            ).map { Data(try bytes($0[0])) }
        }
    }

    func postgresAdmit(
        nonce: String, from origin: OriginID, now: UInt64, sweep: Bool, horizon: UInt64, _ postgres: PostgresStorage
    ) throws -> Bool {
        try postgres.transaction(writing: true) { session in
            if sweep {
                try session.execute("DELETE FROM hub_nonces WHERE seen_at < $1", [.int(Int64(clamping: horizon))])
            }
            let inserted = try session.execute(
                "INSERT INTO hub_nonces (nonce, origin, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                [.text(nonce), Self.uuid(origin), .int(Int64(clamping: now))])
            guard inserted == 1 else { return false }
            try session.execute(
                "UPDATE hub_peers SET last_seen = $1 WHERE origin = $2",
                [.int(Int64(clamping: now)), Self.uuid(origin)])
            return true
        }
    }

    // MARK: Enrolment

    func postgresCreateEnrolment(
        hash: String, unit: String, kind: Kind, hours: Int, now: UInt64, _ postgres: PostgresStorage
    ) throws {
        try postgres.transaction(writing: true) { session in
            try session.execute(
                "INSERT INTO hub_enrolments (code_hash, unit, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                [
                    .text(hash), .text(unit), .text(kind.rawValue), .int(Int64(now)),
                    .int(Int64(now + UInt64(hours) * 3_600_000)),
                ])
            try Self.postgresEvent(
                session, "code_created", origin: nil, unit: unit,
                detail: "code \(Self.enrolmentID(hash: hash)) for a \(kind.rawValue), \(hours) h", at: now)
        }
    }

    private static func postgresEnrolment(_ row: PostgresRandomAccessRow) throws -> Enrolment {
        Enrolment(
            id: enrolmentID(hash: try row[0].decode(String.self)), unit: try row[1].decode(String.self),
            kind: try row[2].decode(String.self), createdAt: UInt64(try row[3].decode(Int64.self)),
            expiresAt: UInt64(try row[4].decode(Int64.self)))
    }

    func postgresPendingEnrolments(now: UInt64, _ postgres: PostgresStorage) throws -> [Enrolment] {
        try postgres.transaction(writing: false) { session in
            try session.query(
                """
                SELECT code_hash, unit, kind, created_at, expires_at FROM hub_enrolments
                WHERE used_by IS NULL AND revoked_at IS NULL AND expires_at > $1 ORDER BY created_at, code_hash
                """, [.int(Int64(now))]
            ).map(Self.postgresEnrolment)
        }
    }

    func postgresRevokeEnrolment(prefix: String, now: UInt64, _ postgres: PostgresStorage) throws -> CodeRevocation {
        try postgres.transaction(writing: true) { session in
            let rows = try session.query(
                """
                SELECT code_hash, unit, kind, created_at, expires_at, used_by, revoked_at FROM hub_enrolments
                WHERE substr(code_hash, 1, $1) = $2
                """, [.int32(Int32(prefix.count)), .text(prefix)])
            guard rows.count == 1, let row = rows.first else {
                return rows.isEmpty ? .notFound : .ambiguous(count: rows.count)
            }
            let enrolment = try Self.postgresEnrolment(row)
            let usedBy = try bytes(row[5])
            if try row[5].decode(ByteBuffer?.self) != nil {
                return .used(enrolment, by: usedBy.count == 16 ? OriginID(UUID128(bytes: usedBy)) : nil)
            }
            if try row[6].decode(Int64?.self) != nil { return .alreadyRevoked(enrolment) }
            try session.execute(
                "UPDATE hub_enrolments SET revoked_at = $1 WHERE code_hash = $2",
                [.int(Int64(now)), .text(try row[0].decode(String.self))])
            try Self.postgresEvent(
                session, "code_revoked", origin: nil, unit: enrolment.unit,
                detail: "code \(enrolment.id) for a \(enrolment.kind)", at: now)
            return .revoked(enrolment)
        }
    }

    func postgresEnrol(
        code: String, kind: Kind, name: String, expectedUnit: String?, now: UInt64, assigning: OriginID?,
        _ postgres: PostgresStorage
    ) throws -> Result<Peer, EnrolmentFailure> {
        try postgres.transaction(writing: true) { session in
            let hash = Self.hash(code)
            guard
                let row = try session.query(
                    "SELECT unit, kind, expires_at, used_by, revoked_at FROM hub_enrolments WHERE code_hash = $1",
                    [.text(hash)]
                ).first
            else { return .failure(.unknownCode) }
            guard try row[4].decode(Int64?.self) == nil else { return .failure(.revokedCode) }
            guard try row[3].decode(ByteBuffer?.self) == nil else { return .failure(.usedCode) }
            guard try row[2].decode(Int64.self) > Int64(now) else { return .failure(.expiredCode) }
            let codeKind = try row[1].decode(String.self)
            guard codeKind == kind.rawValue else { return .failure(.wrongKind(codeKind: codeKind)) }
            let unit = try row[0].decode(String.self)
            if let expectedUnit, expectedUnit != unit { return .failure(.wrongUnit(codeUnit: unit)) }
            var generator = SystemRandomNumberGenerator()
            var origin = assigning ?? OriginID(.version7(unixMillis: now, using: &generator))
            while try origin == replica.origin
                || !session.query("SELECT 1 FROM hub_peers WHERE origin = $1", [Self.uuid(origin)]).isEmpty
            {
                origin = OriginID(.version7(unixMillis: now, using: &generator))
            }
            let peer = Peer(origin: origin, unit: unit, kind: kind.rawValue, name: name, key: .random())
            try session.execute(
                "INSERT INTO hub_peers (origin, unit, kind, name, key, enrolled_at) VALUES ($1, $2, $3, $4, $5, $6)",
                [
                    Self.uuid(origin), .text(unit), .text(kind.rawValue), .text(name),
                    .text(try postgres.sealText(peer.key.hex, at: Self.keyPlace(origin))), .int(Int64(now)),
                ])
            try session.execute(
                "UPDATE hub_enrolments SET used_by = $1 WHERE code_hash = $2", [Self.uuid(origin), .text(hash)])
            try Self.postgresEvent(
                session, "enrolled", origin: origin, unit: unit,
                detail: "\(kind.rawValue) with code \(Self.enrolmentID(hash: hash))", at: now)
            return .success(peer)
        }
    }

    // MARK: Peers

    private func postgresPeerRecord(_ row: PostgresRandomAccessRow, _ postgres: PostgresStorage) throws -> PeerRecord? {
        let origin = try bytes(row[0])
        guard origin.count == 16 else { return nil }
        let originID = OriginID(UUID128(bytes: origin))
        let text = try postgres.openText(
            try row[4].decode(String.self), at: Self.keyPlace(originID), what: "key of peer \(originID)")
        guard let key = PeerKey(hex: text) else { return nil }
        return PeerRecord(
            peer: Peer(
                origin: originID, unit: try row[1].decode(String.self), kind: try row[2].decode(String.self),
                name: try row[3].decode(String.self), key: key,
                revokedAt: try row[7].decode(Int64?.self).map { UInt64($0) }),
            enrolledAt: UInt64(try row[5].decode(Int64.self)),
            lastSeen: try row[6].decode(Int64?.self).map { UInt64($0) })
    }

    func postgresPeer(_ origin: OriginID, _ postgres: PostgresStorage) throws -> Peer? {
        try postgres.transaction(writing: false) { session in
            try session.query("SELECT \(Self.peerColumns) FROM hub_peers WHERE origin = $1", [Self.uuid(origin)])
                .first.flatMap { try postgresPeerRecord($0, postgres) }?.peer
        }
    }

    func postgresPeers(_ postgres: PostgresStorage) throws -> [PeerRecord] {
        try postgres.transaction(writing: false) { session in
            try session.query("SELECT \(Self.peerColumns) FROM hub_peers ORDER BY unit, enrolled_at, origin")
                .compactMap { try postgresPeerRecord($0, postgres) }
        }
    }

    func postgresRevokePeer(prefix: String, now: UInt64, _ postgres: PostgresStorage) throws -> PeerRevocation {
        try postgres.transaction(writing: true) { session in
            let matches = try session.query("SELECT \(Self.peerColumns) FROM hub_peers")
                .compactMap { try postgresPeerRecord($0, postgres) }
                .filter { $0.peer.origin.description.filter { $0 != "-" }.hasPrefix(prefix) }
            guard matches.count == 1, let match = matches.first else {
                return matches.isEmpty ? .notFound : .ambiguous(matches)
            }
            if match.peer.revokedAt != nil { return .alreadyRevoked(match) }
            try session.execute(
                "UPDATE hub_peers SET revoked_at = $1 WHERE origin = $2",
                [.int(Int64(now)), Self.uuid(match.peer.origin)])
            try Self.postgresEvent(
                session, "peer_revoked", origin: match.peer.origin, unit: match.peer.unit, detail: match.peer.kind,
                at: now)
            var peer = match.peer
            peer.revokedAt = now
            return .revoked(PeerRecord(peer: peer, enrolledAt: match.enrolledAt, lastSeen: match.lastSeen))
        }
    }
}

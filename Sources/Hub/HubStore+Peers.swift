import Domain
import Foundation
import GRDB
import SyncClient
import SyncCore
import Synchronization

extension HubStore {
    // MARK: Peers

    static let peerColumns = "origin, unit, kind, name, key, enrolled_at, last_seen, revoked_at"

    /// A peer as `nodes list` shows it.
    struct PeerRecord: Sendable {
        let peer: Peer
        let enrolledAt: UInt64
        let lastSeen: UInt64?
    }

    /// Where a peer's key is sealed: its row, by origin.
    static func keyPlace(_ origin: OriginID) -> SealedPlace {
        SealedPlace(table: "hub_peers", column: "key", key: origin.uuid.bytes)
    }

    /// A peer's row; nil for a row too damaged to name a peer. A key that does not open (a
    /// protected hub) is an error, never a peer silently skipped.
    private func peerRecord(_ row: Row) throws -> PeerRecord? {
        let origin: Data = row["origin"]
        guard origin.count == 16 else { return nil }
        let originID = OriginID(UUID128(bytes: origin))
        let text = try storage.openText(row["key"], at: Self.keyPlace(originID), what: "key of peer \(originID)")
        guard let key = PeerKey(hex: text) else { return nil }
        let enrolled: Int64 = row["enrolled_at"]
        let seen: Int64? = row["last_seen"]
        let revoked: Int64? = row["revoked_at"]
        return PeerRecord(
            peer: Peer(
                origin: originID, unit: row["unit"], kind: row["kind"], name: row["name"],
                key: key, revokedAt: revoked.map { UInt64($0) }),
            enrolledAt: UInt64(enrolled), lastSeen: seen.map { UInt64($0) })
    }

    func peer(_ origin: OriginID) throws -> Peer? {
        if let postgres { return try postgresPeer(origin, postgres) }
        return try writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.peerColumns) FROM hub_peers WHERE origin = ?",
                arguments: [Data(origin.uuid.bytes)]
            ).flatMap(self.peerRecord)?.peer
        }
    }

    /// Every peer ever enrolled, revoked ones included (they are kept), by unit then enrolment.
    func peers() throws -> [PeerRecord] {
        if let postgres { return try postgresPeers(postgres) }
        return try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.peerColumns) FROM hub_peers ORDER BY unit, enrolled_at, origin"
            ).compactMap(self.peerRecord)
        }
    }

    enum PeerRevocation {
        case revoked(PeerRecord)
        case alreadyRevoked(PeerRecord)
        case notFound
        case ambiguous([PeerRecord])
    }

    /// Revokes the peer whose origin is `text` or starts with it (at least 4 hexadecimal
    /// digits, dashes optional, matching one peer only). The peer is kept, marked revoked.
    func revokePeer(_ text: String, now: UInt64) throws -> PeerRevocation {
        let prefix = text.lowercased().filter { $0 != "-" }
        guard prefix.count >= 4, prefix.count <= 32, prefix.allSatisfy(\.isHexDigit) else { return .notFound }
        if let postgres { return try postgresRevokePeer(prefix: prefix, now: now, postgres) }
        return try writer.write { db in
            let matches = try Row.fetchAll(db, sql: "SELECT \(Self.peerColumns) FROM hub_peers")
                .compactMap(self.peerRecord)
                .filter { $0.peer.origin.description.filter { $0 != "-" }.hasPrefix(prefix) }
            guard matches.count == 1, let match = matches.first else {
                return matches.isEmpty ? .notFound : .ambiguous(matches)
            }
            if match.peer.revokedAt != nil { return .alreadyRevoked(match) }
            try db.execute(
                sql: "UPDATE hub_peers SET revoked_at = ? WHERE origin = ?",
                arguments: [Int64(now), Data(match.peer.origin.uuid.bytes)])
            try event(
                db, "peer_revoked", origin: match.peer.origin, unit: match.peer.unit, detail: match.peer.kind, at: now)
            var peer = match.peer
            peer.revokedAt = now
            return .revoked(PeerRecord(peer: peer, enrolledAt: match.enrolledAt, lastSeen: match.lastSeen))
        }
    }

    // MARK: Epoch

    static let logEpochSetting = "hub.log_epoch"

    /// A random name for this hub's log, made once; a restore from a backup makes a new one,
    /// so callers whose cursors point into the lost part of the log start again.
    func logEpoch() throws -> String {
        if let epoch = try replica.setting(Self.logEpochSetting) { return epoch }
        return try replica.storage.write { access in
            if let epoch = try access.setting(Self.logEpochSetting) { return epoch }
            let epoch = PeerKey.random().hex.prefix(32)
            try access.setSetting(Self.logEpochSetting, String(epoch))
            return String(epoch)
        }
    }
}

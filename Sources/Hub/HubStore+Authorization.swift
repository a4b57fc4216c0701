import Domain
import Foundation
import GRDB
import SyncClient
import SyncCore
import Synchronization

extension HubStore {
    // MARK: Authorisation

    /// How many changes from `origin` wait set aside here for an operator.
    func setAsideCount(from origin: OriginID) throws -> Int {
        if let postgres { return try postgresSetAsideCount(from: origin, postgres) }
        return try writer.read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM set_aside WHERE via = ?", arguments: [Data(origin.uuid.bytes)]) ?? 0
        }
    }

    /// What `peer` may write: its unit's subtree; a lower hub relays, but never for an origin
    /// enrolled directly here.
    func scope(of peer: Peer, directPeers: Set<OriginID>) throws -> PeerScope {
        PeerScope(
            origin: peer.origin, units: try subtree(of: peer.unit), relays: peer.kind == "hub",
            foreignOrigins: directPeers.subtracting([peer.origin]))
    }

    // MARK: Definition versions

    static func definitionSetting(_ origin: OriginID) -> String { "peer.\(origin).definition" }

    /// Keeps `version` as the definition `origin` last declared (a write only when it changed).
    static func recordDefinition(_ version: Int, of origin: OriginID, in access: any StorageAccess) throws {
        let text = String(version)
        if try access.setting(definitionSetting(origin)) != text {
            try access.setSetting(definitionSetting(origin), text)
        }
    }

    /// The definition version `origin` last declared on a request; 1 (what releases that
    /// declared none ran) when it never did. A stored value out of bounds (a damaged file)
    /// counts as 1, the strictest.
    func declaredDefinition(of origin: OriginID) throws -> Int {
        try replica.setting(Self.definitionSetting(origin)).flatMap(Int.init).flatMap {
            DomainDefinition.declarableVersions.contains($0) ? $0 : nil
        } ?? 1
    }

    /// The version this hub declares to the hub above: its own definition's, or the newest one
    /// its peers declared, whichever is newer. It relays their changes, which the newer peers
    /// wrote in their definition (this hub checked them against it, and keeps and relays the
    /// fields it does not know); declaring less would have the hub above refuse those fields.
    func relayedDefinition() throws -> Int {
        let declared =
            if let postgres {
                try postgresDeclaredDefinitions(postgres)
            } else {
                try writer.read { db in
                    try String.fetchAll(db, sql: "SELECT value FROM settings WHERE name LIKE 'peer.%.definition'")
                }
            }
        return declared.compactMap(Int.init).filter(DomainDefinition.declarableVersions.contains).reduce(
            DomainDefinition.current.version, max)
    }

    /// The gate for a push from `peer`: its scope, and the scopes of the senders of changes
    /// parked or set aside here, which a push may release (each is judged for its own sender;
    /// a sender no longer enrolled has no scope, and its changes are set aside); and the
    /// definition's check of every value, for the version each sender declared — `peer` on this
    /// request (`definition`; nil: the version it last declared), the others their last.
    func gate(
        for peer: Peer?, declaring definition: Int? = nil, now: UInt64, maximumFutureMillis: UInt64,
        trusting upstream: OriginID? = nil
    ) throws -> HubGate {
        // Every peer enrolled here, and which of them are lower hubs (revoked ones too: a
        // revoked hub's parked changes have no scope and are set aside anyway).
        let (direct, lowerHubs) =
            try postgres.map(postgresPeerKinds)
            ?? writer.read { db in
                var direct = Set<OriginID>()
                var hubs = Set<OriginID>()
                for row in try Row.fetchAll(db, sql: "SELECT origin, kind FROM hub_peers") {
                    let bytes: Data = row["origin"]
                    guard bytes.count == 16 else { continue }
                    let origin = OriginID(UUID128(bytes: bytes))
                    direct.insert(origin)
                    if (row["kind"] as String?) == HubStore.Kind.hub.rawValue { hubs.insert(origin) }
                }
                return (direct, hubs)
            }
        var scopes: [OriginID: PeerScope] = [:]
        if let peer { scopes[peer.origin] = try scope(of: peer, directPeers: direct) }
        let senders =
            try postgres.map(postgresSenders)
            ?? writer.read { db in
                try Data.fetchAll(
                    db,
                    sql:
                        "SELECT DISTINCT via FROM parked WHERE via IS NOT NULL UNION SELECT DISTINCT via FROM set_aside WHERE via IS NOT NULL"
                )
            }
        var versions: [OriginID: Int] = [:]
        if let peer { versions[peer.origin] = try definition ?? declaredDefinition(of: peer.origin) }
        for data in senders where data.count == 16 {
            let origin = OriginID(UUID128(bytes: data))
            if scopes[origin] == nil, let sender = try self.peer(origin), sender.revokedAt == nil {
                scopes[origin] = try scope(of: sender, directPeers: direct)
            }
            if versions[origin] == nil { versions[origin] = try declaredDefinition(of: origin) }
        }
        let rule = PeerGate(
            receiver: replica.origin, nowMillis: now, maximumFutureMillis: maximumFutureMillis,
            trusted: upstream.map { [$0] } ?? []
        ) { via in
            via.flatMap { scopes[$0] }
        }
        return HubGate(
            rule, declaredVersion: { via in via.flatMap { versions[$0] } ?? 1 },
            clearsPersonal: { via in via.map(lowerHubs.contains) ?? false })
    }

    /// Records a request's nonce and the peer's last contact, in one transaction. False when
    /// the nonce was already used: a replay, refused even after a restart. Nonces older than
    /// twice the allowed clock skew are dropped (a request that old is refused for its time).
    func admit(nonce: String, from origin: OriginID, now: UInt64) throws -> Bool {
        let horizon = now > 2 * RequestSignature.maximumSkewMillis ? now - 2 * RequestSignature.maximumSkewMillis : 0
        let sweep = lastSweep.withLock { last in
            guard now > last + 600_000 else { return false }
            last = now
            return true
        }
        if let postgres {
            return try postgresAdmit(nonce: nonce, from: origin, now: now, sweep: sweep, horizon: horizon, postgres)
        }
        return try writer.write { db in
            if sweep {
                try db.execute(sql: "DELETE FROM hub_nonces WHERE seen_at < ?", arguments: [Int64(clamping: horizon)])
            }
            try db.execute(
                sql: "INSERT OR IGNORE INTO hub_nonces (nonce, origin, seen_at) VALUES (?, ?, ?)",
                arguments: [nonce, Data(origin.uuid.bytes), Int64(clamping: now)])
            guard db.changesCount == 1 else { return false }
            try db.execute(
                sql: "UPDATE hub_peers SET last_seen = ? WHERE origin = ?",
                arguments: [Int64(clamping: now), Data(origin.uuid.bytes)])
            return true
        }
    }
}

extension HubStore {
    /// The sync with the hub above: what is not from it goes up as this hub's upstream policy
    /// says (every change, changes with personal values removed, or only the aggregates'); what
    /// comes down is applied as judged there, while the parked changes of this hub's own peers
    /// that it makes ready are judged here, for those peers. `transport` nil: HTTP.
    func syncer(
        to upstream: Upstream, maximumFutureMillis: UInt64 = Authorization.defaultMaximumFutureMillis,
        transport: (any HubTransport)? = nil
    ) throws -> Syncer {
        let policy = try upstreamPolicy()
        try prepareUpstream(policy)
        var syncer = try Syncer(
            replica: replica, upstream: upstream, pushFilter: policy.filter(excludingVia: upstream.hubOrigin),
            dictionary: WireVocabulary.dictionary, definition: try relayedDefinition(), transport: transport)
        syncer.pushTransform = policy.transform()
        syncer.pullGate = { [self] in
            try self.gate(
                for: nil, now: self.replica.time.nowMillis(), maximumFutureMillis: maximumFutureMillis,
                trusting: upstream.hubOrigin)
        }
        return syncer
    }
}

/// A hub's gate: the write rule (`PeerGate`), and the definition's check of every value a peer
/// sends, for the definition version it declared.
typealias HubGate = DefinitionGate<PeerGate>

/// An operator's decision to accept set-aside changes that the hub refused: they are still
/// admitted like any change (their origin, their time), but no longer judged by scope nor by
/// the definition — a value the definition refuses is stored as sent, because the operator
/// decided so (`set-aside discard` is the way to drop it; `retry` judges it again, and an
/// invalid value stays invalid).
struct OperatorGate: ChangeGate {
    let inner: PeerGate

    init(_ gate: HubGate) { self.inner = gate.inner }

    func admit(_ change: Change, via: OriginID?) -> AuthorizationError? { inner.admit(change, via: via) }

    func authorize(_ change: Change, via: OriginID?, owners: [String], exists: Bool) -> AuthorizationError? { nil }
}

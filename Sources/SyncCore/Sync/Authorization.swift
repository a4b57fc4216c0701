/// Who is sending changes to a hub, and which units they may write.
public struct PeerScope: Hashable, Sendable {
    public let origin: OriginID
    /// The units whose records this peer may write: a commune's own code, or a lower hub's
    /// whole subtree.
    public let units: Set<String>
    /// A lower hub relays other origins' changes; a node sends only its own.
    public let relays: Bool
    /// Origins a relaying peer may not speak for: the receiver's other direct peers, which
    /// send their own changes (a hub relaying them would be pushing under their identity).
    public let foreignOrigins: Set<OriginID>

    public init(origin: OriginID, units: Set<String>, relays: Bool, foreignOrigins: Set<OriginID> = []) {
        self.origin = origin
        self.units = units
        self.relays = relays
        self.foreignOrigins = foreignOrigins
    }
}

/// Why a change was refused and set aside. Names the change, the record and the units, never
/// a value, so it may be logged and shown to the sender.
public struct AuthorizationError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// A node sent a change made by another origin, or a hub relayed this replica's own.
        case forgedOrigin = "forged_origin"
        /// The record was not in the sender's units at the version its change is based on.
        case outOfScope = "out_of_scope"
        /// A change that creates a record this replica already holds (its context covers none
        /// of the record's history): a claim of someone else's record.
        case claimsExistingRecord = "claims_existing_record"
        /// Stamped further ahead of the receiver's clock than the allowed skew.
        case futureTime = "future_time"
        /// Based on a change of the same record that was itself set aside.
        case dependsOnSetAside = "depends_on_set_aside"
        /// A context no replica could hold: it covers a change but not what that change was
        /// based on, or leaves out its own origin's earlier change of the record.
        case inconsistentContext = "inconsistent_context"
        /// Too many changes of the record already wait for changes this replica lacks.
        case tooManyParked = "too_many_parked"
        /// A value the receiver's domain definition does not allow: an unknown collection or
        /// field, or a value outside its type or enumeration (judged against the definition
        /// version the sender declared). The detail names the collection, the field and what
        /// is wrong, never the value.
        case invalidValue = "invalid_value"
        /// A change the sender's kind may not make, whatever its scope: a commune's node
        /// deciding on its own report (approving or returning it is the level above's).
        case notPermitted = "not_permitted"
    }

    public let kind: Kind
    public let dot: Dot
    public let record: RecordKey
    public let detail: String

    public init(kind: Kind, dot: Dot, record: RecordKey, detail: String) {
        self.kind = kind
        self.dot = dot
        self.record = record
        self.detail = detail
    }

    public var description: String { "change \(dot) to \(record) refused: \(detail)" }
}

/// What a receiving replica checks of each change it did not make, beyond the merge's own
/// validity rules. `Replica.apply` asks it twice: `admit` when the change arrives (before the
/// clock moves or anything is stored), `authorize` when the change is ready to apply — also
/// for a parked change released later, judged for the peer that sent it.
public protocol ChangeGate {
    func admit(_ change: Change, via: OriginID?) -> AuthorizationError?
    /// `owners` are the record's owning units at the version the change is based on, as this
    /// replica's own history shows (empty: the record did not exist at that version);
    /// `exists` says whether this replica holds the record at all.
    func authorize(_ change: Change, via: OriginID?, owners: [String], exists: Bool) -> AuthorizationError?
    /// A source whose changes this gate does not judge (the hub above): they are applied as
    /// they come, and only the parked changes they release are judged.
    func trusts(_ via: OriginID?) -> Bool
}

extension ChangeGate {
    public func trusts(_ via: OriginID?) -> Bool { false }
}

/// The write rule of DESIGN.md's security section. A peer may create records in its units;
/// it may change an existing record only if that record was in its units at the version its
/// change is based on — computed from the receiver's history, never from what the sender
/// says the record was. Moves and deletes are changes like any other.
public enum Authorization {
    /// How far ahead of the receiver's clock a change's stamp may be (one day).
    public static let defaultMaximumFutureMillis: UInt64 = 24 * 3600 * 1000

    /// Who may send `change` at all: a node only its own changes, a relaying hub anyone's but
    /// the receiver's own (which it alone makes). Stamps far in the future are refused, so one
    /// wrong clock cannot drag every hub's clock along.
    public static func admit(
        _ change: Change, by peer: PeerScope, receiver: OriginID, nowMillis: UInt64,
        maximumFutureMillis: UInt64 = defaultMaximumFutureMillis
    ) -> AuthorizationError? {
        if !peer.relays && change.dot.origin != peer.origin {
            return AuthorizationError(
                kind: .forgedOrigin, dot: change.dot, record: change.key,
                detail: "a node sends only its own changes (origin \(peer.origin))")
        }
        if peer.relays && change.dot.origin != peer.origin && peer.foreignOrigins.contains(change.dot.origin) {
            return AuthorizationError(
                kind: .forgedOrigin, dot: change.dot, record: change.key,
                detail: "origin \(change.dot.origin) is enrolled directly at this hub; only it sends its changes")
        }
        if change.dot.origin == receiver {
            return AuthorizationError(
                kind: .forgedOrigin, dot: change.dot, record: change.key,
                detail: "the change claims this hub's own origin, which only this hub writes")
        }
        let limit = nowMillis.addingReportingOverflow(maximumFutureMillis)
        if !limit.overflow && change.stamp.wallMillis > limit.partialValue {
            let ahead = (change.stamp.wallMillis - nowMillis) / 60_000
            return AuthorizationError(
                kind: .futureTime, dot: change.dot, record: change.key,
                detail:
                    "the change is stamped \(ahead) minutes ahead of this hub's clock "
                    + "(at most \(maximumFutureMillis / 60_000) allowed)")
        }
        return nil
    }

    /// The rule itself, for a change that is ready to apply.
    public static func check(_ change: Change, by peer: PeerScope, owners: [String], exists: Bool)
        -> AuthorizationError?
    {
        if !exists {
            // A new record: it must be created in one of the peer's units.
            if peer.units.contains(change.unit) { return nil }
            return AuthorizationError(
                kind: .outOfScope, dot: change.dot, record: change.key,
                detail: "a new record in unit \(change.unit), which is outside this peer's units")
        }
        if owners.isEmpty {
            return AuthorizationError(
                kind: .claimsExistingRecord, dot: change.dot, record: change.key,
                detail: "the change is based on none of the record's history here: it would claim an existing record")
        }
        if owners.contains(where: peer.units.contains) { return nil }
        return AuthorizationError(
            kind: .outOfScope, dot: change.dot, record: change.key,
            detail:
                "at the version the change is based on, the record belonged to \(owners.sorted().joined(separator: ", ")), "
                + "outside this peer's units")
    }
}

/// The gate a hub applies to one peer's pushes: `scope(of:)` gives the scope of whichever
/// peer sent a change (a released parked change is judged for its own sender).
public struct PeerGate: ChangeGate {
    public let receiver: OriginID
    public let nowMillis: UInt64
    public let maximumFutureMillis: UInt64
    /// Sources whose changes are not judged here: the hub above, which judged them.
    public let trusted: Set<OriginID>
    public let scope: (OriginID?) -> PeerScope?

    public init(
        receiver: OriginID, nowMillis: UInt64,
        maximumFutureMillis: UInt64 = Authorization.defaultMaximumFutureMillis, trusted: Set<OriginID> = [],
        scope: @escaping (OriginID?) -> PeerScope?
    ) {
        self.receiver = receiver
        self.nowMillis = nowMillis
        self.maximumFutureMillis = maximumFutureMillis
        self.trusted = trusted
        self.scope = scope
    }

    public func trusts(_ via: OriginID?) -> Bool { via.map(trusted.contains) ?? false }

    public func admit(_ change: Change, via: OriginID?) -> AuthorizationError? {
        if let via, trusted.contains(via) { return nil }
        guard let peer = scope(via) else { return unknownPeer(change, via) }
        return Authorization.admit(
            change, by: peer, receiver: receiver, nowMillis: nowMillis, maximumFutureMillis: maximumFutureMillis)
    }

    public func authorize(_ change: Change, via: OriginID?, owners: [String], exists: Bool) -> AuthorizationError? {
        if let via, trusted.contains(via) { return nil }
        guard let peer = scope(via) else { return unknownPeer(change, via) }
        return Authorization.check(change, by: peer, owners: owners, exists: exists)
    }

    private func unknownPeer(_ change: Change, _ via: OriginID?) -> AuthorizationError {
        AuthorizationError(
            kind: .outOfScope, dot: change.dot, record: change.key,
            detail: "its sender \(via.map { "\($0)" } ?? "(none)") is not an enrolled peer of this hub any more")
    }
}

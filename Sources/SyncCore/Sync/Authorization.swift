/// Who is sending changes to a hub, and which units they may write.
public struct PeerScope: Hashable, Sendable {
    public let origin: OriginID
    /// The units whose records this peer may write: a commune's own code, or a lower hub's
    /// whole subtree.
    public let units: Set<String>
    /// A lower hub relays other origins' changes; a node sends only its own.
    public let relays: Bool

    public init(origin: OriginID, units: Set<String>, relays: Bool) {
        self.origin = origin
        self.units = units
        self.relays = relays
    }
}

/// Why a hub refuses a change from a peer. Names the change and the units, never values.
public struct AuthorizationError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        case forgedOrigin = "forged_origin"
        case outOfScope = "out_of_scope"
    }

    public let kind: Kind
    public let dot: Dot
    public let record: RecordKey
    public let detail: String

    public var description: String { "change \(dot) to \(record) refused: \(detail)" }
}

/// The write rule of DESIGN.md's security section, as a pure function: a peer may write only
/// records of its own units, and may move a record it owns to another unit.
public enum Authorization {
    /// `current` is the record's state at the hub just before `change` (nil: unknown here).
    public static func check(_ change: Change, by peer: PeerScope, current: RecordState?) -> AuthorizationError? {
        if !peer.relays && change.dot.origin != peer.origin {
            return AuthorizationError(
                kind: .forgedOrigin, dot: change.dot, record: change.key,
                detail: "a node sends only its own changes (origin \(peer.origin))")
        }
        let owners = current?.fields[ReservedField.unit] ?? []
        if owners.contains(where: { $0.value.stringValue.map(peer.units.contains) == true }) { return nil }
        // The author may not have seen the latest owner (a move it had not received when it
        // edited); then its own view, `change.unit`, must be one of its units.
        let unseenOwner = owners.isEmpty || owners.contains { !change.context.covers($0.dot) }
        if unseenOwner && peer.units.contains(change.unit) { return nil }
        let held = owners.compactMap(\.value.stringValue).sorted().joined(separator: ", ")
        return AuthorizationError(
            kind: .outOfScope, dot: change.dot, record: change.key,
            detail:
                "unit \(change.unit)\(held.isEmpty ? "" : " (record owned by \(held))") is outside this peer's units")
    }
}

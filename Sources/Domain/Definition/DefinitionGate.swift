public import SyncCore

/// A hub's gate with the definition's check added to its write rule: a change its sender may
/// send (`inner` admits it) must also set only values the definition allows, judged as
/// `Validator.checkIncoming` judges a peer's change — against the definition version that sender
/// declared, so the collections, fields and codes of a newer definition pass and are kept, while
/// a field this hub knows is still checked. A change that fails is refused on arrival and set
/// aside like the write rule's refusals (`invalid_value`), without blocking the sender's other
/// changes; the refusal names the collection, the field and what is wrong, never the value.
///
/// Sources the inner gate trusts (the hub above, which is the authority) are not checked.
public struct DefinitionGate<Inner: ChangeGate>: ChangeGate {
    public let inner: Inner
    public let validator: Validator
    /// The definition version each sender declared (`definition=N` on its requests; 1, the
    /// version of releases that did not declare one, when it never did).
    public let declaredVersion: (OriginID?) -> Int
    /// Whether a sender is a lower hub, which may relay under the `redacted` upstream policy:
    /// its null for a personal field passes, even a required one (a node's never does). Such a
    /// hub could already write any well-typed value into its subtree's records; what it gains
    /// is leaving a name or a date of birth empty there (see ARCHITECTURE.md).
    public let clearsPersonal: (OriginID?) -> Bool

    public init(
        _ inner: Inner, validator: Validator = Validator(), declaredVersion: @escaping (OriginID?) -> Int,
        clearsPersonal: @escaping (OriginID?) -> Bool = { _ in false }
    ) {
        self.inner = inner
        self.validator = validator
        self.declaredVersion = declaredVersion
        self.clearsPersonal = clearsPersonal
    }

    public func admit(_ change: Change, via: OriginID?) -> AuthorizationError? {
        if let refusal = inner.admit(change, via: via) { return refusal }
        if inner.trusts(via) { return nil }
        // A node only submits its unit's report: approving or returning it is the level
        // above's, which a node is not (a lower hub relays its staff's decisions on its units).
        if change.collection == Collections.reportApprovals.name, !clearsPersonal(via),
            let problem = Reporting.nodeDecisionProblem(change.set)
                ?? Reporting.nodeRecordProblem(change.record, unit: change.unit, set: change.set)
        {
            return AuthorizationError(kind: .notPermitted, dot: change.dot, record: change.key, detail: problem)
        }
        // A case, its plans and its history are legal records of a child at risk: a commune's
        // workflow closes a case and never deletes or restores one (its node's commands refuse
        // to); one entered by mistake is the district's to remove. A node's deletion or
        // restoration of one (an older release, a tampered laptop) is set aside for the
        // district. A lower hub relays its own staff's decisions on its units.
        if ConflictChoice.isWorkflowRecord(collection: change.collection), !clearsPersonal(via),
            change.set[ReservedField.deleted] != nil
        {
            return AuthorizationError(
                kind: .notPermitted, dot: change.dot, record: change.key,
                detail:
                    "\(change.collection): a commune's node does not delete or restore a case record; the case workflow "
                    + "closes a case, and the district removes one entered by mistake (tre-hub record delete)")
        }
        // Aggregates are a hub's figures for its subtree; a hub reading them takes them in place
        // of its records, so a node's would replace any unit's figures (they name the unit).
        if change.collection == Collections.aggregates.name, !clearsPersonal(via) {
            return AuthorizationError(
                kind: .notPermitted, dot: change.dot, record: change.key,
                detail: "aggregates: only a hub computes indicator values; a commune sends its records")
        }
        guard
            let problem = validator.checkIncoming(
                collection: change.collection, set: change.set, peerVersion: declaredVersion(via),
                personalMayBeNull: clearsPersonal(via))
        else { return nil }
        return AuthorizationError(kind: .invalidValue, dot: change.dot, record: change.key, detail: problem)
    }

    public func authorize(_ change: Change, via: OriginID?, owners: [String], exists: Bool) -> AuthorizationError? {
        inner.authorize(change, via: via, owners: owners, exists: exists)
    }

    public func trusts(_ via: OriginID?) -> Bool { inner.trusts(via) }
}

extension DomainDefinition {
    /// The definition versions a peer may declare: 1 (the first, and what a release that
    /// declared none ran) up to a bound no real definition will reach, so a declared number is
    /// checked before it is used.
    public static let declarableVersions: ClosedRange<Int> = 1...1_000_000
}

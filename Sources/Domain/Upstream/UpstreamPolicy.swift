public import SyncCore

/// What a hub sends to the hub above it (DESIGN.md: "full records, records with personal fields
/// removed, or aggregates only"). The hub keeps everything itself; the policy decides only what
/// leaves it upward — by `tre-hub sync-upstream`, `serve --upstream-every` and
/// `changes export --upstream` alike.
public enum UpstreamPolicy: String, CaseIterable, Sendable {
    /// Every change as it was made: the hub above holds what this hub holds.
    case full
    /// Every change, with the value of each personal field (and of each field this hub's
    /// definition does not know) replaced by null: `Redaction`.
    case redacted
    /// Only the changes of `aggregates` and `report_approvals` (the indicator values and the
    /// reports' approvals), redacted as above; no child, report or case leaves.
    case aggregates

    /// A hub without a chosen policy sends everything, as every hub did before policies.
    public static let standard = UpstreamPolicy.full

    /// The collections that go up under `aggregates`: they hold figures, never a child.
    public static let aggregateCollections: Set<String> = [
        Collections.aggregates.name, Collections.reportApprovals.name,
    ]

    /// The collections whose changes go up (nil: all).
    public var collections: Set<String>? { self == .aggregates ? Self.aggregateCollections : nil }

    /// Whether personal values are replaced by null on the way up.
    public var redacts: Bool { self != .full }

    /// The log entries that go up: everything not from the hub above, of `collections`.
    public func filter(excludingVia upstream: OriginID) -> LogFilter {
        LogFilter(excludingVia: upstream, collections: collections)
    }

    /// What each change carries up instead of its values (`Syncer.pushTransform`), or nil.
    public func transform(_ definition: DomainDefinition = .current) -> (@Sendable (Change) -> Change)? {
        guard redacts else { return nil }
        return { @Sendable change in Redaction.redact(change, definition: definition) }
    }

    /// One line saying what goes up, for `policy show` and `status`.
    public var summary: String {
        switch self {
        case .full: "every record as it is"
        case .redacted: "every record, personal fields removed, and the indicator values (aggregates)"
        case .aggregates: "only aggregates and report_approvals, personal fields removed; no child, report or case"
        }
    }
}

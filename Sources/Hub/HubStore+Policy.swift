import Domain
import ReplicaCommands
import SyncClient
import SyncCore

extension HubStore {
    // MARK: The upstream policy

    /// The replica setting that holds what this hub sends to the hub above: a value of
    /// `UpstreamPolicy` (absent: `full`). Sealed at rest like every setting of a protected hub.
    static let policySetting = "upstream.policy"

    /// This hub's upstream policy. A stored value this release does not know (written by a newer
    /// one, or damaged) is refused rather than read as `full`: nothing goes up until an operator
    /// sets one.
    func upstreamPolicy() throws -> UpstreamPolicy {
        guard let text = try replica.setting(Self.policySetting) else { return .standard }
        guard let policy = UpstreamPolicy(rawValue: text) else {
            throw CommandFailure(
                code: "unknown_policy",
                message: "this hub's upstream policy is \"\(text.prefix(32))\", which this release does not know; "
                    + "nothing was sent upward",
                hint: "Set one: `tre-hub policy set full|redacted|aggregates --db \(path)`.")
        }
        return policy
    }

    /// Sets the upstream policy. When it changes, the next upstream sync pushes the whole log
    /// again under the new policy (`Upstream.restartPush`), in the same transaction: entries an
    /// `aggregates` policy left out must go up once the policy lets them. Returns the previous
    /// policy (the stored text when unreadable).
    @discardableResult
    func setUpstreamPolicy(_ policy: UpstreamPolicy) throws -> String {
        let previous = try replica.storage.write { access in
            let previous = try access.setting(Self.policySetting) ?? UpstreamPolicy.standard.rawValue
            guard previous != policy.rawValue else { return previous }
            try access.setSetting(Self.policySetting, policy.rawValue)
            try Upstream.restartPush(in: access)
            return previous
        }
        // Records go up whole again: figures this hub sent in their place would be taken
        // for its units' instead of the records (their deletion goes up too).
        if policy == .full { try Aggregates.removeAll(replica: replica, source: replica.unit) }
        return previous
    }

    /// What a push upward needs first: under `redacted` and `aggregates`, this hub's indicator
    /// values brought up to date as `aggregates` records (the hub above counts with them, since
    /// the records it receives lack the personal fields indicators rest on, or are not sent).
    func prepareUpstream(_ policy: UpstreamPolicy) throws {
        guard policy.redacts else { return }
        try reporting().refreshAggregates()
    }

    /// The entries an upstream sync pushes to `upstream` under this hub's policy.
    func upstreamFilter(_ upstream: Upstream) throws -> LogFilter {
        try upstreamPolicy().filter(excludingVia: upstream.hubOrigin)
    }
}

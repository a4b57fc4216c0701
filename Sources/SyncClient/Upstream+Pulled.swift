public import SyncCore

extension Upstream {
    /// What applying pulled sets did, and where the pull cursor stands.
    public struct PulledReport: Sendable {
        public let applied: Replica.ApplyReport
        public let cursorBefore: UInt64
        public let cursor: UInt64
    }

    /// Applies sets this upstream answered (already authenticated: `ChangeSet.decode` with its
    /// key) in one transaction: a sync's pulled page, or the pages of a change file carried by
    /// hand. The pull cursor moves to the last set's end only when the sets continue it (the
    /// first starts at or before the cursor, and they follow each other): sets that start
    /// further on are applied, but the changes between the cursor and them are still to come.
    @discardableResult
    public func applyPulled(_ sets: [ChangeSet], to replica: Replica, gate: (any ChangeGate)? = nil) throws
        -> PulledReport
    {
        let start = sets.first?.from ?? .max
        let end = sets.last?.to ?? 0
        let contiguous = zip(sets, sets.dropFirst()).allSatisfy { $0.to == $1.from }
        var before: UInt64 = 0
        var after: UInt64 = 0
        let report = try replica.apply(
            sets.flatMap(\.changes), via: hubOrigin, gate: gate,
            alongside: { access in
                before = UInt64(try access.setting(Name.pullCursor) ?? "0") ?? 0
                after = before
                if contiguous && start <= before && end > before {
                    after = end
                    try access.setSetting(Name.pullCursor, String(after))
                    // A file carries no mark: the one kept named the old cursor's change.
                    try access.setSetting(Name.pullMark, nil)
                }
            })
        return PulledReport(applied: report, cursorBefore: before, cursor: after)
    }

    /// Up to where `replica` has its own changes acknowledged by its upstream.
    public static func pushCursor(of replica: Replica) throws -> UInt64 {
        UInt64(try replica.setting(Name.pushCursor) ?? "0") ?? 0
    }

    /// Up to where `replica` has pulled its upstream's log.
    public static func pullCursor(of replica: Replica) throws -> UInt64 {
        UInt64(try replica.setting(Name.pullCursor) ?? "0") ?? 0
    }
}

/// Faults planted on purpose, for the mutation check of the sync convergence test: each switch
/// breaks one rule of the protocol, so the test can show that it notices. Everything outside
/// that test passes `.none`; no command, setting or environment variable reaches this.
package struct PlantedFaults: Hashable, Sendable, CustomStringConvertible {
    /// The hub applies every pushed change without judging it (no authorisation).
    package var acceptEverything = false
    /// Pull pages leave out the earlier history of records that move into the caller's scope.
    package var withoutMovedInHistory = false
    /// The hub saves and answers a push's position before the changes are applied, in a
    /// transaction of their own whose failure (a crash) it does not report: the sender moves on.
    package var acknowledgeBeforeApply = false

    package init(
        acceptEverything: Bool = false, withoutMovedInHistory: Bool = false, acknowledgeBeforeApply: Bool = false
    ) {
        self.acceptEverything = acceptEverything
        self.withoutMovedInHistory = withoutMovedInHistory
        self.acknowledgeBeforeApply = acknowledgeBeforeApply
    }

    package static let none = PlantedFaults()

    package var description: String {
        var names: [String] = []
        if acceptEverything { names.append("accept everything") }
        if withoutMovedInHistory { names.append("no moved-in history") }
        if acknowledgeBeforeApply { names.append("acknowledge before apply") }
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}

/// The merge rules of DESIGN.md, as pure code: no storage, no clock, no I/O.
public enum Merge {
    /// How held values are replaced. Only `.exact` is correct; the other exists so the tests
    /// can prove that the convergence property test catches a plausible mistake.
    package enum Policy: Sendable {
        /// Drop every held value whose dot the change's context covers (DESIGN.md, rule 3).
        case exact
        /// Drop only the shown value when covered: the mistake DESIGN.md warns about.
        case shownValueOnly
    }

    public enum Outcome: Hashable, Sendable {
        /// Rule 1: already applied here.
        case duplicate
        /// Rule 2: a change it depends on has not arrived; `missing` is one origin it waits for.
        case notReady(missing: Dot)
        /// Rules 3–5: the record's new state.
        case applied(RecordState)
    }

    /// Applies `change` to `state` (nil: the record is new here).
    public static func apply(_ change: Change, to state: RecordState?) -> Outcome {
        apply(change, to: state, policy: .exact)
    }

    package static func apply(_ change: Change, to state: RecordState?, policy: Policy) -> Outcome {
        guard var state else {
            // A record new here: only a change that depends on nothing applies.
            if let first = change.context.entries.first {
                return .notReady(missing: Dot(origin: first.origin, counter: first.counter))
            }
            return .applied(created(by: change))
        }
        if state.version[change.dot.origin] >= change.dot.counter { return .duplicate }
        for entry in change.context.entries where state.version[entry.origin] < entry.counter {
            return .notReady(missing: Dot(origin: entry.origin, counter: entry.counter))
        }
        for slot in change.set.elements {
            let name = slot.name
            let value = slot.value
            var entries = state.fields[name] ?? []
            switch policy {
            case .exact:
                entries.removeAll { change.context.covers($0.dot) }
            case .shownValueOnly:
                if let shown = state.winner(name), change.context.covers(shown.dot) {
                    entries.removeAll { $0.dot == shown.dot }
                }
            }
            let context = name == ReservedField.deleted ? change.context : nil
            let entry = FieldEntry(value: value, dot: change.dot, stamp: change.stamp, context: context)
            let index = entries.firstIndex { $0.dot > change.dot } ?? entries.endIndex
            entries.insert(entry, at: index)
            state.fields[name] = entries
        }
        state.version[change.dot.origin] = change.dot.counter
        return .applied(state)
    }

    /// The state of a record that `change`, depending on nothing, creates.
    package static func created(by change: Change) -> RecordState {
        let fields = change.set.mapValues { value in
            [FieldEntry(value: value, dot: change.dot, stamp: change.stamp)]
        }
        var state = RecordState(version: VersionVector([(change.dot.origin, change.dot.counter)]), fields: fields)
        if change.set[ReservedField.deleted] != nil {
            // A tombstone keeps its writer's context (empty here, as the change depends on nothing).
            state.fields[ReservedField.deleted] = [
                FieldEntry(
                    value: change.set[ReservedField.deleted]!, dot: change.dot, stamp: change.stamp,
                    context: change.context)
            ]
        }
        return state
    }
}

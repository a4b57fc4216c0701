import SyncCore
import TestSupport
import Testing

/// Review of `log_dots` (wire format 4): one origin's dot logged for two records (a node
/// restored twice from one backup hands out its first restored life's counters again) must
/// name neither, or a later reference to it is applied to whichever came first. Failed on
/// 6676a33: the first entry stayed and was returned.
@Suite struct LogDotsReviewTests {
    @Test(arguments: StoreKind.allCases)
    func aDotLoggedForTwoRecordsNamesNeither(kind: StoreKind) throws {
        let hub = try makeReplica(kind, origin: 1, unit: "415")
        // Two lives of origin 2 with the same counters.
        let first = try makeReplica(kind, origin: 2, unit: "17605")
        let second = try makeReplica(kind, origin: 2, unit: "17605")
        try first.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        try second.put("children", id: testRecord(2), unit: "17605", set: ["sex": "M"])
        try hub.apply(first.allChanges(), via: first.origin)
        try hub.apply(second.allChanges(), via: second.origin)
        let dot = Dot(origin: testOrigin(2), counter: 1)
        // Both creations applied (duplicates are per record), so the dot is ambiguous.
        #expect(try hub.record("children", id: testRecord(2)) != nil)
        let found = try hub.storage.read { try $0.recordKeys(for: [dot]) }
        #expect(found[dot] == nil, "the dot names \(String(describing: found[dot]))")
    }
}

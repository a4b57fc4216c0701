import SyncCore
import TestSupport
import Testing

/// Reading the log for sync, on both stores: filters, pages, and history on entering scope.
@Suite struct LogTests {
    @Test(arguments: StoreKind.allCases)
    func filtersByUnitOriginAndSource(kind: StoreKind) throws {
        let hub = try makeReplica(kind, origin: 1, unit: "415")
        let node = try makeReplica(kind, origin: 2, unit: "17605")
        try node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        try node.put("children", id: testRecord(2), unit: "17605", set: ["sex": "M"])
        try hub.apply(node.allChanges(), via: node.origin)
        try hub.put("children", id: testRecord(3), unit: "17608", set: ["sex": "F"])
        try hub.put("children", id: testRecord(1), unit: "17608", set: [:])

        let forNode = try hub.outgoingPage(
            after: 0, filter: LogFilter(units: ["17605"], excludingVia: node.origin), maxEntries: 100, maxBytes: 1 << 20
        )
        // Only the move: the node must hear its child left; its own changes are not sent back.
        #expect(forNode.entries.map(\.change.dot) == [Dot(origin: hub.origin, counter: 2)])
        #expect(forNode.entries.first?.previousUnit == "17605")
        #expect(forNode.through == 4)
        #expect(!forNode.hasMore)

        let own = try hub.outgoingPage(
            after: 0, filter: LogFilter(onlyOrigin: hub.origin), maxEntries: 100, maxBytes: 1 << 20)
        #expect(own.entries.count == 2)
        #expect(try hub.log(after: 0, limit: 10).map(\.via) == [node.origin, node.origin, nil, nil])
    }

    /// The records of the dots a pusher wrote of its own, for records named by reference: found
    /// for changes pushed by their author, not for those relayed by another peer or written at
    /// the hub itself, and a dot never logged is absent.
    @Test(arguments: StoreKind.allCases)
    func aPushersOwnDotsNameTheRecordsTheyWrote(kind: StoreKind) throws {
        let hub = try makeReplica(kind, origin: 1, unit: "415")
        let node = try makeReplica(kind, origin: 2, unit: "17605")
        let relay = try makeReplica(kind, origin: 3, unit: "17608")
        try node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])
        try node.put("cases", id: testRecord(2), unit: "17605", set: ["status": "received"])
        try node.put("children", id: testRecord(1), set: ["sex": "M"])
        try hub.apply(node.allChanges(), via: node.origin)
        let other = try makeReplica(kind, origin: 4, unit: "17608")
        try other.put("children", id: testRecord(3), unit: "17608", set: ["sex": "F"])
        try relay.apply(other.allChanges(), via: other.origin)
        try hub.apply(other.allChanges(), via: relay.origin)
        try hub.put("children", id: testRecord(4), unit: "17605", set: ["sex": "F"])
        let dot = { (origin: UInt64, counter: UInt64) in Dot(origin: testOrigin(origin), counter: counter) }
        let found = try hub.storage.read {
            try $0.recordKeys(for: [dot(2, 1), dot(2, 2), dot(2, 3), dot(2, 4), dot(4, 1), dot(1, 1), dot(2, 1)])
        }
        #expect(
            found == [
                dot(2, 1): RecordKey(collection: "children", id: testRecord(1)),
                dot(2, 2): RecordKey(collection: "cases", id: testRecord(2)),
                dot(2, 3): RecordKey(collection: "children", id: testRecord(1)),
            ])
    }

    @Test(arguments: StoreKind.allCases)
    func pagesAreBoundedAndResume(kind: StoreKind) throws {
        let replica = try makeReplica(kind, origin: 1)
        for number in 1...10 {
            try replica.put("children", id: testRecord(UInt64(number)), unit: "17605", set: ["n": .int(Int64(number))])
        }
        var cursor: UInt64 = 0
        var seen: [UInt64] = []
        var pages = 0
        while true {
            let page = try replica.outgoingPage(after: cursor, filter: .all, maxEntries: 3, maxBytes: 1 << 20)
            seen += page.entries.map(\.sequence)
            cursor = page.through
            pages += 1
            if !page.hasMore { break }
        }
        #expect(seen == Array(1...10))
        #expect(pages == 4)
        let small = try replica.outgoingPage(after: 0, filter: .all, maxEntries: 100, maxBytes: 1)
        #expect(small.entries.count == 1)
        #expect(small.hasMore)
        #expect(try replica.outgoingPage(after: 10, filter: .all, maxEntries: 3, maxBytes: 1 << 20).entries.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func recordEnteringScopeBringsItsHistory(kind: StoreKind) throws {
        let hub = try makeReplica(kind, origin: 1, unit: "415")
        let id = testRecord(9)
        try hub.put("children", id: id, unit: "17608", set: ["sex": "F"])
        try hub.put("children", id: id, set: ["village": "Bản Na"])
        try hub.put("children", id: testRecord(10), unit: "17608", set: ["sex": "M"])
        try hub.put("children", id: id, unit: "17605", set: [:])
        let page = try hub.outgoingPage(
            after: 3, filter: LogFilter(units: ["17605"]), maxEntries: 100, maxBytes: 1 << 20)
        #expect(page.entries.map(\.sequence) == [1, 2, 4])
        let node = try makeReplica(kind, origin: 2, unit: "17605")
        let report = try node.apply(page.entries.map(\.change), via: hub.origin)
        #expect(report.applied == 3)
        #expect(try node.record("children", id: id)?.unit == "17605")
        #expect(try node.stateHash() == hub.stateHash(unit: { $0 == "17605" }))
    }

    /// A district moves a child out of its subtree while one of its communes, not knowing,
    /// moves it to a neighbour; the province edits the child in between. When the commune's move
    /// reaches the province through the district and brings the child back into the district's
    /// subtree, the district's next pull brings the province's edit, which it never received.
    @Test(arguments: StoreKind.allCases)
    func aRecordTheCallerItselfBringsBackIntoItsScopeBringsWhatItMissed(kind: StoreKind) throws {
        let province = try makeReplica(kind, origin: 1, unit: "40")
        let district = try makeReplica(kind, origin: 2, unit: "411")
        let communeClock = ManualClock()
        let commune = try makeReplica(kind, origin: 3, unit: "17608", clock: communeClock)
        let subtree: Set<String> = ["411", "17605", "17608"]
        let id = testRecord(7)
        let created = try #require(try commune.put("children", id: id, unit: "17608", set: ["sex": "F"]))
        try district.apply([created], via: commune.origin)
        let out = try #require(try district.put("children", id: id, unit: "17900", set: [:]))
        try province.apply([created, out], via: district.origin)
        let edit = try #require(try province.put("children", id: id, set: ["notes": "gặp ở tỉnh"]))
        // The district's pull skips the edit: the child is outside its subtree now.
        let skipped = try province.outgoingPage(
            after: 2, filter: LogFilter(units: subtree, excludingVia: district.origin), maxEntries: 100,
            maxBytes: 1 << 20)
        #expect(skipped.entries.isEmpty)
        communeClock.advance(by: 1_000)
        let back = try #require(try commune.put("children", id: id, unit: "17605", set: [:]))
        try district.apply([back], via: commune.origin)
        try province.apply([back], via: district.origin)
        #expect(try province.record("children", id: id)?.unit == "17605")

        let page = try province.outgoingPage(
            after: skipped.through, filter: LogFilter(units: subtree, excludingVia: district.origin), maxEntries: 100,
            maxBytes: 1 << 20)
        #expect(page.entries.map(\.change.dot).contains(edit.dot))
        #expect(!page.entries.map(\.change.dot).contains(back.dot), "the district's own change is not sent back")
        try district.apply(page.entries.map(\.change), via: province.origin)
        let inSubtree: (String?) -> Bool = { $0.map(subtree.contains) == true }
        #expect(try district.stateHash(unit: inSubtree) == province.stateHash(unit: inSubtree))
    }

    /// A whole village moves to another commune: the histories that come with the moves fill
    /// pages within the receiver's limits, and the pages add up to the commune's state.
    @Test(arguments: StoreKind.allCases)
    func movedInHistoriesRespectThePageLimits(kind: StoreKind) throws {
        let hub = try makeReplica(kind, origin: 1, unit: "415")
        let ids = (1...5).map { testRecord(UInt64(20 + $0)) }
        for id in ids {
            try hub.put("children", id: id, unit: "17608", set: ["sex": "F"])
            for edit in 1...9 { try hub.put("children", id: id, set: ["notes": .string("lần \(edit)")]) }
        }
        for id in ids { try hub.put("children", id: id, unit: "17605", set: [:]) }
        let node = try makeReplica(kind, origin: 2, unit: "17605")
        var cursor: UInt64 = 50
        var pages = 0
        while true {
            let page = try hub.outgoingPage(
                after: cursor, filter: LogFilter(units: ["17605"]), maxEntries: 12, maxBytes: 1 << 20)
            #expect(page.entries.count <= 12)
            #expect(page.through > cursor || !page.hasMore)
            let report = try node.apply(page.entries.map(\.change), via: hub.origin)
            #expect(report.parked == 0)
            cursor = page.through
            pages += 1
            if !page.hasMore { break }
        }
        #expect(pages == 5)
        #expect(try node.stateHash() == hub.stateHash(unit: { $0 == "17605" }))
        // The same by bytes: a page holds one record's history when two do not fit.
        let one = try hub.outgoingPage(after: 50, filter: LogFilter(units: ["17605"]), maxEntries: 1000, maxBytes: 1)
        #expect(one.entries.count == 11)
        #expect(one.hasMore)
    }

    /// A hub under the `aggregates` upstream policy pushes only some collections: the filter
    /// keeps exactly their entries on both stores — alone, with `excludingVia`, in pages of one,
    /// and with units, where a move into them brings no history of another collection.
    @Test(arguments: StoreKind.allCases)
    func filtersByCollection(kind: StoreKind) throws {
        let hub = try makeReplica(kind, origin: 1, unit: "415")
        let node = try makeReplica(kind, origin: 2, unit: "17605")
        let upstream = testOrigin(40)
        // Written in this order; the test's expectations are the sequences it assigns by hand.
        try node.put("children", id: testRecord(1), unit: "17605", set: ["sex": "F"])  // 1
        try node.put("aggregates", id: testRecord(2), unit: "17605", set: ["value": 3])  // 2
        try hub.apply(node.allChanges(), via: node.origin)
        try hub.put("report_approvals", id: testRecord(3), unit: "415", set: ["status": "submitted"])  // 3
        try hub.put("cases", id: testRecord(4), unit: "17605", set: ["status": "received"])  // 4
        let above = try makeReplica(kind, origin: 40, unit: "40")
        try above.put("aggregates", id: testRecord(5), unit: "415", set: ["value": 7])  // 5, from the province
        try hub.apply(try above.allChanges(), via: upstream)
        try hub.put("aggregates", id: testRecord(2), set: ["value": 4])  // 6
        try hub.put("children", id: testRecord(1), unit: "17608", set: [:])  // 7: a move

        func sequences(_ filter: LogFilter, maxEntries: Int = 100) throws -> (seen: [UInt64], pages: Int) {
            var cursor: UInt64 = 0
            var seen: [UInt64] = []
            var pages = 0
            while true {
                let page = try hub.outgoingPage(
                    after: cursor, filter: filter, maxEntries: maxEntries, maxBytes: 1 << 20)
                // Histories a move brings are the record's, so of its collection too.
                #expect(page.entries.allSatisfy { filter.collections?.contains($0.change.collection) ?? true })
                seen += page.entries.map(\.sequence)
                #expect(page.through >= cursor)
                cursor = page.through
                pages += 1
                if !page.hasMore { break }
            }
            #expect(cursor == 7, "a page after the last kept entry still reaches the log's end")
            return (seen, pages)
        }
        let figures: Set<String> = ["aggregates", "report_approvals"]
        #expect(try sequences(LogFilter(collections: figures)).seen == [2, 3, 5, 6])
        #expect(try sequences(LogFilter(excludingVia: upstream, collections: figures)).seen == [2, 3, 6])
        #expect(
            try sequences(LogFilter(excludingVia: upstream, collections: figures), maxEntries: 1).seen == [2, 3, 6])
        #expect(try sequences(LogFilter(collections: ["children"])).seen == [1, 7])
        #expect(try sequences(LogFilter(collections: [])).seen == [])
        #expect(try sequences(LogFilter(excludingVia: upstream)).seen == [1, 2, 3, 4, 6, 7])
        // The move of the child into 17608 brings its history (the child's creation), and only
        // when children are wanted.
        #expect(try sequences(LogFilter(units: ["17608"], collections: ["children"])).seen == [1, 7])
        #expect(try sequences(LogFilter(units: ["17608"], collections: figures)).seen == [])
        #expect(try sequences(LogFilter(units: ["17605"], collections: figures)).seen == [2, 6])
    }

    @Test(arguments: StoreKind.allCases)
    func settingsAreKeptAndCleared(kind: StoreKind) throws {
        let replica = try makeReplica(kind, origin: 1)
        #expect(try replica.setting("sync.pull") == nil)
        try replica.setSetting("sync.pull", "42")
        #expect(try replica.setting("sync.pull") == "42")
        try replica.setSetting("sync.pull", nil)
        #expect(try replica.setting("sync.pull") == nil)
    }
}

@Suite struct StateHashTests {
    @Test(arguments: StoreKind.allCases)
    func hashesByUnitEqualTheFilteredHash(kind: StoreKind) throws {
        let replica = try makeReplica(kind, origin: 1)
        for number in 1...9 {
            try replica.put(
                "children", id: testRecord(UInt64(number)), unit: "1760\(number % 3)", set: ["n": .int(Int64(number))])
        }
        let all = try replica.stateHashesByUnit()
        #expect(all.count == 3)
        for (unit, hash) in all {
            #expect(try replica.stateHash(unit: { $0 == unit }) == hash)
        }
        #expect(try replica.stateHash(unit: { $0 == "99999" }) != all["17600"])
    }
}

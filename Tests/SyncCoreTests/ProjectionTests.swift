import SyncCore
import TestSupport
import Testing

/// Reading named fields in place (`forEachLiveRecord(in:reading:)`) gives what the whole state
/// shows: the winner among concurrent values, the unit, deleted records left out, on every store.
@Suite struct ProjectionTests {
    static let fields = ["sex", "full_name", "circumstances", "n", "score", "ratio", "absent"]

    static func value(_ generator: inout SeededGenerator) -> FieldValue {
        switch generator.next() % 8 {
        case 0: .string(["M", "F", "Nguyễn Thị Hoa", "", "2026-06-30"][Int(generator.next() % 5)])
        case 1: .bool(generator.next() % 2 == 0)
        case 2: .int(Int64(bitPattern: generator.next()) >> Int64(generator.next() % 64))
        case 3: .double(Double(generator.next() % 1_000) / 8)
        case 4: .null
        case 5: [["group": "a", "since": "2025-01-01"], ["group": "dd", "until": .null, "n": 3]]
        case 6: .array([.string("x"), .array([true, 1.5])])
        default: .object(["k": .string("Lò Văn Páo"), "nested": ["a": [1, 2]]])
        }
    }

    /// Three replicas editing, deleting and restoring the same records, syncing at random: states
    /// with several writers, conflicts and tombstones, gathered on one replica of `store`.
    static func gathered(on target: Replica, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let replicas = try (1...3).map { try makeReplica(.memory, origin: UInt64($0), unit: "44001") }
        for _ in 0..<600 {
            let replica = replicas[Int(generator.next() % 3)]
            let id = testRecord(generator.next() % 25 + 1)
            let existing = try replica.record("children", id: id)
            switch generator.next() % 10 {
            case 0 where existing != nil: try replica.delete("children", id: id)
            case 1 where existing?.isDeleted == true: try replica.restore("children", id: id)
            case 2:
                let other = replicas[Int(generator.next() % 3)]
                try replica.apply(try other.allChanges())
            default:
                guard existing?.isDeleted != true else { continue }
                var set: [String: FieldValue] = [:]
                for _ in 0...(generator.next() % 3) {
                    set[fields[Int(generator.next() % UInt64(fields.count - 1))]] = value(&generator)
                }
                let unit =
                    existing == nil || generator.next() % 20 == 0 ? ["44001", "44002"][Int(generator.next() % 2)] : nil
                try replica.put("children", id: id, unit: unit, set: set)
            }
        }
        for replica in replicas { try target.apply(try replica.allChanges()) }
    }

    @Test(arguments: ["memory", "sqlite", "sealed"])
    func readsWhatTheWholeStateShows(store: String) throws {
        let folder = try TemporaryDirectory()
        let storage: any ReplicaStorage =
            switch store {
            case "memory": MemoryStorage()
            case "sqlite": try SQLiteStorage(path: folder.path("plain.sqlite"))
            default: try SQLiteStorage(path: folder.path("sealed.sqlite"), secret: .key(.random()))
            }
        let target = try Replica.initialize(storage: storage, origin: testOrigin(9), unit: "44", time: ManualClock())
        try Self.gathered(on: target, seed: 11)
        let states = try target.records(in: "children")
        #expect(states.contains { $0.1.isDeleted })
        #expect(states.contains { $0.1.hasConflicts })
        var read: [(RecordID, ProjectedRecord)] = []
        try target.forEachLiveRecord(in: "children", reading: Self.fields) { read.append(($0, $1)) }
        let live = states.filter { !$0.1.isDeleted }
        #expect(read.map(\.0) == live.map(\.0))
        for ((id, record), (_, state)) in zip(read, live) {
            #expect(record.unit == state.unit, "\(id)")
            #expect(!record.isDeleted)
            for field in Self.fields { #expect(record.value(field) == state.value(field), "\(id) \(field)") }
        }
    }

    @Test func damagedStatesAreRefusedNotMisread() throws {
        var generator = SeededGenerator(seed: 2026)
        var projector = StateProjector(fields: Self.fields)
        let replica = try makeReplica(.memory, origin: 1)
        try replica.put("children", id: testRecord(1), unit: "44001", set: ["sex": "F", "n": [1, ["a": "b"]]])
        let good = try #require(try replica.record("children", id: testRecord(1))).encoded()
        for length in 0..<good.count {
            #expect(throws: FormatError.self) {
                try Array(good.prefix(length)).withUnsafeBytes { try projector.read($0) }
            }
        }
        for _ in 0..<5_000 {
            var bytes = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if !bytes.isEmpty { bytes[0] = 1 }
            let decoded = try? RecordState(encoded: bytes)
            let projected = try? bytes.withUnsafeBytes { try projector.read($0) }
            if let decoded {
                #expect(projected?.value("sex") == decoded.value("sex"))
            }
        }
    }
}

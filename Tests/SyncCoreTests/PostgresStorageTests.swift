import Foundation
import PostgresNIO
import PostgresStore
import Synchronization
import TestSupport
import Testing

@testable import SyncCore

/// What is particular to the PostgreSQL store (the storage suites run on it through
/// `StoreKind.postgres`): its address, its schema checks, protection at rest on the server, and
/// several writers on one database never leaving a reader a hole in the log.
@Suite(.enabled(if: !PostgresTestServer.isOptedOut, "TRE_SKIP_POSTGRES=1 (outside CI)"))
struct PostgresStorageTests {
    static let name = "Lò Thị Mai"

    /// A second store on the same schema as `storage`: another hub process, as far as the
    /// server can tell (its own connections).
    static func sibling(
        of address: PostgresAddress, secret: ReplicaSecret? = nil, role: ReplicaRole? = nil
    ) throws -> PostgresStorage {
        try PostgresStorage(address: address, role: role, secret: secret, scrypt: .fastForTests, create: false)
    }

    static func child(_ replica: Replica, _ number: UInt64) throws {
        try replica.put(
            "children", id: testRecord(number), unit: "01001", set: ["full_name": .string("\(name) \(number)")])
    }

    @Test func addressesNeverShowThePasswordAndRefuseWhatTheyCannotUse() throws {
        let address = try PostgresAddress("postgres://tre:s3cret@db.example:6432/tre?schema=hub")
        #expect(address.password == "s3cret")
        #expect(address.port == 6432 && address.database == "tre" && address.schema == "hub")
        #expect(address.requiresTLS, "TLS is required off loopback unless disabled")
        #expect(address.description == "postgres://tre@db.example:6432/tre?schema=hub")
        let local = try PostgresAddress("postgres://tre@127.0.0.1/tre", environment: ["PGPASSWORD": "from-env"])
        #expect(local.password == "from-env" && !local.requiresTLS && local.port == 5432)
        #expect(!"\(local)".contains("from-env"))
        for (text, saying) in [
            ("mysql://tre@db/tre", "not \"postgres:\""), ("postgres://db/tre", "names no user"),
            ("postgres://tre:pw@db/", "names no database"), ("postgres://tre:pw@db/tre?schema=Bad-Name", "schema"),
            ("postgres://tre:pw@db/tre?sslmode=maybe", "sslmode"), ("postgres://tre:pw@db/tre?user=x", "unknown"),
        ] {
            let error = #expect(throws: StoreAddressError.self) { try PostgresAddress(text) }
            #expect(error?.message.contains(saying) == true, "\(text): \(error?.message ?? "")")
            #expect(error?.message.contains("pw") == false)
        }
    }

    @Test func aSchemaIsCreatedOnceAndRefusedWhenItIsNotTresOrNewer() throws {
        let address = try PostgresTestServer.freshAddress()
        #expect(throws: StoreError.self) { _ = try Self.sibling(of: address) }  // nothing there: not created
        let storage = try PostgresStorage(address: address, create: true)
        try Replica.initialize(storage: storage, origin: testOrigin(1), unit: "01001", time: ManualClock())
        let again = #expect(throws: StoreError.self) { _ = try PostgresStorage(address: address, create: true) }
        #expect(again?.kind == .alreadyInitialized)
        try storage.write { try $0.setSetting(ReplicaRole.setting, ReplicaRole.node.rawValue) }
        let role = #expect(throws: StoreError.self) { _ = try Self.sibling(of: address, role: .hub) }
        #expect(role?.kind == .wrongRole)
        try storage.transaction(writing: true) { try $0.execute("UPDATE tre_schema SET version = 99") }
        let newer = #expect(throws: StoreError.self) { _ = try Self.sibling(of: address) }
        #expect(newer?.kind == .newerFormat)

        let foreign = try PostgresTestServer.freshAddress()
        let maker = try PostgresStorage(address: try PostgresTestServer.freshAddress(), create: true)
        try maker.transaction(writing: true) { session in
            try session.execute("CREATE SCHEMA \(foreign.schema!)")
            try session.execute("CREATE TABLE \(foreign.schema!).invoices (id integer)")
        }
        let refused = #expect(throws: StoreError.self) { _ = try PostgresStorage(address: foreign, create: true) }
        #expect(refused?.kind == .foreignDatabase && refused?.detail.contains("invoices") == true)
    }

    /// A store made by the first release (schema 1: no index of the records by unit) gains the
    /// index when opened, once, and its records are kept; a report's selection then reads them.
    @Test func aVersionOneStoreGainsTheUnitIndexAndTheDotIndexWhenOpened() throws {
        let address = try PostgresTestServer.freshAddress()
        let storage = try PostgresStorage(address: address, create: true)
        let replica = try Replica.initialize(
            storage: storage, origin: testOrigin(1), unit: "01001", time: ManualClock())
        try replica.put("children", id: testRecord(1), unit: "01001", set: ["sex": "F"])
        try storage.transaction(writing: true) { session in
            try session.execute("DROP INDEX records_unit")
            try session.execute("DROP TABLE log_dots")
            try session.execute("UPDATE tre_schema SET version = 1")
        }
        func state(_ storage: PostgresStorage) throws -> (version: Int32, indexed: Bool) {
            try storage.transaction(writing: false) { session in
                let row = try session.query(
                    """
                    SELECT (SELECT version FROM tre_schema),
                        to_regclass('records_unit') IS NOT NULL AND to_regclass('log_dots') IS NOT NULL
                    """)
                return (try row.first?[0].decode(Int32.self) ?? 0, try row.first?[1].decode(Bool.self) ?? false)
            }
        }
        #expect(try state(storage) == (1, false))
        let reopened = try Self.sibling(of: address)
        #expect(try state(reopened) == (3, true))
        _ = try Self.sibling(of: address)
        #expect(try state(reopened) == (3, true))
        var read: [RecordID] = []
        try Replica(storage: reopened, time: ManualClock()).forEachLiveRecord(
            RecordSelection(collection: "children", units: ["01001"]), reading: ["sex"]
        ) { id, _ in read.append(id) }
        #expect(read == [testRecord(1)])
    }

    @Test func aProtectedStoreKeepsNoNameOnTheServerAndOpensOnlyWithItsKey() throws {
        let address = try PostgresTestServer.freshAddress()
        let key = ReplicaKey.random()
        let storage = try PostgresStorage(
            address: address, role: nil, secret: .key(key), scrypt: .fastForTests, create: true)
        let replica = try Replica.initialize(
            storage: storage, origin: testOrigin(1), unit: "01001", time: ManualClock())
        try Self.child(replica, 1)
        try Self.child(replica, 2)
        try replica.setSetting("upstream.link", "a link key")

        // What the server holds, read as any database user would: no name, no setting's value.
        let dump = try storage.transaction(writing: false) { session in
            try session.query(
                """
                SELECT encode(state, 'escape') FROM records UNION ALL SELECT encode(change, 'escape') FROM log
                UNION ALL SELECT value FROM settings
                """
            ).map { try $0[0].decode(String.self) }.joined(separator: "\n")
        }
        #expect(!dump.contains("Lò Thị") && !dump.contains("a link key"))
        #expect(!dump.contains(Data("Lò Thị".utf8).map { String(format: "\\%03o", $0) }.joined()))

        let locked = try Self.sibling(of: address)
        #expect(locked.isLocked && locked.protection == .keyFile)
        let lockedRead = #expect(throws: StoreError.self) {
            _ = try Replica(storage: locked, time: ManualClock()).record("children", id: testRecord(1))
        }
        #expect(lockedRead?.kind == .locked)
        let wrong = #expect(throws: StoreError.self) { _ = try Self.sibling(of: address, secret: .key(.random())) }
        #expect(wrong?.kind == .wrongKey)
        let opened = try Replica(storage: try Self.sibling(of: address, secret: .key(key)), time: ManualClock())
        #expect(try opened.record("children", id: testRecord(1))?.shownFields["full_name"] == .string("\(Self.name) 1"))
        #expect(try opened.setting("upstream.link") == "a link key")

        // A sealed state moved to another record's row does not open there.
        try storage.transaction(writing: true) { session in
            try session.execute(
                "UPDATE records SET state = (SELECT state FROM records WHERE id = $1) WHERE id = $2",
                [.bytes(testRecord(1).uuid.bytes), .bytes(testRecord(2).uuid.bytes)])
        }
        let moved = #expect(throws: StoreError.self) { _ = try opened.record("children", id: testRecord(2)) }
        #expect(moved?.kind == .corrupt)
    }

    /// Writers on two stores (two processes' worth of connections) and a reader pulling the
    /// log with a cursor all the while: the reader must see every sequence once, in order —
    /// a change numbered below one it has seen may never commit after it.
    @Test func concurrentWritersNeverLeaveAReaderAHoleInTheLog() throws {
        let address = try PostgresTestServer.freshAddress()
        let first = try PostgresStorage(address: address, create: true)
        let replica = try Replica.initialize(storage: first, origin: testOrigin(1), unit: "01001", time: ManualClock())
        let second = try Replica(storage: try Self.sibling(of: address), time: ManualClock())
        let writers = [replica, second, replica, second]
        let perWriter = 25
        let shared = Shared()
        let reader = Thread {
            var cursor: UInt64 = 0
            while true {
                let finished = shared.done.load(ordering: .acquiring) == writers.count
                do {
                    let page = try first.read {
                        try $0.logPage(after: cursor, filter: .all, maxEntries: 7, maxBytes: .max)
                    }
                    shared.seen.withLock { $0 += page.entries.map(\.sequence) }
                    cursor = page.through
                    if finished && !page.hasMore { break }
                } catch {
                    shared.failures.withLock { $0.append("reader: \(error)") }
                    break
                }
            }
            shared.done.add(1, ordering: .releasing)
        }
        reader.start()
        DispatchQueue.concurrentPerform(iterations: writers.count) { index in
            for number in 0..<perWriter {
                do {
                    try writers[index].put(
                        "children", id: testRecord(UInt64(1_000 * (index + 1) + number)), unit: "01001",
                        set: ["sex": "F"])
                } catch {
                    shared.failures.withLock { $0.append("writer \(index): \(error)") }
                }
            }
            shared.done.add(1, ordering: .releasing)
        }
        while shared.done.load(ordering: .acquiring) <= writers.count { Thread.sleep(forTimeInterval: 0.01) }
        #expect(shared.failures.withLock { $0 }.isEmpty, "\(shared.failures.withLock { $0 })")
        let total = writers.count * perWriter
        #expect(shared.seen.withLock { $0 } == Array(1...UInt64(total)), "the reader saw every change once, in order")
        // The writers share the hub's origin: its counter, read under the lock, never repeats.
        let dots = try replica.allChanges().map(\.dot)
        #expect(Set(dots).count == total && dots.count == total)
    }

    /// What the reader and writers share.
    final class Shared: Sendable {
        let done = Atomic<Int>(0)
        let seen = Mutex<[UInt64]>([])
        let failures = Mutex<[String]>([])
    }
}

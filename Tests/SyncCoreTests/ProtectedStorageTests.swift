import Foundation
import GRDB
import TestSupport
import Testing

@testable import SyncCore

/// A protected replica's file: every value that holds record fields or a secret is sealed, opens
/// again with the same secret only, and cannot be moved to another row.
@Suite struct ProtectedStorageTests {
    static let passphrase = ReplicaSecret.passphrase("Mường Lống mùa lúa chín")

    /// A protected SQLite storage at `path`, with scrypt made cheap for tests.
    static func storage(_ path: String, _ secret: ReplicaSecret? = passphrase) throws -> SQLiteStorage {
        try SQLiteStorage(path: path, role: nil, secret: secret, scrypt: .fastForTests)
    }

    /// Personal values no sealed file may show, in any of the forms a search of the file might try.
    static let personal = [
        "Nguyễn Thị Hồng Nhung", "Thôn Phiêng Luông", "0912345678", "bị bố đánh nhiều lần", "Trần Văn Khoa",
        "ở với bà ngoại", "Bản Huồi Giảng",
    ]

    /// The values found in the file at `path` and its WAL.
    static func revealed(_ path: String, _ values: [String] = personal) throws -> [String] {
        TestSupport.revealed(values, in: try fileBytes(path))
    }

    /// A source's changes: a child with personal fields, a report, and an edit that depends on
    /// a change left out, so a replica that receives the batch parks it.
    static func changes() throws -> (all: [Change], withheld: Change) {
        let source = try makeReplica(.memory, origin: 1)
        try source.put(
            "children", id: testRecord(1), unit: "01001",
            set: ["full_name": "Nguyễn Thị Hồng Nhung", "address": "Thôn Phiêng Luông", "phone": "0912345678"])
        try source.put(
            "reports", id: testRecord(2), unit: "01001",
            set: ["reporter_name": "Trần Văn Khoa", "notes": "bị bố đánh nhiều lần"])
        let withheld = try #require(try source.put("children", id: testRecord(1), set: ["notes": "x"]))
        try source.put("children", id: testRecord(1), set: ["living_with": "ở với bà ngoại"])
        return (try source.allChanges().filter { $0.dot != withheld.dot }, withheld)
    }

    @Test func aProtectedReplicaRoundTripsEverythingItSealsAndHashesAsAClearOne() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("protected.sqlite")
        let clearPath = directory.path("clear.sqlite")
        let (batch, withheld) = try Self.changes()
        let clock = ManualClock()
        let sealed = try Replica.initialize(
            storage: try Self.storage(path), origin: testOrigin(2), unit: "01001", time: clock)
        let clear = try Replica.initialize(
            storage: try SQLiteStorage(path: clearPath), origin: testOrigin(3), unit: "01001", time: clock)
        for replica in [sealed, clear] {
            #expect(try replica.apply(batch).parked == 1)
            let refused = SetAsideEntry(
                change: Change(
                    dot: Dot(origin: testOrigin(9), counter: 1), stamp: Stamp(wallMillis: 1, logical: 0),
                    collection: "children", record: testRecord(3), unit: "01001", context: VersionVector(),
                    set: ["full_name": "Bản Huồi Giảng"]),
                via: testOrigin(9), code: "out_of_scope", detail: "not in 01002's units", atMillis: 5)
            try replica.storage.write { access in try access.setAside(refused) }
            try replica.setSetting("upstream.key", String(repeating: "ab", count: 32))
        }
        // Values of records, log, parked and set-aside changes are in the clear file, not in the sealed one.
        #expect(try Self.revealed(clearPath) == Self.personal)
        #expect(try Self.revealed(path).isEmpty)
        #expect(try Self.revealed(path, [String(repeating: "ab", count: 32)]).isEmpty)
        #expect(try sealed.stateHash() == clear.stateHash())
        #expect(try sealed.stateHashesByUnit() == clear.stateHashesByUnit())

        // Reopened with the same passphrase, everything reads as it was written.
        let reopened = try Replica(storage: try Self.storage(path), time: clock)
        #expect(try reopened.stateHash() == clear.stateHash())
        #expect(try reopened.record("children", id: testRecord(1)) == clear.record("children", id: testRecord(1)))
        #expect(try reopened.allChanges() == clear.allChanges())
        #expect(try reopened.setAsideEntries() == clear.setAsideEntries())
        #expect(try reopened.setting("upstream.key") == String(repeating: "ab", count: 32))
        let key = RecordKey(collection: "children", id: testRecord(1))
        let parked = try reopened.storage.read { try $0.parked(for: key) }
        #expect(parked.map(\.change.dot) == [Dot(origin: testOrigin(1), counter: 4)])
        // The withheld change arrives: the parked one is released from its sealed row.
        let report = try reopened.apply([withheld])
        #expect(report.released == 1)
        #expect(try reopened.record("children", id: testRecord(1))?.shownFields["living_with"] == "ở với bà ngoại")
        try clear.apply([withheld])
        #expect(try reopened.stateHash() == clear.stateHash())
        // A new local edit is sealed too, in the WAL as in the file.
        try reopened.put("children", id: testRecord(4), unit: "01001", set: ["full_name": "Lò Thị Mai Anh"])
        #expect(try Self.revealed(path, ["Lò Thị Mai Anh"]).isEmpty)
        #expect(try reopened.record("children", id: testRecord(4))?.shownFields["full_name"] == "Lò Thị Mai Anh")
    }

    /// Each sealed column, with the value of another row copied in: refused as damaged, never
    /// read as the other row's value, never a crash.
    @Test func aSealedValueMovedToAnotherRowDoesNotOpen() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("protected.sqlite")
        let (batch, _) = try Self.changes()
        let secret = ReplicaSecret.key(.random())
        do {
            let replica = try Replica.initialize(
                storage: try Self.storage(path, secret), origin: testOrigin(2), unit: "01001", time: ManualClock())
            try replica.apply(batch)
            try replica.storage.write { access in
                for counter in 1...2 {
                    try access.setAside(
                        SetAsideEntry(
                            change: Change(
                                dot: Dot(origin: testOrigin(9), counter: UInt64(counter)),
                                stamp: Stamp(wallMillis: 1, logical: 0), collection: "children",
                                record: testRecord(5), unit: "01001", context: VersionVector(),
                                set: ["n": .int(Int64(counter))]),
                            via: testOrigin(9), code: "out_of_scope", detail: "reason \(counter)", atMillis: 5))
                }
                try access.park(
                    Change(
                        dot: Dot(origin: testOrigin(8), counter: 2), stamp: Stamp(wallMillis: 1, logical: 0),
                        collection: "children", record: testRecord(1), unit: "01001",
                        context: VersionVector([(testOrigin(8), 1)]), set: ["n": 1]),
                    via: nil)
            }
            try replica.setSetting("sync.push_cursor", "3")
            try replica.setSetting("upstream.key", "secret")
        }
        let moves: [(what: String, sql: String, read: (Replica) throws -> Void)] = [
            (
                "a record's state",
                "UPDATE records SET state = (SELECT state FROM records WHERE collection = 'reports') WHERE collection = 'children'",
                { _ = try $0.record("children", id: testRecord(1)) }
            ),
            (
                "a log entry's change",
                "UPDATE log SET change = (SELECT change FROM log WHERE sequence = 1) WHERE sequence = 2",
                { _ = try $0.allChanges() }
            ),
            (
                "a parked change",
                "UPDATE parked SET change = (SELECT change FROM parked WHERE counter = 4) WHERE counter = 2",
                { replica in
                    _ = try replica.storage.read {
                        try $0.parked(for: RecordKey(collection: "children", id: testRecord(1)))
                    }
                }
            ),
            (
                "a set-aside change",
                "UPDATE set_aside SET change = (SELECT change FROM set_aside WHERE counter = 1) WHERE counter = 2",
                { _ = try $0.setAsideEntries() }
            ),
            (
                "a set-aside reason",
                "UPDATE set_aside SET detail = (SELECT detail FROM set_aside WHERE counter = 1) WHERE counter = 2",
                { _ = try $0.setAsideEntries() }
            ),
            (
                "a setting",
                "UPDATE settings SET value = (SELECT value FROM settings WHERE name = 'upstream.key') WHERE name = 'sync.push_cursor'",
                { _ = try $0.setting("sync.push_cursor") }
            ),
        ]
        for move in moves {
            let copy = directory.path("moved.sqlite")
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            let queue = try DatabaseQueue(path: copy)
            try queue.write { db in
                try db.execute(sql: move.sql)
                #expect(db.changesCount >= 1, "\(move.what): nothing was moved")
            }
            try queue.close()
            let replica = try Replica(storage: try Self.storage(copy, secret), time: ManualClock())
            do {
                try move.read(replica)
                Issue.record("\(move.what) moved to another row was read")
            } catch let error as StoreError {
                #expect(error.kind == .corrupt, "\(move.what): \(error)")
                #expect(error.detail.contains("damaged or was moved from another row"), "\(move.what): \(error)")
                #expect(!error.hint.isEmpty)
            }
        }
        // The file the rows were moved from still reads whole.
        let intact = try Replica(storage: try Self.storage(path, secret), time: ManualClock())
        #expect(try intact.allChanges().count == batch.count - 1)
        #expect(try intact.setting("sync.push_cursor") == "3")
    }

    @Test func aWrongOrMissingSecretIsRefusedAndNothingIsWritten() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("protected.sqlite")
        let (batch, _) = try Self.changes()
        do {
            let replica = try Replica.initialize(
                storage: try Self.storage(path), origin: testOrigin(2), unit: "01001", time: ManualClock())
            try replica.apply(batch)
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        func refused(_ secret: ReplicaSecret?, _ kind: StoreError.Kind, saying text: String) {
            do {
                _ = try Replica(storage: try Self.storage(path, secret), time: ManualClock()).stateHash()
                Issue.record("opened with \(String(describing: secret))")
            } catch let error as StoreError {
                #expect(error.kind == kind, "\(error)")
                #expect(error.detail.contains(text), "\(error)")
            } catch {
                Issue.record("\(error)")
            }
        }
        refused(.passphrase("Mường Lống mùa lúa xanh"), .wrongKey, saying: "the passphrase does not open this replica")
        refused(.key(.random()), .wrongKey, saying: "protected by a passphrase, not by a key file")
        refused(.passphrase(""), .wrongKey, saying: "an empty passphrase")
        // Refused before SQLite opened it for writing: not a byte changed, no WAL left.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "a refused open changed the file")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))

        // Without it the file opens locked: who it is, how many records, a backup; no values,
        // and nothing written.
        refused(nil, .locked, saying: "protected by a passphrase and was opened without it")
        let locked = try Self.storage(path, nil)
        #expect(locked.isLocked)
        #expect(locked.protection == .passphrase)
        #expect(try SQLiteStorage.protection(ofReplicaAt: path) == .passphrase)
        let replica = try Replica(storage: locked, time: ManualClock())
        #expect(replica.unit == "01001")
        #expect(try replica.counts().records == 2)
        #expect(throws: StoreError.self) {
            try replica.put("children", id: testRecord(7), unit: "01001", set: ["a": 1])
        }
        #expect(throws: StoreError.self) { try replica.setSetting("sync.pull_cursor", "1") }
        #expect(throws: StoreError.self) { try locked.searchToken("nhung") }
        // The same passphrase typed in another Unicode form (an input method's NFD) opens it.
        let decomposed = "Mường Lống mùa lúa chín".decomposedStringWithCanonicalMapping
        let unlocked = try Replica(storage: try Self.storage(path, .passphrase(decomposed)), time: ManualClock())
        #expect(try unlocked.counts() == replica.counts())
        #expect(try unlocked.setting("sync.pull_cursor") == nil)

        // A secret for an unprotected replica is refused too: it would protect nothing.
        let clearPath = directory.path("clear.sqlite")
        _ = try Replica.initialize(
            storage: try SQLiteStorage(path: clearPath), origin: testOrigin(2), unit: "01001", time: ManualClock())
        #expect(try SQLiteStorage.protection(ofReplicaAt: clearPath) == nil)
        #expect {
            try SQLiteStorage(path: clearPath, secret: .key(.random()))
        } throws: { ($0 as? StoreError)?.kind == .notProtected }

        // Key derivation parameters read from a forged file are bounded before use.
        let forged = directory.path("forged.sqlite")
        try FileManager.default.copyItem(atPath: path, toPath: forged)
        let queue = try DatabaseQueue(path: forged)
        try queue.write { db in try db.execute(sql: "UPDATE protection SET log2_n = 40") }
        try queue.close()
        #expect {
            try SQLiteStorage(path: forged, secret: Self.passphrase)
        } throws: { ($0 as? StoreError)?.kind == .corrupt }
    }

    @Test func aProtectedBackupIsSealedAndRestoresWithTheSameKeyOnly() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("protected.sqlite")
        let (batch, _) = try Self.changes()
        let key = ReplicaKey.random()
        let replica = try Replica.initialize(
            storage: try Self.storage(path, .key(key)), origin: testOrigin(2), unit: "01001", time: ManualClock())
        try replica.apply(batch)
        // A backup needs no key: it is taken from the file opened locked.
        let backup = directory.path("backup.sqlite")
        try Self.storage(path, nil).backup(to: backup, nowMillis: 1)
        #expect(try Self.revealed(backup).isEmpty)
        #expect(try SQLiteStorage.protection(ofReplicaAt: backup) == .keyFile)
        #expect {
            try Replica.finishRestore(storage: try Self.storage(backup, .key(.random())), time: ManualClock())
        } throws: { ($0 as? StoreError)?.kind == .wrongKey }
        #expect(try Data(contentsOf: URL(fileURLWithPath: backup)).count > 0)
        let restored = try Replica.finishRestore(storage: try Self.storage(backup, .key(key)), time: ManualClock())
        #expect(try restored.stateHash() == replica.stateHash())
        #expect(try restored.allChanges() == replica.allChanges())
        // The key file's text gives the same key back.
        let text = key.keyFileText
        #expect(text.hasSuffix("\n") && text.count == 45)
        let again = try #require(ReplicaKey(keyFileText: "  " + text))
        #expect(try Replica(storage: try Self.storage(backup, .key(again)), time: ManualClock()).counts().records == 2)
        #expect(ReplicaKey(keyFileText: "bm90IGEga2V5") == nil)
    }

    @Test func searchTokensAreKeyedByTheReplicasOwnKey() throws {
        let directory = try TemporaryDirectory()
        let first = try Self.storage(directory.path("a.sqlite"))
        let second = try Self.storage(directory.path("b.sqlite"))
        let clear = try SQLiteStorage(path: directory.path("c.sqlite"))
        let token = try first.searchToken("nhung")
        #expect(token.count == 16)
        #expect(try first.searchToken("nhung") == token)
        #expect(try first.searchToken("nhu") != token)
        #expect(try second.searchToken("nhung") != token)
        #expect(try clear.searchToken("nhung") != token)
        #expect(try clear.searchToken("nhung") == MemoryStorage().searchToken("nhung"))
        #expect(try Self.storage(directory.path("a.sqlite")).searchToken("nhung") == token)
    }
}

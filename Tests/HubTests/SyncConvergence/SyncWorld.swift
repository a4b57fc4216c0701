import Domain
import Foundation
import SyncClient
import SyncCore
import TestSupport

@testable import Hub

/// The administrative units of the sync convergence test, as a province imports them: a
/// province, two districts (two communes and one), and a commune directly under the province.
/// Which units get a hub and which a node, and who syncs with whom, follows from this list
/// alone: a unit with units below it is a hub, one without is a commune with a node, and each
/// syncs with the nearest unit above it.
enum SyncTopology {
    static let units: [HubStore.Unit] = [
        .init(code: "40", name: "Nghệ An", level: "province", parentCode: nil),
        .init(code: "411", name: "Kỳ Sơn", level: "district", parentCode: "40"),
        .init(code: "17605", name: "Mường Lống", level: "commune", parentCode: "411"),
        .init(code: "17608", name: "Huồi Tụ", level: "commune", parentCode: "411"),
        .init(code: "412", name: "Tương Dương", level: "district", parentCode: "40"),
        .init(code: "17710", name: "Tam Thái", level: "commune", parentCode: "412"),
        .init(code: "17900", name: "Xã trực thuộc tỉnh", level: "commune", parentCode: "40"),
    ]

    static func parent(of code: String) -> String? { units.first { $0.code == code }?.parentCode }

    /// Units with units below them, each after its parent: the hubs.
    static let hubUnits: [String] = units.filter { unit in units.contains { $0.parentCode == unit.code } }.map(\.code)
    /// Units with nothing below them: the communes, each with a node.
    static let communes: [String] = units.map(\.code).filter { !hubUnits.contains($0) }

    static var nodeCount: Int { communes.count }
    static var hubCount: Int { hubUnits.count }
    /// Who edits: every node, then every hub's staff.
    static var actorCount: Int { nodeCount + hubCount }

    /// The hub directly above `code` (for a commune: the hub its node syncs with).
    static func hubIndex(above code: String) -> Int? {
        parent(of: code).flatMap { hubUnits.firstIndex(of: $0) }
    }
}

/// A fresh directory for one schedule's files, in shared memory where the system has it (hubs
/// write with full durability, and a disk's fsyncs would make the test many times slower),
/// removed when the value is released.
final class ScratchDirectory {
    let url: URL

    init() throws {
        let base =
            FileManager.default.isWritableFile(atPath: "/dev/shm")
            ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        url = base.appendingPathComponent("tre-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A replica's storage that can crash: armed, the next write transaction that appends to the log
/// fails there, as a process killed mid-transaction would, and nothing of it is kept.
final class CrashSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var armed = false
    private var crashed = false

    struct Crash: Error, CustomStringConvertible {
        var description: String { "crashed (planted by the test)" }
    }

    func arm() { lock.withLock { armed = true } }

    /// Disarms and says whether the crash happened since it was armed.
    func disarm() -> Bool {
        lock.withLock {
            defer { (armed, crashed) = (false, false) }
            return crashed
        }
    }

    func fire() throws {
        try lock.withLock {
            guard armed else { return }
            armed = false
            crashed = true
            throw Crash()
        }
    }
}

struct CrashingStorage: ReplicaStorage {
    let inner: any ReplicaStorage
    let crash: CrashSwitch

    func read<T>(_ body: (any StorageAccess) throws -> T) throws -> T { try inner.read(body) }

    func searchToken(_ term: String) throws -> [UInt8] { try inner.searchToken(term) }

    func write<T>(_ body: (any StorageAccess) throws -> T) throws -> T {
        try inner.write { access in try body(CrashingAccess(inner: access, crash: crash)) }
    }
}

struct CrashingAccess: StorageAccess {
    let inner: any StorageAccess
    let crash: CrashSwitch

    func meta() throws -> ReplicaMeta? { try inner.meta() }
    func setMeta(_ meta: ReplicaMeta) throws { try inner.setMeta(meta) }
    func record(_ key: RecordKey) throws -> RecordState? { try inner.record(key) }
    func putRecord(_ key: RecordKey, _ state: RecordState) throws { try inner.putRecord(key, state) }
    func putCreatedRecord(_ key: RecordKey, by change: Change) throws { try inner.putCreatedRecord(key, by: change) }
    func forEachRecord(collection: String?, _ body: (StoredRecord) throws -> Void) throws {
        try inner.forEachRecord(collection: collection, body)
    }
    func recordCount() throws -> Int { try inner.recordCount() }
    func conflictedKeys() throws -> [RecordKey] { try inner.conflictedKeys() }
    func appendLog(_ change: Change, unit: String, via: OriginID?, previousUnit: String?) throws -> UInt64 {
        try crash.fire()
        return try inner.appendLog(change, unit: unit, via: via, previousUnit: previousUnit)
    }
    func logPage(after sequence: UInt64, filter: LogFilter, maxEntries: Int, maxBytes: Int) throws -> LogPage {
        try inner.logPage(after: sequence, filter: filter, maxEntries: maxEntries, maxBytes: maxBytes)
    }
    func history(of key: RecordKey, before sequence: UInt64) throws -> [LogEntry] {
        try inner.history(of: key, before: sequence)
    }
    func lastSequence() throws -> UInt64 { try inner.lastSequence() }
    func recordKeys(for dots: [Dot]) throws -> [Dot: RecordKey] { try inner.recordKeys(for: dots) }
    func setting(_ name: String) throws -> String? { try inner.setting(name) }
    func setSetting(_ name: String, _ value: String?) throws { try inner.setSetting(name, value) }
    func park(_ change: Change, via: OriginID?) throws { try inner.park(change, via: via) }
    func parked(for key: RecordKey) throws -> [ParkedChange] { try inner.parked(for: key) }
    func unpark(_ dot: Dot) throws { try inner.unpark(dot) }
    func parkedCount() throws -> Int { try inner.parkedCount() }
    func setAside(_ entry: SetAsideEntry) throws { try inner.setAside(entry) }
    func setAside(for key: RecordKey) throws -> [SetAsideEntry] { try inner.setAside(for: key) }
    func setAsideEntries(limit: Int) throws -> [SetAsideEntry] { try inner.setAsideEntries(limit: limit) }
    func removeSetAside(_ dot: Dot) throws { try inner.removeSetAside(dot) }
    func setAsideCount() throws -> Int { try inner.setAsideCount() }
}

/// A hub as `tre-hub serve` runs it: `HubStore` and `HubService` over an SQLite file, which a
/// restart opens again.
final class SimulatedHub {
    let index: Int
    let unit: String
    let origin: OriginID
    private(set) var path: String
    let clock: ManualClock
    let faults: PlantedFaults
    let crash = CrashSwitch()
    private(set) var service: HubService
    /// The units below this hub, from its own `hub_units`.
    let subtree: Set<String>
    /// The hub this one syncs with, and the key it was enrolled with there.
    var upstream: SimulatedHub?
    /// Requests received, kept so that one can be delivered again later (a replay).
    var received: [OriginID: HubRequest] = [:]

    init(index: Int, unit: String, directory: ScratchDirectory, clock: ManualClock, faults: PlantedFaults) throws {
        self.index = index
        self.unit = unit
        self.origin = testOrigin(UInt64(1000 + index))
        self.path = directory.path("hub-\(unit).sqlite")
        self.clock = clock
        self.faults = faults
        let storage = try SQLiteStorage(path: path)
        _ = try HubStore.create(
            replica: try Replica.initialize(
                storage: storage, origin: origin, unit: unit, name: "hub \(unit)", time: clock),
            storage: storage)
        service = try Self.open(path: path, clock: clock, crash: crash, faults: faults)
        _ = try service.store.importUnits(SyncTopology.units)
        subtree = try service.store.subtree(of: unit)
    }

    static func open(path: String, clock: ManualClock, crash: CrashSwitch, faults: PlantedFaults) throws -> HubService {
        let storage = try SQLiteStorage(path: path)
        let replica = try Replica(storage: CrashingStorage(inner: storage, crash: crash), time: clock)
        return HubService(
            store: HubStore(replica: replica, storage: storage), dictionary: WireVocabulary.dictionary,
            faults: faults
        ) { _ in }
    }

    var replica: Replica { service.replica }

    /// Stops and starts again on the same file: a new service, nothing kept in memory.
    func restart() throws {
        _ = crash.disarm()
        service = try Self.open(path: path, clock: clock, crash: crash, faults: faults)
    }

    /// The machine is lost; a backup of its file becomes the hub again, as `tre-hub restore`
    /// does it.
    func restore(fromBackup backup: String, as name: String) throws {
        let target = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path
        try FileManager.default.copyItem(atPath: backup, toPath: target)
        let restored = try Replica.finishRestore(storage: try SQLiteStorage(path: target), time: clock)
        try Upstream.prepareAfterRestore(restored)
        try HubDatabase.prepareAfterRestore(restored)
        path = target
        try restart()
    }

    /// Enrols `origin` for `unit` with a one-time code, as `tre-hub enroll` and `init` do.
    func enrol(_ origin: OriginID, unit: String, kind: String) throws -> Upstream {
        // The code as `tre-hub enroll` makes it; the origin fixed by the test (the protocol has the
        // hub make one) so that a seed replays the same schedule.
        let kind: HubStore.Kind = kind == "hub" ? .hub : .node
        let code = try service.store.createEnrolment(unit: unit, kind: kind, hours: 24, now: clock.nowMillis()).code
        guard
            case .success(let peer) = try service.store.enrol(
                code: code, kind: kind, name: "", expectedUnit: unit, now: clock.nowMillis(), assigning: origin)
        else { throw SyncSimulation.Failure(reason: "enrolment of \(origin) for \(unit) failed") }
        return Upstream(
            url: URL(string: "http://hub-\(self.unit).invalid")!, hubOrigin: self.origin, hubUnit: self.unit,
            key: peer.key)
    }
}

/// A commune's node: a replica on SQLite (a file, so it can be backed up and restored) or in
/// memory, enrolled at the hub above its commune.
final class SimulatedNode {
    let index: Int
    let commune: String
    let origin: OriginID
    let clock: ManualClock
    let hub: SimulatedHub
    let onFile: Bool
    let directory: ScratchDirectory
    let crash = CrashSwitch()
    private(set) var replica: Replica
    private(set) var path: String?
    /// The latest backup and the step it was taken at.
    var backup: (path: String, step: Int)?
    var restores = 0

    init(
        index: Int, commune: String, hub: SimulatedHub, onFile: Bool, directory: ScratchDirectory,
        clock: ManualClock
    ) throws {
        self.index = index
        self.commune = commune
        self.origin = testOrigin(UInt64(1 + index))
        self.clock = clock
        self.hub = hub
        self.onFile = onFile
        self.directory = directory
        let storage: any ReplicaStorage
        if onFile {
            let path = directory.path("node-\(commune).sqlite")
            self.path = path
            storage = try SQLiteStorage(path: path)
        } else {
            storage = MemoryStorage()
        }
        _ = try Replica.initialize(storage: storage, origin: origin, unit: commune, time: clock)
        replica = try Replica(storage: CrashingStorage(inner: storage, crash: crash), time: clock)
        try hub.enrol(origin, unit: commune, kind: "node").save(to: replica)
    }

    /// After a crash: a file-backed node opens its file again (a memory node keeps its store:
    /// the failed transaction was rolled back).
    func reopen() throws {
        _ = crash.disarm()
        guard let path else { return }
        replica = try Replica(storage: CrashingStorage(inner: try SQLiteStorage(path: path), crash: crash), time: clock)
    }

    func takeBackup(step: Int) throws {
        guard let path, let storage = (replica.storage as? CrashingStorage)?.inner as? SQLiteStorage else { return }
        let destination = path + ".backup"
        try storage.backup(to: destination, nowMillis: clock.nowMillis())
        backup = (destination, step)
    }

    /// The machine is lost; the backup becomes the node again, as `tre-node restore` does it.
    func restoreFromBackup() throws {
        guard let backup else { return }
        restores += 1
        let target = directory.path("node-\(commune)-restored-\(restores).sqlite")
        try FileManager.default.copyItem(atPath: backup.path, toPath: target)
        let storage = try SQLiteStorage(path: target)
        let restored = try Replica.finishRestore(storage: storage, time: clock)
        try Upstream.prepareAfterRestore(restored)
        path = target
        _ = crash.disarm()
        replica = try Replica(storage: CrashingStorage(inner: storage, crash: crash), time: clock)
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One serving or syncing process per replica: an advisory lock (`flock(2)`, exclusive, not
/// waiting) on `<database>.lock` beside the database, which holds the PID and command line of
/// the process that has it. `tre-hub serve` holds it while it runs, `tre-node sync` for one
/// sync (the daemon for each of its syncs); a second one is refused, naming the first.
/// Short commands (records, status, enrolment codes) do not take it: SQLite's own locking
/// lets them work beside a serving hub. The kernel releases the lock when the process ends,
/// however it ends; the file stays (removing it would let two processes lock two files).
public final class ReplicaLock: Sendable {
    public enum Purpose: Sendable {
        case serve
        case sync

        var doing: String {
            switch self {
            case .serve: "serving this hub"
            case .sync: "syncing this replica"
            }
        }
    }

    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The lock file of the replica at `databasePath`.
    public static func path(for databasePath: String) -> String { databasePath + ".lock" }

    /// Takes the lock, or refuses with the holder's PID and command line.
    public static func acquire(databasePath: String, purpose: Purpose) throws -> ReplicaLock {
        let path = path(for: databasePath)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw CommandFailure(
                code: "cannot_lock", message: "cannot open the lock file \(path): \(reason)",
                hint: "Check that this user may write to the replica's folder.")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            let holder = busy ? Self.holder(descriptor) : nil
            close(descriptor)
            guard busy else {
                throw CommandFailure(
                    code: "cannot_lock", message: "cannot lock \(path): \(reason)",
                    hint: "Check the replica's folder (a network file system may not support locks).")
            }
            throw refusal(databasePath: databasePath, purpose: purpose, holder: holder)
        }
        _ = fchmod(descriptor, 0o600)
        let record = Array("\(getpid())\n\(CommandLine.arguments.joined(separator: " "))\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = record.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return ReplicaLock(path: path, descriptor: descriptor)
    }

    /// What the lock file says of the process holding it: PID and command line.
    static func holder(_ descriptor: Int32) -> (pid: Int32, command: String)? {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let lines = String(decoding: bytes[0..<count], as: UTF8.self).split(separator: "\n", maxSplits: 1)
        guard let pid = lines.first.flatMap({ Int32($0) }) else { return nil }
        let command = lines.count > 1 ? lines[1].trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return (pid, command)
    }

    static func refusal(databasePath: String, purpose: Purpose, holder: (pid: Int32, command: String)?)
        -> CommandFailure
    {
        let who =
            holder.map { "process \($0.pid)" + ($0.command.isEmpty ? "" : " (\($0.command))") }
            ?? "another process (its PID is not recorded yet)"
        let stop = holder.map { "stop it first (kill \($0.pid))" } ?? "stop it first"
        let hint: String
        switch purpose {
        case .serve:
            hint =
                "Only one tre-hub serve may run on a database: leave that one serving, or \(stop) and start again. "
                + "Short commands (record, status, enroll, nodes) work beside it."
        case .sync:
            hint = "Wait for that sync to finish and run this one again, or \(stop) if it hangs; nothing was changed."
        }
        return CommandFailure(
            code: "replica_busy", message: "\(databasePath) is in use: \(who) is \(purpose.doing)", hint: hint)
    }
}

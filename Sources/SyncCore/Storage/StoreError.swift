/// A storage failure with what was being done, on which file, and whether retrying can help.
/// It never carries a record's values: personal data stays out of logs and terminals.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        case notADatabase = "not_a_database"
        case foreignDatabase = "foreign_database"
        /// A Tre replica of the other kind: a hub's database given to a node's command, or a
        /// node's replica given to a hub's.
        case wrongRole = "wrong_role"
        case newerFormat = "newer_format"
        case corrupt
        case notInitialized = "not_initialized"
        case alreadyInitialized = "already_initialized"
        case busy
        case full
        case readOnly = "read_only"
        case cannotOpen = "cannot_open"
        case io
        case other
        /// A copy made by `backup`, not (yet) a live replica.
        case isBackup = "is_backup"
        /// A protected replica opened without its passphrase or key file: what is sealed cannot
        /// be read or written.
        case locked
        /// The passphrase or key file given does not open this protected replica.
        case wrongKey = "wrong_key"
        /// A passphrase or key was given for a replica that is not protected (it would not
        /// protect anything: protection is chosen when the replica is created).
        case notProtected = "not_protected"
    }

    public let kind: Kind
    public let path: String
    public let operation: String
    public let detail: String

    public init(_ kind: Kind, path: String, operation: String, detail: String) {
        self.kind = kind
        self.path = path
        self.operation = operation
        self.detail = detail
    }

    /// True when the same operation may succeed later without anyone changing anything.
    public var isRetryable: Bool { kind == .busy }

    public var hint: String {
        switch kind {
        case .notADatabase, .foreignDatabase:
            "Check the path: it must be a Tre replica made by `init`. The file was not changed."
        case .wrongRole:
            "Point the command at the right file: tre-node takes a node's folder (--dir), tre-hub a hub's database (--db). The file was not changed."
        case .newerFormat:
            "This replica was written by a newer Tre: install the release named above (or a later one) and run "
                + "the command again with it. The file was not changed."
        case .corrupt:
            "Keep the file for inspection; restore the latest backup (`tre-node restore --dir DIR --from BACKUP`, "
                + "or `tre-hub restore --db PATH --from BACKUP --replace`), or enrol a new replica and sync it from the hub."
        case .isBackup:
            "This file is a backup. Restore it with `tre-node restore --dir DIR --from FILE` (a hub: `tre-hub restore "
                + "--db PATH --from FILE`): the restored replica then never reuses a change id it had already issued."
        case .notInitialized:
            "Run `init` first."
        case .alreadyInitialized:
            "This replica exists already; use it as it is, or choose another path."
        case .busy:
            "Another process holds the replica; retry in a moment."
        case .full:
            "Free disk space, then retry; nothing was lost."
        case .readOnly where path.hasPrefix("postgres://"):
            "The PostgreSQL server refuses writes: it is a read replica (a hot standby), or the database is read "
                + "only. Run commands that write against the primary server. Nothing was changed."
        case .readOnly, .cannotOpen:
            "Check that the folder exists and that this user may write to it."
        case .locked:
            "This replica is protected: give its passphrase or key file. Nothing was changed."
        case .wrongKey:
            "Give the passphrase or key file this replica was created with; nothing was changed. A forgotten "
                + "passphrase cannot be recovered: enrol a new replica at the hub (a new one-time code) and sync, "
                + "which brings back everything the hub holds for it."
        case .notProtected:
            "This replica was created unprotected; leave out the passphrase or key file. To protect its data, "
                + "enrol a new, protected replica at the hub and sync it."
        case .io, .other:
            "Retry once; if it fails again, keep the file and report this message."
        }
    }

    public var description: String {
        "\(operation) failed on \(path): \(detail)"
    }
}

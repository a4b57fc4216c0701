import Domain
import SyncCore

/// This release of Tre, in one place: what `tre-node --version` and `tre-hub --version` print,
/// with the versions two replicas must agree on (the database schema, the domain definition
/// written, the wire format of change sets).
public enum TreVersion {
    public static let release = "0.7.0"

    /// `tre-node 0.7.0 (schema 6, definition 2, wire format 4)`: the newest wire format it
    /// reads (it writes 3 for pulls, files and hubs that do not read 4).
    public static func line(_ program: String) -> String {
        "\(program) \(release) (schema \(SQLiteStorage.schemaVersion), definition \(DomainDefinition.current.version), "
            + "wire format \(ChangeSet.referencingVersion))"
    }
}

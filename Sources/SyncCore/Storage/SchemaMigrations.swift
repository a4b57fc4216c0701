import Foundation

/// The identifiers of every schema migration a Tre release knows, for a replica's tables and for
/// a hub's own tables (both live in one SQLite file and are recorded in GRDB's
/// `grdb_migrations` table). An identifier starts with the release that introduced it, before
/// a colon, so a program that finds one it does not know can say which release to install.
///
/// Rules for a later release: append, never rename or remove (a file records the identifiers
/// applied to it); a migration that changes the replica's tables also sets `PRAGMA
/// user_version` to the new `SQLiteStorage.schemaVersion`, so releases made before the
/// migrator (which read only `user_version`) refuse the file too.
public enum SchemaMigrations {
    /// The replica's schema 4, as release 0.4.0 wrote it: created at once in a new file, reached
    /// from schema 1–3 (files made before 0.4.0) in the same transaction, and recorded as applied
    /// on a file 0.4.0 made (user_version 4, no `grdb_migrations` table).
    public static let replicaSchema4 = "0.4.0: replica schema 4"
    /// A hub's own tables as release 0.4.0 had them (units, peers, enrolment codes, nonces,
    /// events; revocation columns; the role marker).
    public static let hubTables = "0.4.0: hub tables"

    /// Schema 5: the index of pushed changes by dot (`log_dots`), for records named by reference.
    public static let logDots = "0.6.0: log dots"

    /// Schema 6: a record a plain creation made and nothing changed since is held by that
    /// creation's log entry (`records.born`) instead of a copy of its fields.
    public static let recordsBorn = "0.7.0: records held by their creation"

    /// The replica's migrations, in order.
    public static let replica = [replicaSchema4, logDots, recordsBorn]
    /// The hub's migrations, in order (registered by the hub, run after the replica's).
    public static let hub = [hubTables]

    /// Every identifier this program knows; a file with another one was migrated by a later release.
    public static var known: Set<String> { Set(replica + hub) }

    /// The release that introduced `identifier` (the part before its colon), or nil when it does
    /// not follow the convention.
    public static func release(of identifier: String) -> String? {
        guard let colon = identifier.firstIndex(of: ":") else { return nil }
        let release = identifier[..<colon]
        guard !release.isEmpty, release.count <= 20, release.allSatisfy({ $0.isNumber || $0 == "." }) else {
            return nil
        }
        return String(release)
    }

    /// What a refusal says of a file holding `unknown` migrations: the identifiers (data a program
    /// wrote, never personal values) and the release to install.
    static func newerDetail(_ unknown: [String]) -> String {
        let named = unknown.prefix(3).map { "\"\(terminalSafeIdentifier(String($0.prefix(80))))\"" }.joined(
            separator: ", ")
        let releases = unknown.compactMap(release(of:))
        let newest = releases.max { $0.compare($1, options: .numeric) == .orderedAscending }
        let install =
            newest.map { "install Tre \($0) or later to open it" }
            ?? "install the Tre release that wrote it (or a later one) to open it"
        return "it was migrated by a newer Tre (migration \(named) unknown to this program); \(install)"
    }
}

/// A name read from a file (a migration identifier, a column) as it may be printed: a control,
/// format or separator character (an escape sequence, a newline forging a line) becomes `�`.
func terminalSafeIdentifier(_ text: String) -> String {
    var result = String.UnicodeScalarView()
    for scalar in text.unicodeScalars { result.append(isTerminalUnsafe(scalar) ? "\u{FFFD}" : scalar) }
    return String(result)
}

/// What a replica file is: a commune node's replica or a hub's database. Each executable opens
/// only its own kind, so a command pointed at the other kind of file refuses before anything
/// is written to it (a hub's command would otherwise add its tables to a node's file).
public enum ReplicaRole: String, Sendable, CustomStringConvertible {
    case node
    case hub

    /// The setting that marks a file's role, written when the replica is created.
    public static let setting = "replica.role"

    /// A hub made before the marker existed is recognised by this table of its own.
    static let legacyHubTable = "hub_peers"

    public var description: String {
        switch self {
        case .node: "a commune node's replica"
        case .hub: "a hub's database"
        }
    }
}

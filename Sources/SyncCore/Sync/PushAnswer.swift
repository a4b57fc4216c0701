/// What a hub answers a push (JSON): the position acknowledged, counts, and every change set
/// aside with why (identities only, never values). The hub writes it, the client reads it.
public struct PushAnswer: Codable, Hashable, Sendable {
    public struct SetAside: Codable, Hashable, Sendable {
        public let origin: String
        public let counter: UInt64
        public let collection: String
        public let record: String
        public let code: String
        public let message: String

        public init(_ refusal: AuthorizationError) {
            origin = refusal.dot.origin.description
            counter = refusal.dot.counter
            collection = refusal.record.collection
            record = refusal.record.id.description
            code = refusal.kind.rawValue
            message = refusal.detail
        }
    }

    public let acknowledged: UInt64
    public let applied: Int
    public let duplicates: Int
    public let parked: Int
    public let setAside: [SetAside]

    public init(acknowledged: UInt64, applied: Int, duplicates: Int, parked: Int, setAside: [SetAside]) {
        self.acknowledged = acknowledged
        self.applied = applied
        self.duplicates = duplicates
        self.parked = parked
        self.setAside = setAside
    }

    enum CodingKeys: String, CodingKey {
        case acknowledged, applied, duplicates, parked
        case setAside = "set_aside"
    }

    /// A hub of the previous release answers without `set_aside`: it refused whole sets instead.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        acknowledged = try container.decode(UInt64.self, forKey: .acknowledged)
        applied = try container.decodeIfPresent(Int.self, forKey: .applied) ?? 0
        duplicates = try container.decodeIfPresent(Int.self, forKey: .duplicates) ?? 0
        parked = try container.decodeIfPresent(Int.self, forKey: .parked) ?? 0
        setAside = try container.decodeIfPresent([SetAside].self, forKey: .setAside) ?? []
    }
}

/// How much of a peer's log a hub holds: a position in one epoch of that log, written
/// `EPOCH:POSITION` — kept in the hub's settings and sent back in every pull answer. A peer
/// restored from a backup has a new epoch, so the lost log's position is not held against it.
/// A bare number was written before epochs: it belongs to whichever epoch comes first.
public struct AcknowledgedPosition: Hashable, Sendable {
    /// Nil: written before epochs.
    public let epoch: String?
    public let position: UInt64

    public init(epoch: String?, position: UInt64) {
        self.epoch = epoch
        self.position = position
    }

    /// Reads the text form; nil for anything else (a damaged value, or a position no log
    /// reaches), which a hub treats as "nothing held" and a client as "nothing to compare".
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let number = UInt64(parts[parts.count - 1]), number <= Change.maximumCounter else { return nil }
        self.init(epoch: parts.count == 2 ? String(parts[0]) : nil, position: number)
    }

    public var text: String { epoch.map { "\($0):\(position)" } ?? String(position) }

    /// What is held of the log whose epoch is `epoch`: nothing if this is another epoch's.
    public func position(for epoch: String) -> UInt64 { (self.epoch ?? epoch) == epoch ? position : 0 }
}

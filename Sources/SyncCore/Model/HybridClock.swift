import Foundation

/// A hybrid logical clock stamp: wall-clock milliseconds and a logical counter. Used only to
/// break ties between concurrent values, never to decide what happened first.
public struct Stamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let wallMillis: UInt64
    public let logical: UInt32

    public init(wallMillis: UInt64, logical: UInt32) {
        self.wallMillis = wallMillis
        self.logical = logical
    }

    public static let zero = Stamp(wallMillis: 0, logical: 0)

    public var description: String { "\(wallMillis).\(logical)" }

    public static func < (lhs: Stamp, rhs: Stamp) -> Bool {
        (lhs.wallMillis, lhs.logical) < (rhs.wallMillis, rhs.logical)
    }
}

/// Where a replica reads the time. Injected, so that every outcome can be replayed.
public protocol TimeSource: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMillis() -> UInt64
}

/// A hybrid logical clock. `tick` stamps a local change; `observe` moves the clock past a
/// stamp received from elsewhere, so an edit made after seeing a value always stamps higher,
/// even on a machine whose wall clock is behind.
public struct HybridClock: Hashable, Sendable {
    public private(set) var last: Stamp

    public init(last: Stamp = .zero) {
        self.last = last
    }

    public mutating func tick(nowMillis: UInt64) -> Stamp {
        if nowMillis > last.wallMillis {
            last = Stamp(wallMillis: nowMillis, logical: 0)
        } else if last.logical == UInt32.max {
            last = Stamp(wallMillis: last.wallMillis + 1, logical: 0)
        } else {
            last = Stamp(wallMillis: last.wallMillis, logical: last.logical + 1)
        }
        return last
    }

    public mutating func observe(_ stamp: Stamp) {
        if stamp > last { last = stamp }
    }
}

/// The machine's wall clock.
public struct SystemTimeSource: TimeSource {
    public init() {}
    public func nowMillis() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 1000 + UInt64(spec.tv_nsec) / 1_000_000
    }
}

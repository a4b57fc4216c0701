import Foundation
public import SyncClient
public import SyncCore

/// What enrolling at a hub gives a new replica.
public struct EnrolledUpstream: Sendable {
    public let upstream: Upstream
    public let unit: String
    public let unitName: String
}

/// Uses a one-time code at the hub: the shared step of `tre-node init --hub` and
/// `tre-hub init --upstream`. `expectedUnit`, when given, must be the code's unit.
public func enrol(
    hub: String, code: String, origin: OriginID, kind: String, name: String, expectedUnit: String?
) async throws -> EnrolledUpstream {
    let url = try parseHubURL(hub)
    let answer = try await HubClient.enrol(baseURL: url, code: code, origin: origin, kind: kind, name: name)
    if let expectedUnit, expectedUnit != answer.unit {
        throw CommandFailure(
            code: "unit_mismatch", message: "the enrolment code is for unit \(answer.unit), not \(expectedUnit)",
            hint: "Leave out --unit, or ask the hub for a code for \(expectedUnit).")
    }
    guard let key = PeerKey(hex: answer.key), let hubOrigin = OriginID(string: answer.hubOrigin) else {
        throw CommandFailure(
            code: "bad_enrolment", message: "the hub's enrolment answer is unusable",
            hint: "Check that the hub runs a matching version of Tre.")
    }
    return EnrolledUpstream(
        upstream: Upstream(url: url, hubOrigin: hubOrigin, hubUnit: answer.hubUnit, key: key), unit: answer.unit,
        unitName: answer.unitName)
}

/// A fresh origin for a new replica (UUIDv7).
public func newOrigin() -> OriginID {
    var generator = SystemRandomNumberGenerator()
    return OriginID(.version7(unixMillis: SystemTimeSource().nowMillis(), using: &generator))
}

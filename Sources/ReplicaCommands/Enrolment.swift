import Foundation
public import SyncClient
public import SyncCore

/// What enrolling at a hub gives a new replica: the identity the hub assigned and the key.
public struct EnrolledUpstream: Sendable {
    public let upstream: Upstream
    /// The origin the hub assigned: the new replica's identity.
    public let origin: OriginID
    public let unit: String
    public let unitName: String
}

/// Uses a one-time code at the hub: the shared step of `tre-node init --hub` and
/// `tre-hub init --upstream`. The code fixes the unit and the kind (`node` or `hub`); the hub
/// refuses a code of the other kind, or of another unit than `expectedUnit`, and leaves it
/// unused. The hub assigns the origin.
public func enrol(
    hub: String, code: String, kind: String, name: String, expectedUnit: String?
) async throws -> EnrolledUpstream {
    let url = try parseHubURL(hub)
    let answer = try await HubClient.enrol(baseURL: url, code: code, kind: kind, name: name, unit: expectedUnit)
    guard let key = PeerKey(hex: answer.key), let hubOrigin = OriginID(string: answer.hubOrigin),
        let origin = OriginID(string: answer.origin), origin != hubOrigin
    else {
        throw CommandFailure(
            code: "bad_enrolment", message: "the hub's enrolment answer is unusable",
            hint: "Check that the hub runs a matching version of Tre.")
    }
    if let expectedUnit, expectedUnit != answer.unit {
        throw CommandFailure(
            code: "unit_mismatch",
            message: "the hub enrolled this replica (origin \(origin)) for unit \(answer.unit), not \(expectedUnit)",
            hint:
                "Ask the hub's operator to revoke \(origin) (`tre-hub nodes revoke`) and give a code for \(expectedUnit)."
        )
    }
    return EnrolledUpstream(
        upstream: Upstream(url: url, hubOrigin: hubOrigin, hubUnit: answer.hubUnit, key: key), origin: origin,
        unit: answer.unit, unitName: answer.unitName)
}

/// What to say when a replica was enrolled but could not be created: the hub now knows an
/// origin nobody will use, which its operator should revoke.
public func enrolledButNotCreated(_ enrolled: EnrolledUpstream, path: String, _ error: any Error) -> CommandFailure {
    let cause = CommandFailure(error)
    return CommandFailure(
        code: "enrolled_not_created",
        message:
            "enrolled at \(enrolled.upstream.url) as \(enrolled.origin), but \(path) could not be created: \(cause.message)",
        hint:
            "\(cause.hint) Then ask the hub's operator to revoke \(enrolled.origin) (`tre-hub nodes revoke`) and for a new code."
    )
}

/// How a node or lower hub authenticates each HTTP request to its hub: HMAC-SHA256, with the
/// key given at enrolment, over the method, the path with its query, the sender's time, a
/// one-time nonce and the body's SHA-256.
public enum RequestSignature {
    public static let originHeader = "Tre-Origin"
    public static let timeHeader = "Tre-Time"
    public static let nonceHeader = "Tre-Nonce"
    public static let signatureHeader = "Tre-Signature"
    /// Every hub answer carries its own clock, so callers can tell how far off theirs is.
    public static let hubTimeHeader = "Tre-Hub-Time"
    /// The epoch of the hub's log as this caller sees it (see `HubService.pullEpoch`).
    public static let logEpochHeader = "Tre-Log-Epoch"
    /// On a pull: the position the hub acknowledged for the caller's pushes, `EPOCH:POSITION`,
    /// so a caller whose hub was restored learns that it must send again what the hub lost.
    public static let acknowledgedHeader = "Tre-Acknowledged"
    /// The hub's signature of its answer to an authenticated request.
    public static let responseSignatureHeader = "Tre-Response-Signature"
    /// How far a request's time may be from the hub's: beyond it, the request is refused with
    /// the hub's time, and the caller signs again with its clock corrected.
    public static let maximumSkewMillis: UInt64 = 24 * 3600 * 1000

    public static func message(method: String, pathAndQuery: String, timeMillis: UInt64, nonce: String, body: [UInt8])
        -> [UInt8]
    {
        Array("TRE1\n\(method)\n\(pathAndQuery)\n\(timeMillis)\n\(nonce)\n\(sha256Hex(body))".utf8)
    }

    /// The headers to send.
    public static func headers(
        origin: OriginID, key: PeerKey, method: String, pathAndQuery: String, timeMillis: UInt64, body: [UInt8]
    ) -> [String: String] {
        var generator = SystemRandomNumberGenerator()
        let nonce = UUID128(high: generator.next(), low: generator.next()).description
        let code = key.authenticate(
            message(method: method, pathAndQuery: pathAndQuery, timeMillis: timeMillis, nonce: nonce, body: body))
        return [
            originHeader: origin.description, timeHeader: String(timeMillis), nonceHeader: nonce,
            signatureHeader: code.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(),
        ]
    }

    /// What a hub signs in its answer to an authenticated request: the request's nonce (so an
    /// answer cannot be replayed to another request), the status, the hub's time, the log
    /// epoch, the acknowledged position and the body. A node trusts an acknowledgement, a clock or an epoch only when
    /// this verifies with its key.
    public static func responseMessage(
        nonce: String, status: Int, hubTime: String, epoch: String, acknowledged: String, body: [UInt8]
    ) -> [UInt8] {
        Array(
            "TRE1-RESPONSE\n\(nonce)\n\(status)\n\(hubTime)\n\(epoch)\n\(acknowledged)\n\(sha256Hex(body))".utf8)
    }

    public static func signResponse(
        key: PeerKey, nonce: String, status: Int, hubTime: String, epoch: String, acknowledged: String, body: [UInt8]
    ) -> String {
        hex(
            key.authenticate(
                responseMessage(
                    nonce: nonce, status: status, hubTime: hubTime, epoch: epoch, acknowledged: acknowledged,
                    body: body)))
    }

    public static func verifyResponse(
        key: PeerKey, signature: String, nonce: String, status: Int, hubTime: String, epoch: String,
        acknowledged: String, body: [UInt8]
    ) -> Bool {
        guard let code = PeerKey(hex: signature)?.bytes else { return false }
        return key.verify(
            code,
            for: responseMessage(
                nonce: nonce, status: status, hubTime: hubTime, epoch: epoch, acknowledged: acknowledged, body: body))
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

    public enum Failure: Error, Hashable, Sendable {
        case missingHeaders
        case unknownOrigin
        case badSignature
        case clockSkew(millis: Int64)
        case replayed
    }

    /// Checks a request's headers. `key` finds an enrolled peer's key; `seen` records a nonce
    /// and answers false if it was already used.
    public static func verify(
        headers: (String) -> String?, method: String, pathAndQuery: String, body: [UInt8], nowMillis: UInt64,
        key: (OriginID) -> PeerKey?, seen: (String) -> Bool
    ) -> Result<OriginID, Failure> {
        guard let originText = headers(originHeader), let timeText = headers(timeHeader),
            let nonce = headers(nonceHeader), let signatureText = headers(signatureHeader)
        else { return .failure(.missingHeaders) }
        guard let origin = OriginID(string: originText), let time = UInt64(timeText),
            let signature = PeerKey(hex: signatureText)?.bytes, nonce.utf8.count <= 64
        else { return .failure(.badSignature) }
        guard let peerKey = key(origin) else { return .failure(.unknownOrigin) }
        let expected = message(method: method, pathAndQuery: pathAndQuery, timeMillis: time, nonce: nonce, body: body)
        guard peerKey.verify(signature, for: expected) else { return .failure(.badSignature) }
        let skew = Int64(bitPattern: time &- nowMillis)
        guard skew.magnitude <= maximumSkewMillis else { return .failure(.clockSkew(millis: skew)) }
        guard seen(nonce) else { return .failure(.replayed) }
        return .success(origin)
    }
}

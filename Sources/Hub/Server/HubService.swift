import Foundation
import SyncCore

/// A refusal the hub answers: HTTP status and the JSON `{error, message, hint}`. Never carries
/// a record's values.
struct HubRefusal: Error, CustomStringConvertible {
    let statusCode: Int
    let code: String
    let message: String
    let hint: String
    var extra: [String: String] = [:]
    /// Numbers the client reads as numbers (a position), never as strings.
    var numbers: [String: UInt64] = [:]

    var description: String { "\(statusCode) \(code): \(message)" }

    var json: [UInt8] { jsonBytes(self) }
}

extension HubRefusal: Encodable {
    struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in extra { try container.encode(value, forKey: Key(stringValue: name)) }
        for (name, value) in numbers { try container.encode(value, forKey: Key(stringValue: name)) }
        try container.encode(code, forKey: Key(stringValue: "error"))
        try container.encode(message, forKey: Key(stringValue: "message"))
        try container.encode(hint, forKey: Key(stringValue: "hint"))
    }
}

func jsonBytes(_ value: some Encodable) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return [UInt8]((try? encoder.encode(value)) ?? Data("{}".utf8))
}

/// The hub's protocol, independent of HTTP: authentication, enrolment, push, pull, status.
/// The Hummingbird router only carries bytes in and out of it, so it is tested in-process.
final class HubService: Sendable {
    let store: HubStore
    let limits: WireLimits
    /// The preset dictionary pulls are compressed with and pushes may use.
    let dictionary: WireDictionary?
    /// The hub's log: one logfmt line per message (`LogLine`), never a record's value.
    let log: @Sendable (String) -> Void
    /// The counters `/metrics` shows.
    let metrics: HubMetrics
    /// Faults planted for the mutation check of the sync convergence test; `.none` otherwise.
    let faults: PlantedFaults

    var replica: Replica { store.replica }

    /// How far ahead of this hub's clock a change may be stamped (`serve --max-clock-ahead`).
    let maximumFutureMillis: UInt64
    /// How many refused changes of one peer may wait set aside: past it, its pushes are refused
    /// until an operator has reviewed them, so a tampered node cannot fill the hub's disk with
    /// changes it knows will be refused.
    let maximumSetAsidePerPeer: Int

    init(
        store: HubStore, dictionary: WireDictionary?, limits: WireLimits = .standard,
        maximumFutureMillis: UInt64 = Authorization.defaultMaximumFutureMillis, maximumSetAsidePerPeer: Int = 10_000,
        faults: PlantedFaults = .none, metrics: HubMetrics = HubMetrics(),
        log: @escaping @Sendable (String) -> Void
    ) {
        self.metrics = metrics
        self.store = store
        self.dictionary = dictionary
        self.limits = limits
        self.maximumFutureMillis = maximumFutureMillis
        self.maximumSetAsidePerPeer = maximumSetAsidePerPeer
        self.faults = faults
        self.log = log
    }

    var nowMillis: UInt64 { replica.time.nowMillis() }

    // MARK: Authentication

    /// `verified` learns the peer as soon as its signature verifies, before it may be refused
    /// (revoked, replayed): the refusal's log line names it.
    func authenticate(
        method: String, pathAndQuery: String, header: (String) -> String?, body: [UInt8],
        verified: (HubStore.Peer) -> Void = { _ in }
    ) throws -> HubStore.Peer {
        var found: HubStore.Peer?
        var lookupError: (any Error)?
        let now = nowMillis
        let result = RequestSignature.verify(
            headers: header, method: method, pathAndQuery: pathAndQuery, body: body, nowMillis: now,
            key: { origin in
                do {
                    found = try self.store.peer(origin)
                } catch {
                    lookupError = error
                }
                return found?.key
            }, seen: { _ in true })
        if let lookupError { throw lookupError }
        switch result {
        case .success:
            let peer = found!
            verified(peer)
            // Checked after the signature, so only the key's holder learns that it was revoked.
            if let revokedAt = peer.revokedAt {
                throw Self.revokedRefusal(peer, at: revokedAt)
            }
            // The nonce is kept in the hub's database, so a captured request cannot be
            // replayed after a restart either.
            if try store.admit(nonce: header(RequestSignature.nonceHeader) ?? "", from: peer.origin, now: now) {
                return peer
            }
            throw HubRefusal(
                statusCode: 401, code: "replayed", message: "this request was already received",
                hint: "Send a new request; a replay is refused.")
        case .failure(let failure):
            let refusal: HubRefusal
            switch failure {
            case .missingHeaders:
                refusal = HubRefusal(
                    statusCode: 401, code: "unauthenticated", message: "the request carries no Tre signature",
                    hint: "Enrol this replica (init --hub URL --enrolment CODE) and sync with tre-node or tre-hub.")
            case .unknownOrigin:
                refusal = HubRefusal(
                    statusCode: 401, code: "unknown_origin", message: "this replica is not enrolled at this hub",
                    hint:
                        "Check that this is your hub's address (a node moved to a new one: `tre-node config set-hub URL`); "
                        + "if it is, ask the hub for an enrolment code and run init again.")
            case .badSignature:
                refusal = HubRefusal(
                    statusCode: 401, code: "bad_signature", message: "the request signature does not verify",
                    hint: "The key does not match this hub's record of it; enrol again if it was lost.")
            case .clockSkew(let millis):
                refusal = HubRefusal(
                    statusCode: 401, code: "clock_skew",
                    message: "the request's clock is \(millis / 60_000) minutes off the hub's",
                    hint: "Set this machine's clock; the client retries with the hub's time meanwhile.")
            case .replayed:
                refusal = HubRefusal(
                    statusCode: 401, code: "replayed", message: "this request was already received",
                    hint: "Send a new request; a replay is refused.")
            }
            throw refusal
        }
    }

    /// What a revoked peer is answered on every signed route.
    static func revokedRefusal(_ peer: HubStore.Peer, at revokedAt: UInt64) -> HubRefusal {
        let again =
            peer.kind == HubStore.Kind.hub.rawValue
            ? "`tre-hub init --db NEW.sqlite --upstream URL --enrolment CODE`"
            : "`tre-node init --dir NEW_FOLDER --hub URL --enrolment CODE`"
        return HubRefusal(
            statusCode: 401, code: "revoked",
            message: "this replica's enrolment (origin \(peer.origin)) was revoked at the hub",
            hint:
                "Enrol again with a new code from the hub's operator: \(again). "
                + "A revoked key is refused by link and by file alike: changes this replica never synced must be "
                + "entered again on the new one (`tre-node status` counts them).",
            extra: ["revoked_at": String(revokedAt)])
    }

    // MARK: Enrolment

    /// The fields an enrolment request may carry. The hub assigns the origin: a request that
    /// still sends one (an older client, which would then use another identity than the one
    /// stored) is refused and its code stays unused.
    static let enrolFields: Set<String> = ["code", "kind", "name", "unit"]
    static let maximumNameLength = 100

    func enrol(body: [UInt8]) throws -> [UInt8] {
        func bad(_ code: String, _ message: String, _ hint: String) -> HubRefusal {
            HubRefusal(statusCode: 400, code: code, message: message, hint: hint)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw bad(
                "bad_request", "the enrolment body is not a JSON object {code, kind, name, unit}",
                "Use `tre-node init --hub URL --enrolment CODE`.")
        }
        if object["origin"] != nil {
            throw bad(
                "origin_not_accepted", "the hub assigns the origin; this request chose its own",
                "Upgrade the program that enrols (tre-node or tre-hub); the code was not used.")
        }
        if let unknown = object.keys.sorted().first(where: { !Self.enrolFields.contains($0) }) {
            throw bad(
                "bad_request", "the enrolment body has an unknown field \"\(unknown.prefix(64))\"",
                "Send only code, kind, name and unit.")
        }
        guard let code = object["code"] as? String, code.unicodeScalars.count <= 64 else {
            throw bad("bad_request", "code must be the one-time code (text)", "Send the code `tre-hub enroll` printed.")
        }
        guard let kindText = object["kind"] as? String, let kind = HubStore.Kind(rawValue: kindText) else {
            throw bad("bad_kind", "kind must be node or hub", "Send kind node or hub.")
        }
        let name = object["name"] ?? ""
        guard let name = name as? String, name.unicodeScalars.count <= Self.maximumNameLength,
            terminalUnsafeCharacter(in: name) == nil
        else {
            throw bad(
                "bad_name",
                "name must be text of at most \(Self.maximumNameLength) characters, without control, "
                    + "bidirectional, zero-width or line-separator characters",
                "Give a short name for this replica, in plain letters, digits and spaces.")
        }
        let unit = object["unit"]
        guard unit == nil || (unit as? String).map({ (1...32).contains($0.unicodeScalars.count) }) == true else {
            throw bad(
                "bad_unit", "unit must be a unit code", "Send the unit code the enrolment is for, or leave it out.")
        }
        switch try store.enrol(code: code, kind: kind, name: name, expectedUnit: unit as? String, now: nowMillis) {
        case .success(let peer):
            let unitName = try store.unit(peer.unit)?.name ?? ""
            log(
                LogLine("enrol").with("node", peer.origin.description).with("unit", peer.unit)
                    .with("kind", kind.rawValue).with("outcome", "ok").description)
            return jsonBytes([
                "origin": peer.origin.description, "unit": peer.unit, "unit_name": unitName, "key": peer.key.hex,
                "hub_origin": replica.origin.description, "hub_unit": replica.unit,
            ])
        case .failure(let failure):
            throw Self.refusal(for: failure, kind: kind)
        }
    }

    static func refusal(for failure: HubStore.EnrolmentFailure, kind: HubStore.Kind) -> HubRefusal {
        let newCode = "Ask the hub's operator for a new code (`tre-hub enroll --unit UNIT`)."
        switch failure {
        case .unknownCode:
            return HubRefusal(
                statusCode: 401, code: "unknown_code", message: "this enrolment code is not known here", hint: newCode)
        case .usedCode:
            return HubRefusal(
                statusCode: 401, code: "used_code", message: "this enrolment code was already used", hint: newCode)
        case .expiredCode:
            return HubRefusal(
                statusCode: 401, code: "expired_code", message: "this enrolment code has expired", hint: newCode)
        case .revokedCode:
            return HubRefusal(
                statusCode: 401, code: "revoked_code", message: "this enrolment code was revoked", hint: newCode)
        case .wrongKind(let codeKind):
            let use =
                codeKind == HubStore.Kind.hub.rawValue
                ? "`tre-hub init --upstream URL --enrolment CODE`" : "`tre-node init --hub URL --enrolment CODE`"
            return HubRefusal(
                statusCode: 403, code: "wrong_kind",
                message: "this enrolment code is for a \(codeKind), not a \(kind.rawValue)",
                hint:
                    "The code was not used: enrol a \(codeKind) with it (\(use)), or ask the hub's operator for a "
                    + "code of kind \(kind.rawValue) (`tre-hub enroll --unit UNIT --kind \(kind.rawValue)`).")
        case .wrongUnit(let codeUnit):
            return HubRefusal(
                statusCode: 403, code: "wrong_unit", message: "this enrolment code is for unit \(codeUnit)",
                hint:
                    "The code was not used: leave out --unit to enrol for \(codeUnit), or ask for a code for your unit."
            )
        }
    }

    // MARK: Push

    struct Gap: Error {
        let expected: UInt64
    }

    static func positionSetting(_ peer: OriginID) -> String { "peer.\(peer).pushed" }

    /// The epoch of the peer's log its last push named ("" before any).
    func pushEpoch(of peer: HubStore.Peer) throws -> String {
        try replica.setting(Self.positionSetting(peer.origin)).flatMap(AcknowledgedPosition.init)?.epoch ?? ""
    }

    /// Applies a push from `peer`. `definition` is the version of the domain definition the
    /// peer declared on this request (`definition=N`; 1 when a request of an earlier release
    /// declares none), kept as its latest in the same transaction; nil for a change file, which
    /// declares none: it is judged by the version the peer last declared.
    func push(peer: HubStore.Peer, body: [UInt8], epoch: String = "", definition: Int? = nil) throws -> [UInt8] {
        jsonBytes(try pushAnswer(peer: peer, body: body, epoch: epoch, definition: definition).answer)
    }

    /// `push`, with the number of changes the set carried, for the sync's log line.
    func pushAnswer(peer: HubStore.Peer, body: [UInt8], epoch: String = "", definition: Int? = nil) throws -> (
        answer: PushAnswer, received: Int
    ) {
        guard epoch.utf8.count <= 64, epoch.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: ":") })
        else {
            throw HubRefusal(
                statusCode: 400, code: "bad_epoch", message: "the epoch must be up to 64 printable characters",
                hint: "Send the epoch your replica keeps (the client does this itself).")
        }
        let set: ChangeSet
        // A store that fails while records named by reference are looked up: its error, not
        // "unknown reference" (the peer would resend for nothing).
        var lookupFailure: (any Error)?
        do {
            set = try ChangeSet.decode(
                body, expecting: .push, from: peer.origin, limits: limits, dictionaries: dictionary.map { [$0] } ?? [],
                resolve: { dots in
                    do {
                        return try self.replica.storage.read { try $0.recordKeys(for: dots) }
                    } catch {
                        lookupFailure = error
                        return [:]
                    }
                },
                key: { origin in origin == peer.origin ? peer.key : nil })
        } catch {
            if let lookupFailure { throw lookupFailure }
            throw Self.refusal(for: error)
        }
        guard set.from <= set.to, set.to <= Change.maximumCounter else {
            throw HubRefusal(
                statusCode: 400, code: "bad_positions",
                message: "the set covers positions \(set.from)…\(set.to), which is not a range of a log",
                hint: "The sender broke Tre's rules; nothing of this set was applied.")
        }
        let waiting = try store.setAsideCount(from: peer.origin)
        guard waiting < maximumSetAsidePerPeer else {
            throw HubRefusal(
                statusCode: 429, code: "too_many_set_aside",
                message: "\(waiting) changes of this replica wait set aside at the hub for review",
                hint: "The hub's operator reviews them (`tre-hub set-aside`) before this replica can push again; "
                    + "nothing of this set was applied, and nothing is lost.")
        }
        let gate = try store.gate(
            for: peer, declaring: definition, now: nowMillis, maximumFutureMillis: maximumFutureMillis)
        var acknowledged: UInt64 = 0
        do {
            let acknowledge = { (access: any StorageAccess) throws in
                // A stored value that does not read (a damaged file) must not stop the peer:
                // start again from 0 (duplicates are harmless).
                let position =
                    try access.setting(Self.positionSetting(peer.origin)).flatMap(AcknowledgedPosition.init)?
                    .position(for: epoch) ?? 0
                guard set.from <= position else { throw Gap(expected: position) }
                acknowledged = max(position, set.to)
                try access.setSetting(
                    Self.positionSetting(peer.origin), AcknowledgedPosition(epoch: epoch, position: acknowledged).text)
                if let definition {
                    try HubStore.recordDefinition(definition, of: peer.origin, in: access)
                }
            }
            let report: Replica.ApplyReport
            if faults.acknowledgeBeforeApply {
                // The planted fault: the position is saved on its own, and an apply that fails
                // (the hub crashing) is answered as if there had been nothing to apply.
                try replica.storage.write(acknowledge)
                report = try (try? replica.apply(set.changes, via: peer.origin, gate: gate)) ?? replica.apply([])
            } else {
                report = try replica.apply(
                    set.changes, via: peer.origin, gate: faults.acceptEverything ? nil : gate, alongside: acknowledge)
            }
            metrics.merged(report.applied, from: "peer")
            for refusal in report.refused {
                metrics.refused(refusal.kind.rawValue, level: .change)
                log(
                    LogLine("set_aside").with("node", peer.origin.description).with("unit", peer.unit)
                        .with("reason", refusal.kind.rawValue).with("dot", refusal.dot.description)
                        .with("collection", refusal.record.collection).with("record", refusal.record.id.description)
                        .description)
            }
            let answer = PushAnswer(
                acknowledged: acknowledged, applied: report.applied, duplicates: report.duplicates,
                parked: report.parked, setAside: report.refused.map(PushAnswer.SetAside.init))
            return (answer, set.changes.count)
        } catch let gap as Gap {
            throw HubRefusal(
                statusCode: 409, code: "gap",
                message: "this set starts after \(set.from); the hub has up to \(gap.expected)",
                hint: "Resend from the expected position (the client does this itself).",
                numbers: ["expected": gap.expected])
        } catch let invalid as ChangeError {
            throw HubRefusal(
                statusCode: 422, code: "invalid_change", message: invalid.description,
                hint: "The sender broke Tre's rules; nothing of this set was applied.")
        }
    }

    static func refusal(for error: WireError) -> HubRefusal {
        let status: Int =
            switch error {
            case .tooLarge, .decompressionBomb: 413
            case .badSignature, .unknownSender, .wrongSender: 401
            case .unknownReference: 422
            default: 400
            }
        let hint =
            switch error {
            case .tooLarge, .decompressionBomb: "Send smaller sets."
            case .unsupportedVersion(let version) where version < ChangeSet.formatVersion:
                "The sender runs an older Tre, which sends change sets unsealed: upgrade it; nothing was applied."
            case .unknownDictionary, .unsupportedVersion:
                "The sender runs a newer Tre than this hub: upgrade the hub; nothing was applied."
            case .unknownReference:
                "Nothing was applied: the sender sends the set again naming every record by its id (the client does "
                    + "this itself). A hub restored from a backup, or upgraded from 0.5, answers this once per node."
            default: "The set was damaged or forged; nothing was applied."
            }
        return HubRefusal(statusCode: status, code: error.code, message: error.description, hint: hint)
    }

    // MARK: Pull

    /// The epoch of this hub's log as `units` see it: it changes when the hub is restored from
    /// a backup (its log's positions are reused) and when the caller's scope changes (units
    /// re-parented: records it never received are now its own). A caller that presents
    /// another epoch is served from the start of the log, which brings it everything.
    func pullEpoch(units: Set<String>) throws -> String {
        String(sha256Hex(Array("\(try store.logEpoch())\n\(units.sorted().joined(separator: ","))".utf8)).prefix(32))
    }

    /// A page of the log for `peer`: its scope, without what came from it (unless `own`: a
    /// replica restored from a backup asks for its own changes back too).
    /// `definition`: the version of the domain definition the peer declared on this request,
    /// kept as its latest (nil: none declared, as for a change file).
    /// `mark`: the `logMark` this hub gave with the page that ended at `after`. A position past
    /// the log's end, or held by another change than the one the mark names, means the log went
    /// back in time (a database or a file restored without `tre-hub restored`): served from `after`,
    /// the caller would skip for good what the log now numbers there. It is served from the start
    /// instead (what it holds comes again as duplicates), and the operator is told. A caller that
    /// lies only makes its own pull longer: nothing else changes.
    func pull(
        peer: HubStore.Peer, after: UInt64, maxBytes: Int, epoch: String? = nil, mark: String? = nil,
        own: Bool = false, definition: Int? = nil
    ) throws -> (bytes: [UInt8], epoch: String, mark: String, changes: Int) {
        if let definition, try store.declaredDefinition(of: peer.origin) != definition {
            try replica.storage.write { try HubStore.recordDefinition(definition, of: peer.origin, in: $0) }
        }
        let units = try store.subtree(of: peer.unit)
        let current = try pullEpoch(units: units)
        var start = epoch.map { $0 == current } ?? true ? after : 0
        if start > 0, let lost = try positionLost(after, mark: mark) {
            start = 0
            metrics.pullRestarted(lost.reason)
            log(
                LogLine("pull_from_start").with("node", peer.origin.description).with("unit", peer.unit)
                    .with("reason", lost.reason).with("position", String(after)).with("log_end", String(lost.end))
                    .with(
                        "hint",
                        "the log no longer holds what this node pulled: if this hub's database or file was restored, "
                            + "stop every serve and run `tre-hub restored` (PostgreSQL) before serving on"
                    ).description)
        }
        let page = try replica.outgoingPage(
            after: start, filter: LogFilter(units: units, excludingVia: own ? nil : peer.origin), maxEntries: 20_000,
            maxBytes: min(max(maxBytes, 1024), 4 << 20), faults: faults)
        let set = ChangeSet(
            kind: .pull, sender: replica.origin, from: start, to: page.through, hasMore: page.hasMore,
            changes: page.entries.map(\.change))
        metrics.sentChanges(page.entries.count, to: "peer")
        return (
            set.encode(key: peer.key, dictionary: dictionary), current, try logMark(at: page.through) ?? "",
            page.entries.count
        )
    }

    /// Whether position `after` of a caller's pull is no longer what it was: past the log's end,
    /// or (given the mark of the change that held it) held by another change. Nil: it is in place.
    func positionLost(_ after: UInt64, mark: String?) throws -> (reason: String, end: UInt64)? {
        let end = try replica.lastSequence()
        if after > end { return ("beyond_log", end) }
        guard let mark, !mark.isEmpty else { return nil }
        return try logMark(at: after) == mark ? nil : ("other_entry", end)
    }

    /// A short name for the change at `sequence` of the log (nil: none there, or 0): which change
    /// a node's pull position stands on, so the hub can tell when another one stands there.
    func logMark(at sequence: UInt64) throws -> String? {
        guard sequence > 0 else { return nil }
        let page = try replica.storage.read { access in
            try access.logPage(after: sequence - 1, filter: .all, maxEntries: 1, maxBytes: .max)
        }
        guard let entry = page.entries.first, entry.sequence == sequence else { return nil }
        return String(sha256Hex(Array("\(entry.change.dot.origin)/\(entry.change.dot.counter)".utf8)).prefix(16))
    }

    // MARK: Status

    func status(peer: HubStore.Peer) throws -> [UInt8] {
        let meta = try replica.meta()
        let counts = try replica.counts()
        return jsonBytes([
            "hub_origin": meta.origin.description, "hub_unit": meta.unit, "hub_name": meta.name,
            "hub_time_ms": String(nowMillis),
            "acknowledged": try replica.setting(Self.positionSetting(peer.origin)) ?? "",
            "log_length": String(counts.lastSequence), "unit": peer.unit,
        ])
    }
}

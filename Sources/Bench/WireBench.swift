import ArgumentParser
import Domain
import Foundation
import SyncCore

/// Bytes on the wire for one commune's night, against the JSON that would otherwise be sent.
struct WireBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire", abstract: "Bytes per change of a commune's WORKLOAD night: change sets against JSON.")

    @Option(help: "Children in the commune.") var children = 2_500
    @Option(help: "Communes to average over.") var communes = 5
    @Option(help: "Seed of the generated data.") var seed: UInt64 = 1

    func run() throws {
        var changes = 0
        var wire = 0
        var byId = 0
        var childChanges = 0
        var childWire = 0
        var withoutChildren = 0
        // Where the bytes go: the same set with one part taken out, each against the set itself.
        var noFreeText = 0
        var plainIds = 0
        var framing = 0
        var referenced = 0
        var json = 0
        var jsonZlib = 0
        var plainZlib = 0
        var withoutCasework = 0
        // The same vocabulary without its casework words: what names and the schema alone give.
        let namesAndSchema = WireDictionary(
            Array((WireVocabulary.places + " " + WireVocabulary.names + " " + WireVocabulary.schema).utf8))
        let key = PeerKey.random()
        for index in 0..<communes {
            let night = try CommuneNight.make(
                unit: "44\(String(format: "%03d", index + 1))",
                origin: OriginID(UUID128(high: 0x0190_0000_0000_7000, low: UInt64(index + 1))),
                children: children, seed: seed &+ UInt64(index))
            let set = ChangeSet(
                kind: .push, sender: night.origin, from: UInt64(night.initial.count),
                to: UInt64(night.initial.count + night.night.count), changes: night.night)
            changes += night.night.count
            // As a hub of this release receives it: records it holds named by reference (the
            // commune's own changes before the night, all pushed on the first load).
            let encoded = set.encode(key: key, dictionary: WireVocabulary.dictionary, referencing: RecordReferences())
            wire += encoded.count
            referenced += try Self.referencedCount(encoded, night: night, key: key)
            byId += set.encode(key: key, dictionary: WireVocabulary.dictionary).count
            var children = set
            children.changes = set.changes.filter { $0.collection == "children" }
            childChanges += children.changes.count
            childWire +=
                children.encode(key: key, dictionary: WireVocabulary.dictionary, referencing: RecordReferences())
                .count
            var silent = set
            silent.changes = set.changes.map { change in
                var change = change
                change.set = change.set.mapValues { value in
                    guard case .string(let text) = value, text.count > 20 else { return value }
                    return .string("")
                }
                return change
            }
            noFreeText +=
                silent.encode(key: key, dictionary: WireVocabulary.dictionary, referencing: RecordReferences())
                .count
            var numbered = set
            var numbers: [RecordID: RecordID] = [:]
            numbered.changes = set.changes.map { change in
                var change = change
                if numbers[change.record] == nil {
                    numbers[change.record] = RecordID(UUID128(high: 0, low: UInt64(numbers.count + 1)))
                }
                change.record = numbers[change.record]!
                return change
            }
            plainIds +=
                numbered.encode(key: key, dictionary: WireVocabulary.dictionary, referencing: RecordReferences()).count
            var empty = set
            empty.changes = []
            framing +=
                empty.encode(key: key, dictionary: WireVocabulary.dictionary, referencing: RecordReferences()).count
            var others = set
            others.changes = set.changes.filter { $0.collection != "children" }
            withoutChildren +=
                others.encode(key: key, dictionary: WireVocabulary.dictionary, referencing: RecordReferences()).count
            plainZlib += set.encode(key: key).count
            withoutCasework += set.encode(key: key, dictionary: namesAndSchema).count
            let plain = jsonEncoding(night.night)
            json += plain.count
            jsonZlib += Zlib.compress(plain).count
        }
        printJSONObject([
            "benchmark": "wire", "communes": communes, "children_per_commune": children, "seed": seed,
            "night_changes_per_commune": changes / communes,
            "wire_bytes_per_change": (Double(wire) / Double(changes) * 10).rounded() / 10,
            "records_named_by_reference": referenced,
            "by_id_bytes_per_change": (Double(byId) / Double(changes) * 10).rounded() / 10,
            "child_changes_per_commune": childChanges / communes,
            // A set of the child changes alone (its framing shared by them only), and what the
            // child changes add to the night's set (the set without them as the reference).
            "child_changes_alone_bytes_per_change": (Double(childWire) / Double(childChanges) * 10).rounded() / 10,
            "child_changes_in_the_night_bytes_per_change":
                (Double(wire - withoutChildren) / Double(childChanges) * 10).rounded() / 10,
            "without_dictionary_bytes_per_change": (Double(plainZlib) / Double(changes) * 10).rounded() / 10,
            "dictionary_without_casework_words_bytes_per_change":
                (Double(withoutCasework) / Double(changes) * 10).rounded() / 10,
            "json_bytes_per_change": (Double(json) / Double(changes) * 10).rounded() / 10,
            // Texts over 20 characters (notes, plans, addresses) made empty; the ids still sent
            // (new records') made 1, 2, 3…: what each costs a change of the night.
            "free_text_bytes_per_change": (Double(wire - noFreeText) / Double(changes) * 10).rounded() / 10,
            "ids_sent_bytes_per_change": (Double(wire - plainIds) / Double(changes) * 10).rounded() / 10,
            // An empty set with the night's positions: the header (magic, version, kind, flags,
            // sender, positions, lengths), the nonce, the tag and zlib's own bytes, once a night.
            "framing_bytes_per_change": (Double(framing) / Double(changes) * 10).rounded() / 10,
            "json_zlib_bytes_per_change": (Double(jsonZlib) / Double(changes) * 10).rounded() / 10,
            "night_push_bytes_per_commune": wire / communes,
        ])
    }

    /// Decodes the push as a hub would, the commune's earlier changes standing for its log, and
    /// checks it gives back the night exactly: how many records it named by the
    /// dot of a change before the set (looked up at the hub).
    static func referencedCount(_ bytes: [UInt8], night: CommuneNight, key: PeerKey) throws -> Int {
        let logged = Dictionary(
            night.initial.map { ($0.dot, $0.key) }, uniquingKeysWith: { first, _ in first })
        var asked = 0
        let decoded = try ChangeSet.decode(
            bytes, expecting: .push, dictionaries: [WireVocabulary.dictionary],
            resolve: { dots in
                asked += dots.count
                return logged.filter { dots.contains($0.key) }
            }, key: { _ in key })
        guard decoded.changes == night.night else {
            throw ValidationError("the set named by reference does not decode to the night")
        }
        return asked
    }
}

import ArgumentParser
import Foundation
import SyncClient
import SyncCore

/// A refusal a command reports: what is wrong, what to do, and the exit code scripts test.
public struct CommandFailure: Error, CustomStringConvertible {
    public let code: String
    public let message: String
    public let hint: String
    public let exitCode: Int32

    public init(code: String, message: String, hint: String, exitCode: Int32 = 1) {
        self.code = code
        self.message = message
        self.hint = hint
        self.exitCode = exitCode
    }

    public var description: String { message }

    /// Turns the engine's errors into what a person can act on.
    public init(_ error: any Error) {
        switch error {
        case let failure as CommandFailure:
            self = failure
        case let error as StoreError:
            self.init(code: "store_\(error.kind.rawValue)", message: error.description, hint: error.hint)
        case let error as EditError:
            self.init(code: "edit_\(error.kind.rawValue)", message: error.description, hint: error.hint)
        case let error as ChangeError:
            self.init(
                code: "invalid_change", message: error.description,
                hint: "The change was made by a program that breaks Tre's rules; nothing was applied.")
        case let error as SyncFailure:
            self.init(code: "sync_failed", message: error.description, hint: error.hint, exitCode: error.exitCode)
        case let error as WireError:
            self.init(
                code: error.code, message: error.description,
                hint: "The input is damaged, forged or not for this replica; nothing was applied.")
        case let error as FormatError:
            self.init(
                code: "malformed_input", message: error.description,
                hint: "The input is damaged or not what this command reads; nothing was applied.")
        default:
            self.init(code: "internal", message: "\(error)", hint: "Report this message; nothing was applied.")
        }
    }
}

/// Runs a command's work, printing any failure (as JSON too when asked) and exiting with its
/// code instead of ArgumentParser's generic message.
public func reporting<T>(json: Bool, _ work: () throws -> T) throws -> T {
    do {
        return try work()
    } catch {
        throw report(error, json: json)
    }
}

/// `reporting` for asynchronous work.
public func reporting<T>(json: Bool, _ work: () async throws -> T) async throws -> T {
    do {
        return try await work()
    } catch {
        throw report(error, json: json)
    }
}

func report(_ error: any Error, json: Bool) -> any Error {
    if let exit = error as? ExitCode { return exit }
    let failure = CommandFailure(error)
    if json {
        printJSON(["error": failure.code, "message": failure.message, "hint": failure.hint])
    }
    FileHandle.standardError.write(Data("error: \(failure.message)\nhint: \(failure.hint)\n".utf8))
    return ExitCode(failure.exitCode)
}

/// One JSON document on stdout, keys sorted.
public func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data("null".utf8)
    print(String(decoding: data, as: UTF8.self))
}

/// A record as commands print it.
struct RecordView: Encodable {
    struct Value: Encodable {
        let value: FieldValue
        let origin: String
        let counter: UInt64
        let stamp: String
    }

    struct Conflict: Encodable {
        let field: String
        let kind: String
        let shown: FieldValue
        let values: [Value]
        let editedFields: [String]

        enum CodingKeys: String, CodingKey {
            case field, kind, shown, values
            case editedFields = "edited_fields"
        }
    }

    let collection: String
    let id: String
    let unit: String?
    let deleted: Bool
    let fields: [String: FieldValue]
    let conflicts: [Conflict]

    init(key: RecordKey, state: RecordState) {
        collection = key.collection
        id = key.id.description
        unit = state.unit
        deleted = state.isDeleted
        fields = state.shownFields
        conflicts = state.conflicts.map(Conflict.init)
    }

    var text: String {
        var lines = ["\(collection) \(id)  unit \(unit ?? "?")" + (deleted ? "  (deleted)" : "")]
        for name in fields.keys.sorted() {
            lines.append("  \(name): \(Self.show(fields[name]!))")
        }
        for conflict in conflicts { lines.append("  " + conflict.text) }
        return lines.joined(separator: "\n")
    }

    static func show(_ value: FieldValue) -> String {
        if case .string(let text) = value { return text }
        return value.json
    }
}

extension RecordView.Value {
    init(_ entry: FieldEntry) {
        value = entry.value
        origin = entry.dot.origin.description
        counter = entry.dot.counter
        stamp = entry.stamp.description
    }
}

extension RecordView.Conflict {
    init(_ conflict: FieldConflict) {
        field = conflict.field
        kind = conflict.kind.rawValue
        shown = conflict.winner.value
        values = conflict.entries.map(RecordView.Value.init)
        editedFields = conflict.editedFields
    }

    var text: String {
        switch kind {
        case FieldConflict.Kind.editedWhileDeleted.rawValue:
            "CONFLICT deleted while \(editedFields.joined(separator: ", ")) were edited elsewhere"
        default:
            "CONFLICT \(field): "
                + values.map { RecordView.show($0.value) + ($0.value == shown ? " (shown)" : "") }.joined(
                    separator: " | ")
        }
    }
}

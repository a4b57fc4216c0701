import Domain
import Foundation
import Logging

/// One line of the hub's log in logfmt: `event=sync dir=push node=… outcome=ok`, its keys in
/// the order given, so a script can split it on spaces and `=`. A value is written bare when it
/// is made of letters, digits and `-_.:/@`, else quoted with `"` and `\` escaped and control
/// characters as `\n`, `\t` or `\u{…}`: no value can start a second line or a forged key.
/// The hub's lines carry codes, numbers, origins and unit codes only, never a record's value
/// nor a name typed by a person.
struct LogLine: CustomStringConvertible {
    private(set) var fields: [(String, String)] = []

    init(_ event: String) { fields = [("event", event)] }

    func with(_ key: String, _ value: String) -> LogLine {
        var line = self
        line.fields.append((key, value))
        return line
    }

    func with(_ key: String, _ value: Int) -> LogLine { with(key, String(value)) }

    var description: String {
        fields.map { "\($0)=\(Self.quoted($1))" }.joined(separator: " ")
    }

    static func quoted(_ value: String) -> String {
        let bare =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                        || "-_.:/@".unicodeScalars.contains(scalar))
            }
        if bare { return value }
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                let category = scalar.properties.generalCategory
                if [.control, .format, .lineSeparator, .paragraphSeparator].contains(category) {
                    text += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }

    /// Parses a logfmt line back into its keys and values (tests, and anyone checking a log).
    static func parse(_ line: String) -> [String: String] {
        var result: [String: String] = [:]
        var scalars = Substring(line).unicodeScalars[...]
        func skipSpaces() { while scalars.first == " " { scalars.removeFirst() } }
        skipSpaces()
        while !scalars.isEmpty {
            var key = ""
            while let first = scalars.first, first != "=", first != " " {
                key.unicodeScalars.append(first)
                scalars.removeFirst()
            }
            guard scalars.first == "=" else {
                skipSpaces()
                continue
            }
            scalars.removeFirst()
            var value = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                while let first = scalars.first, first != "\"" {
                    scalars.removeFirst()
                    if first == "\\", let escaped = scalars.first {
                        scalars.removeFirst()
                        switch escaped {
                        case "n": value += "\n"
                        case "r": value += "\r"
                        case "t": value += "\t"
                        default: value.unicodeScalars.append(escaped)
                        }
                    } else {
                        value.unicodeScalars.append(first)
                    }
                }
                if !scalars.isEmpty { scalars.removeFirst() }
            } else {
                while let first = scalars.first, first != " " {
                    value.unicodeScalars.append(first)
                    scalars.removeFirst()
                }
            }
            result[key] = value
            skipSpaces()
        }
        return result
    }
}

/// swift-log's handler for `tre-hub serve`: one logfmt line per message on standard error,
/// `ts=2026-12-02T09:30:00.123Z level=info ` and then the hub's own fields (a message that is
/// a `LogLine`, starting `event=`) or `msg="…"` for the others (Hummingbird's), then the
/// message's metadata as more fields.
struct LogfmtLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "ts=\(Self.timestamp(Date())) level=\(event.level.rawValue) "
        let message = event.message.description
        line += message.hasPrefix("event=") ? message : "msg=\(LogLine.quoted(message))"
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for key in merged.keys.sorted() {
            line += " \(LogLine.quoted(key))=\(LogLine.quoted(merged[key]!.description))"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// UTC with milliseconds: log lines are read by machines and compared across zones.
    static func timestamp(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis / 1000
        let text = Instant.format(Date(timeIntervalSince1970: Double(seconds)))
        return String(text.dropLast()) + String(format: ".%03dZ", Int(millis % 1000))
    }
}

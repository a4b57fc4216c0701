import ArgumentParser
import Foundation
import ReplicaCommands
import SyncCore

/// `units import FILE.csv`: the administrative units the hub serves, so it knows which
/// communes are under it. The hierarchy is data: any depth, with or without districts; a
/// later import updates the units it names (name, level, parent: a commune re-parented under a
/// district an office adds) and adds the new ones. `units list` shows them.
struct UnitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "units", abstract: "Manage the administrative units this hub serves.",
        subcommands: [Import.self, List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the units this hub knows: code, name, level, parent; --under CODE for one unit's tree.")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Option(help: "Only this unit and the units below it (default: every unit).")
        var under: String?

        @Option(help: "Only units of this level (province, district, commune…).")
        var level: String?

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub()
                var units = try hub.units()
                if let under {
                    guard try hub.unit(under) != nil else {
                        throw CommandFailure(
                            code: "unknown_unit", message: "unit \(under) is not among this hub's units",
                            hint: "`tre-hub units list` shows them; import them with `tre-hub units import FILE.csv`.")
                    }
                    let tree = try hub.subtree(of: under)
                    units = units.filter { tree.contains($0.code) }
                }
                if let level { units = units.filter { $0.level == level } }
                if output.json {
                    printJSON(
                        units.map {
                            ["code": $0.code, "name": $0.name, "level": $0.level, "parent_code": $0.parentCode ?? ""]
                        })
                } else {
                    for unit in units {
                        print(
                            [unit.code, unit.level, unit.name, unit.parentCode.map { "(in \($0))" } ?? ""].map(
                                terminalSafe
                            ).joined(separator: "  "))
                    }
                    var levels: [String: Int] = [:]
                    for unit in units { levels[unit.level, default: 0] += 1 }
                    print(
                        terminalSafe(
                            levels.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")))
                }
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import units from a CSV file with columns code,name,level,parent_code (header first).")

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Argument(help: "The CSV file.")
        var file: String

        func run() throws {
            try reporting(json: output.json) {
                guard let data = FileManager.default.contents(atPath: file),
                    let text = String(data: data, encoding: .utf8)
                else {
                    throw CommandFailure(
                        code: "cannot_read", message: "cannot read \(file) as UTF-8 text", hint: "Check the path.")
                }
                let parsed = try Self.parse(text, file: file)
                let hub = try location.openHub(toWrite: "`units import`")
                try Self.checkHierarchy(parsed, hub: hub, file: file)
                let count = try hub.importUnits(parsed.units)
                let below = try hub.subtree(of: hub.replica.unit).count - 1
                if output.json {
                    printJSON(["imported": count, "units_below_this_hub": below])
                } else {
                    print("imported \(count) units; \(below) are under this hub (\(hub.replica.unit))")
                }
            }
        }

        /// The file's units in order, and the line each came from (for the errors).
        struct Parsed {
            var units: [HubStore.Unit] = []
            var lines: [String: Int] = [:]
        }

        /// Parses the CSV, refusing the whole file (naming the line) on the first bad row: nothing
        /// is imported unless every row is good.
        static func parse(_ text: String, file: String) throws -> Parsed {
            // A NUL would be cut by SQLite's text functions and by C programs reading the name:
            // refused wherever it is, never dropped.
            if let nul = text.firstIndex(of: "\u{0}") {
                let line = text[..<nul].filter { $0 == "\n" || $0 == "\r\n" }.count + 1
                throw CommandFailure(
                    code: "nul_byte", message: "\(file) line \(line) holds a NUL byte (U+0000)",
                    hint: "Save the file again as plain UTF-8 text (CSV) from the spreadsheet, and import it again.")
            }
            var rows = csvRows(text)
            guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) else {
                throw CommandFailure(
                    code: "empty_file", message: "\(file) is empty", hint: "The first line names the columns.")
            }
            let columns = ["code", "name", "level", "parent_code"]
            guard header == columns else {
                throw CommandFailure(
                    code: "bad_header", message: "\(file) line 1 is \"\(header.joined(separator: ","))\"",
                    hint: "The first line must be code,name,level,parent_code.")
            }
            rows.removeFirst()
            var parsed = Parsed()
            for (index, row) in rows.enumerated() where !(row.count == 1 && row[0].isEmpty) {
                let line = index + 2
                guard row.count == 4 else {
                    throw CommandFailure(
                        code: "bad_row", message: "\(file) line \(line) has \(row.count) columns, not 4",
                        hint: "Quote names that contain commas.")
                }
                let code = row[0].trimmingCharacters(in: .whitespaces)
                let parent = row[3].trimmingCharacters(in: .whitespaces)
                guard !code.isEmpty, code.utf8.count <= 32,
                    code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
                else {
                    throw CommandFailure(
                        code: "bad_code", message: "\(file) line \(line): \"\(code)\" is not a unit code",
                        hint: "Codes are the official administrative codes: digits (and letters).")
                }
                guard parsed.lines[code] == nil else {
                    throw CommandFailure(
                        code: "duplicate_code", message: "\(file) line \(line): \(code) appears twice",
                        hint: "Keep one row per unit.")
                }
                guard parent != code else {
                    throw CommandFailure(
                        code: "bad_parent", message: "\(file) line \(line): \(code) is its own parent",
                        hint: "Leave parent_code empty for the top unit.")
                }
                guard
                    parent.isEmpty
                        || (parent.utf8.count <= 32
                            && parent.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }))
                else {
                    throw CommandFailure(
                        code: "bad_parent",
                        message: "\(file) line \(line), parent_code: \"\(terminalSafe(parent))\" is not a unit code",
                        hint: "Give the parent's official code (digits), or leave it empty for the top unit.")
                }
                let name = row[1].trimmingCharacters(in: .whitespaces)
                let level = row[2].trimmingCharacters(in: .whitespaces)
                for (field, value) in [("name", name), ("level", level)] {
                    guard !value.isEmpty else {
                        throw CommandFailure(
                            code: "empty_\(field)", message: "\(file) line \(line): unit \(code) has an empty \(field)",
                            hint:
                                "Fill in the unit's \(field) (each row needs code, name and level), then import again.")
                    }
                    if let character = terminalUnsafeCharacter(in: value) {
                        throw CommandFailure(
                            code: "bad_\(field)",
                            message:
                                "\(file) line \(line), \(field) of unit \(code): holds \(character), a control, "
                                + "bidirectional, zero-width or line-separator character",
                            hint: "Retype the \(field) in plain text (letters, digits, spaces), save, and import again."
                        )
                    }
                }
                parsed.units.append(
                    HubStore.Unit(code: code, name: name, level: level, parentCode: parent.isEmpty ? nil : parent))
                parsed.lines[code] = line
            }
            return parsed
        }

        /// Refuses (before anything is written) a parent that is no unit and a loop of parents.
        /// A parent is known when it is a row of the file, a unit the hub already holds, or the
        /// hub's own unit. One exception, for a district hub's file that names the province above
        /// it without holding its row: a parent found nowhere is accepted for the hub's own unit's
        /// row, and for rows whose parent is that same parent (the hub's siblings).
        static func checkHierarchy(_ parsed: Parsed, hub: HubStore, file: String) throws {
            let root = hub.replica.unit
            var fileParents: [String: String?] = [:]
            for unit in parsed.units { fileParents[unit.code] = .some(unit.parentCode) }
            var storedParents: [String: String??] = [:]
            /// `.none`: no such unit; `.some(nil)`: a top unit.
            func parent(of code: String) throws -> String?? {
                if let inFile = fileParents[code] { return .some(inFile) }
                if let cached = storedParents[code] { return cached }
                let stored: String??
                if let unit = try hub.unit(code) { stored = .some(unit.parentCode) } else { stored = .none }
                storedParents[code] = .some(stored)
                return stored
            }
            let rootParent: String? = try parent(of: root) ?? nil
            for unit in parsed.units {
                guard let parentCode = unit.parentCode else { continue }
                let line = parsed.lines[unit.code] ?? 0
                if try parent(of: parentCode) == nil, parentCode != root, unit.code != root,
                    parentCode != rootParent
                {
                    throw CommandFailure(
                        code: "unknown_parent",
                        message:
                            "\(file) line \(line): the parent \(parentCode) of unit \(unit.code) is neither in the file "
                            + "nor among this hub's units",
                        hint:
                            "Correct the parent code (a typo?), or add the parent's row to the file; nothing was imported."
                    )
                }
                var path = [unit.code]
                var current: String? = parentCode
                while let code = current {
                    if path.contains(code) {
                        throw CommandFailure(
                            code: "parent_cycle",
                            message:
                                "\(file) line \(line): the parents of unit \(unit.code) loop: "
                                + (path + [code]).joined(separator: " → "),
                            hint:
                                "Give one of these units the right parent (the top unit has none); nothing was imported."
                        )
                    }
                    path.append(code)
                    current = try parent(of: code) ?? nil
                }
            }
        }

        /// RFC 4180 rows: fields may be quoted, with "" for a quote inside.
        static func csvRows(_ text: String) -> [[String]] {
            var rows: [[String]] = []
            var row: [String] = []
            var field = ""
            var quoted = false
            var characters = text.replacingOccurrences(of: "\r\n", with: "\n").makeIterator()
            var pending: Character? = nil
            while let character = pending ?? characters.next() {
                pending = nil
                if quoted {
                    if character == "\"" {
                        if let next = characters.next() {
                            if next == "\"" {
                                field.append("\"")
                            } else {
                                quoted = false
                                pending = next
                            }
                        } else {
                            quoted = false
                        }
                    } else {
                        field.append(character)
                    }
                } else if character == "\"" && field.isEmpty {
                    quoted = true
                } else if character == "," {
                    row.append(field)
                    field = ""
                } else if character == "\n" {
                    row.append(field)
                    rows.append(row)
                    row = []
                    field = ""
                } else {
                    field.append(character)
                }
            }
            if !field.isEmpty || !row.isEmpty {
                row.append(field)
                rows.append(row)
            }
            return rows
        }
    }
}

/// A character that must not reach a terminal inside a name: a control character (C0, C1 with
/// ESC, DEL), a format character (bidirectional overrides and isolates, U+200E/F, U+061C,
/// zero-width characters, U+FEFF) or a line or paragraph separator. Each can run an escape
/// sequence, reorder or hide a row's columns, or forge a line.
public func isTerminalUnsafe(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator: true
    default: false
    }
}

/// The first character of `text` that must not reach a terminal (see `isTerminalUnsafe`), as
/// `U+XXXX` for an error message, or nil when there is none.
public func terminalUnsafeCharacter(in text: String) -> String? {
    guard let scalar = text.unicodeScalars.first(where: isTerminalUnsafe) else { return nil }
    let hex = String(scalar.value, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}

public import ArgumentParser
import Foundation
public import SyncCore

/// `--key-file`, `--passphrase-file`: what unlocks a protected replica. Without them, a
/// passphrase comes from `TRE_PASSPHRASE`, or is asked for on a terminal. An unprotected
/// replica needs none and ignores them.
public struct UnlockOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "The key file that protects the replica (tre-node init: made if absent).",
            discussion: "Keep it outside the replica's folder: on a USB stick, or with the office's keys."))
    public var keyFile: String?

    @Option(
        help: ArgumentHelp(
            "A file holding the replica's passphrase (else TRE_PASSPHRASE, else it is asked on a terminal).",
            discussion: "Its first line is the passphrase; keep it outside the replica's folder."))
    public var passphraseFile: String?

    public init() {}

    /// The environment variable a passphrase may come from (a service's own environment).
    public static let passphraseVariable = "TRE_PASSPHRASE"

    /// The passphrase in `TRE_PASSPHRASE`, if set and not empty.
    public static var environmentPassphrase: String? {
        ProcessInfo.processInfo.environment[passphraseVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// What unlocks a replica protected by `method`, from these options, the environment or a
    /// terminal, or a refusal saying how to give it. `folder` is the replica's own: a key or
    /// passphrase kept in it would be copied with it.
    public func secret(for method: ProtectionMethod, folder: String, role: ReplicaRole) throws -> ReplicaSecret {
        switch method {
        case .keyFile:
            guard let keyFile else {
                if passphraseFile != nil { throw ProtectionText.wrongMethod(role, protectedBy: method) }
                throw ProtectionText.locked(role, by: method)
            }
            return .key(try readKeyFile(keyFile, folder: folder))
        case .passphrase:
            if let passphraseFile { return .passphrase(try readPassphraseFile(passphraseFile, folder: folder)) }
            if keyFile != nil { throw ProtectionText.wrongMethod(role, protectedBy: method) }
            if let passphrase = Self.environmentPassphrase { return .passphrase(passphrase) }
            if let typed = askPassphrase(ProtectionText.prompt(role)) { return .passphrase(typed) }
            throw ProtectionText.locked(role, by: method)
        }
    }
}

/// The passphrase a new replica is protected with: at least this many characters.
public let minimumPassphraseLength = 8

/// Checks a new passphrase: long enough to be worth stretching.
public func checkNewPassphrase(_ passphrase: String) throws {
    guard passphrase.precomposedStringWithCanonicalMapping.count >= minimumPassphraseLength else {
        throw CommandFailure(
            code: "passphrase_too_short",
            message:
                "mật khẩu quá ngắn (ít nhất \(minimumPassphraseLength) ký tự) / the passphrase is too short (at least \(minimumPassphraseLength) characters)",
            hint:
                "Chọn một câu dễ nhớ, khó đoán, ví dụ bốn từ. / Choose a sentence that is easy to remember and hard to guess, e.g. four words. Nothing was created."
        )
    }
}

/// Asks twice for a new passphrase on the terminal; nil when stdin is not a terminal.
public func askNewPassphrase(_ role: ReplicaRole) throws -> String? {
    guard let first = askPassphrase(ProtectionText.newPrompt(role)) else { return nil }
    try checkNewPassphrase(first)
    guard let second = askPassphrase("Nhập lại / Type it again: "), second == first else {
        throw CommandFailure(
            code: "passphrases_differ",
            message: "hai lần nhập không giống nhau / the two passphrases differ",
            hint:
                "Chạy lại lệnh và gõ cùng một mật khẩu hai lần. / Run the command again and type the same passphrase twice. Nothing was created."
        )
    }
    return first
}

/// The two kinds of file a secret is read from.
public enum SecretFile: Sendable {
    case key
    case passphrase

    var name: (vi: String, en: String) {
        switch self {
        case .key: ("tệp khóa", "the key file")
        case .passphrase: ("tệp mật khẩu", "the passphrase file")
        }
    }
}

/// Refuses a key or passphrase file that would sit in the replica's folder: copying the folder
/// would copy the key with the data ("never stored beside the database").
public func refuseInsideFolder(_ file: String, folder: String, what: SecretFile) throws {
    let parent = canonicalPath(URL(fileURLWithPath: file).deletingLastPathComponent().path)
    let own = canonicalPath(folder)
    guard parent == own || parent.hasPrefix(own.hasSuffix("/") ? own : own + "/") else { return }
    throw CommandFailure(
        code: "key_beside_replica",
        message:
            "\(what.name.vi) \(file) nằm trong thư mục dữ liệu \(folder) / \(what.name.en) \(file) is inside the replica's folder \(folder)",
        hint:
            "Để tệp khóa ngoài thư mục dữ liệu (ví dụ trên USB): ai sao chép thư mục sẽ không có khóa. / Keep it outside the replica's folder (e.g. on a USB stick), so a copy of the folder does not carry its key. Nothing was changed."
    )
}

/// The absolute path with symbolic links resolved, as far as it exists (the rest appended), so
/// two spellings of one folder compare equal even before the folder is made.
func canonicalPath(_ path: String) -> String {
    var existing = URL(fileURLWithPath: path).standardizedFileURL
    var rest: [String] = []
    while !FileManager.default.fileExists(atPath: existing.path) && existing.path != "/" {
        rest.insert(existing.lastPathComponent, at: 0)
        existing = existing.deletingLastPathComponent()
    }
    var resolved = existing.path
    if let real = realpath(existing.path, nil) {
        resolved = String(cString: real)
        free(real)
    }
    return rest.reduce(URL(fileURLWithPath: resolved)) { $0.appendingPathComponent($1) }.standardizedFileURL.path
}

/// Reads a key file made by `init` (one line of base64, 32 bytes).
public func readKeyFile(_ path: String, folder: String) throws -> ReplicaKey {
    try refuseInsideFolder(path, folder: folder, what: .key)
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandFailure(
            code: "cannot_read_key_file",
            message: "không đọc được tệp khóa \(path) / cannot read the key file \(path)",
            hint:
                "Kiểm tra đường dẫn (USB đã cắm chưa?). / Check the path (is the USB stick in?) and that this user may read it. Nothing was changed."
        )
    }
    guard let key = ReplicaKey(keyFileText: String(decoding: data, as: UTF8.self)) else {
        throw CommandFailure(
            code: "bad_key_file",
            message: "\(path) không phải tệp khóa của Tre / \(path) is not a Tre key file",
            hint:
                "Dùng đúng tệp do `init` tạo (một dòng base64, 32 byte). / Give the file `init` made (one line of base64, 32 bytes). Nothing was changed."
        )
    }
    warnIfShared(path)
    return key
}

/// Creates a key file readable by its owner only (0600), holding a fresh key; refuses a path
/// where a file exists (that one is read instead, by `readKeyFile`).
public func createKeyFile(_ path: String, folder: String) throws -> ReplicaKey {
    try refuseInsideFolder(path, folder: folder, what: .key)
    let key = ReplicaKey.random()
    // A folder for it (on a USB stick, say) is made readable by its owner only.
    let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
    if !FileManager.default.fileExists(atPath: parent) {
        try? FileManager.default.createDirectory(
            atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
        throw CommandFailure(
            code: "cannot_create_key_file",
            message:
                "không tạo được tệp khóa \(path) / cannot create the key file \(path): \(String(cString: strerror(errno)))",
            hint: "Check that the folder exists and that this user may write to it. Nothing was created.")
    }
    let text = Array(key.keyFileText.utf8)
    let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    let synced = fsync(descriptor) == 0
    close(descriptor)
    guard written == text.count, synced else {
        unlink(path)
        throw CommandFailure(
            code: "cannot_create_key_file", message: "không ghi được tệp khóa / cannot write the key file \(path)",
            hint: "Check the disk (full? read-only?). Nothing was created.")
    }
    return key
}

/// Reads a passphrase file: its first line (a final newline is not part of the passphrase).
public func readPassphraseFile(_ path: String, folder: String) throws -> String {
    try refuseInsideFolder(path, folder: folder, what: .passphrase)
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandFailure(
            code: "cannot_read_passphrase_file",
            message: "không đọc được tệp mật khẩu \(path) / cannot read the passphrase file \(path)",
            hint: "Check the path and that this user may read it. Nothing was changed.")
    }
    let text = String(decoding: data, as: UTF8.self)
    let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map {
        $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
    }
    guard let line, !line.isEmpty else {
        throw CommandFailure(
            code: "empty_passphrase", message: "tệp mật khẩu \(path) trống / the passphrase file \(path) is empty",
            hint: "Write the passphrase on its first line. Nothing was changed.")
    }
    warnIfShared(path)
    return line
}

/// A key or passphrase file others may read is not refused (a USB stick's file system may not
/// keep modes), but said.
private func warnIfShared(_ path: String) {
    var status = stat()
    guard stat(path, &status) == 0, status.st_mode & 0o077 != 0 else { return }
    FileHandle.standardError.write(
        Data(
            "cảnh báo / warning: \(path) can be read by other users of this machine (chmod 600 \(path))\n".utf8))
}

/// Saved by `askPassphrase` while echo is off, so an interrupt can turn it back on.
nonisolated(unsafe) private var savedTerminal = termios()

/// Reads a line from the terminal without echo, after `prompt` on stderr; nil when stdin is
/// not a terminal (a script or service must give the secret another way), empty at the end of
/// input (Ctrl-D), which is then refused as too short or as not opening the replica.
func askPassphrase(_ prompt: String) -> String? {
    guard isatty(STDIN_FILENO) == 1 else { return nil }
    FileHandle.standardError.write(Data(prompt.utf8))
    var quiet = termios()
    guard tcgetattr(STDIN_FILENO, &savedTerminal) == 0 else { return nil }
    quiet = savedTerminal
    quiet.c_lflag &= ~tcflag_t(ECHO)
    // Ctrl-C while typing must not leave the terminal without echo.
    let restoreAndExit: @convention(c) (Int32) -> Void = { signal in
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &savedTerminal)
        _exit(128 + signal)
    }
    let previous = signal(SIGINT, restoreAndExit)
    // TCSANOW, not TCSAFLUSH: what was typed ahead of the prompt is kept, not thrown away.
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
    defer {
        tcsetattr(STDIN_FILENO, TCSANOW, &savedTerminal)
        signal(SIGINT, previous)
        FileHandle.standardError.write(Data("\n".utf8))
    }
    return readLine(strippingNewline: true) ?? ""
}

/// What the commands say about protection, in Vietnamese and English like the node's other
/// messages to workers.
package enum ProtectionText {
    static func replica(_ role: ReplicaRole) -> (vi: String, en: String) {
        switch role {
        case .node: ("Máy xã này", "this node")
        case .hub: ("Cơ sở dữ liệu của máy chủ này", "this hub's database")
        }
    }

    static func prompt(_ role: ReplicaRole) -> String {
        role == .node ? "Mật khẩu của máy / Node passphrase: " : "Mật khẩu / Hub passphrase: "
    }

    static func newPrompt(_ role: ReplicaRole) -> String {
        role == .node
            ? "Mật khẩu mới cho máy (ít nhất \(minimumPassphraseLength) ký tự) / New node passphrase (at least \(minimumPassphraseLength) characters): "
            : "New hub passphrase (at least \(minimumPassphraseLength) characters): "
    }

    /// No secret was given for a protected replica.
    static func locked(_ role: ReplicaRole, by method: ProtectionMethod) -> CommandFailure {
        let name = replica(role)
        let how =
            method == .keyFile
            ? (vi: "tệp khóa", en: "a key file", todo: "--key-file PATH", todoVi: "Thêm --key-file ĐƯỜNG_DẪN")
            : (
                vi: "mật khẩu", en: "a passphrase",
                todo:
                    "--passphrase-file FILE, set \(UnlockOptions.passphraseVariable), or run it on a terminal to type it",
                todoVi:
                    "Thêm --passphrase-file TỆP, đặt biến \(UnlockOptions.passphraseVariable), hoặc chạy trong cửa sổ lệnh để gõ mật khẩu"
            )
        return CommandFailure(
            code: "replica_locked",
            message: "\(name.vi) được bảo vệ bằng \(how.vi) / \(name.en) is protected by \(how.en)",
            hint: "\(how.todoVi). / Give \(how.todo). Nothing was changed.")
    }

    static func wrongMethod(_ role: ReplicaRole, protectedBy method: ProtectionMethod) -> CommandFailure {
        let name = replica(role)
        return method == .keyFile
            ? CommandFailure(
                code: "wrong_secret",
                message:
                    "\(name.vi) được bảo vệ bằng tệp khóa, không phải mật khẩu / \(name.en) is protected by a key file, not a passphrase",
                hint: "Thêm --key-file ĐƯỜNG_DẪN. / Give --key-file PATH. Nothing was changed.")
            : CommandFailure(
                code: "wrong_secret",
                message:
                    "\(name.vi) được bảo vệ bằng mật khẩu, không phải tệp khóa / \(name.en) is protected by a passphrase, not a key file",
                hint:
                    "Thêm --passphrase-file TỆP, hoặc gõ mật khẩu khi được hỏi. / Give --passphrase-file FILE, or type it when asked. Nothing was changed."
            )
    }

    /// The secret given does not open the replica.
    package static func wrong(_ role: ReplicaRole, _ error: StoreError) -> CommandFailure {
        let name = replica(role)
        let forgotten =
            role == .node
            ? "Quên mật khẩu: xin huyện một mã đăng ký mới, tạo máy mới ở thư mục khác và đồng bộ; dữ liệu của xã sẽ về lại từ huyện. / A forgotten passphrase cannot be recovered: ask the district for a new enrolment code, init a new node in another folder and sync; the commune's records come back from the hub."
            : "A forgotten passphrase cannot be recovered: restore a backup protected by a known secret, or make a new hub and sync its nodes again."
        return CommandFailure(
            code: "wrong_secret",
            message:
                "mật khẩu hoặc tệp khóa không mở được \(name.vi.lowercased()) / the passphrase or key file does not open \(name.en): \(error.detail)",
            hint:
                "Kiểm tra lại rồi thử lại; không có gì bị thay đổi. / Check it and try again; nothing was changed. \(forgotten)"
        )
    }
}

extension ReplicaLocation {
    /// What unlocks the replica at `path` (this location's own by default): nil when it is not
    /// protected. Asked for only when it is.
    public func secret(forReplicaAt path: String? = nil) throws -> ReplicaSecret? {
        guard let method = try SQLiteStorage.protection(ofReplicaAt: path ?? databasePath, role: Self.role) else {
            return nil
        }
        return try unlock.secret(for: method, folder: replicaFolder, role: Self.role)
    }

    /// Opens the storage at `path` (this location's own by default), unlocked with `secret`;
    /// a secret that does not open it is refused with what to do.
    public func openStorage(at path: String? = nil, secret: ReplicaSecret?) throws -> SQLiteStorage {
        do {
            return try SQLiteStorage(path: path ?? databasePath, role: Self.role, secret: secret)
        } catch let error as StoreError where error.kind == .wrongKey {
            throw ProtectionText.wrong(Self.role, error)
        }
    }
}

import ArgumentParser
import Foundation
import ReplicaCommands
import SyncClient
import SyncCore

extension TreNode {
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a commune's node: enrolled at its hub (--hub, --enrolment), or standalone (--unit).",
            discussion: """
                Children's personal data is protected at rest: choose a passphrase (--passphrase-file FILE, \
                TRE_PASSPHRASE, or type it twice when asked), or a key file (--key-file PATH, made if \
                absent, kept outside the node's folder). Every later command needs the same one. \
                --unprotected stores the data in clear, as an explicit choice. A forgotten passphrase \
                cannot be recovered: enrol a new node and sync, and the commune's records come back \
                from the hub.
                """)

        @OptionGroup var location: NodeDirectory
        @OptionGroup var output: OutputOptions

        @Option(help: "The hub's URL, e.g. http://district.example:8080.")
        var hub: String?

        @Option(help: "The one-time enrolment code the hub printed for this commune.")
        var enrolment: String?

        @Option(help: "Without a hub: the commune's administrative code.")
        var unit: String?

        @Option(help: "A name for this node (shown at the hub; a place, never a person's name).")
        var name: String = ""

        @Flag(help: "Store the children's data unprotected (not recommended: a copy of the folder reveals it).")
        var unprotected = false

        func validate() throws {
            if (hub == nil) != (enrolment == nil) { throw ValidationError("--hub and --enrolment go together.") }
            if hub == nil && unit == nil {
                throw ValidationError("Give --hub URL --enrolment CODE, or --unit CODE for a node without a hub.")
            }
            let choices = [location.unlock.keyFile != nil, location.unlock.passphraseFile != nil, unprotected]
            if choices.filter({ $0 }).count > 1 {
                throw ValidationError("Choose one of --key-file, --passphrase-file and --unprotected.")
            }
        }

        /// How the new node is protected, as the worker chose: a key file (made after the hub
        /// accepts the code, if absent), a passphrase, or nothing. Decided before enrolment, so
        /// a refusal does not spend the one-time code.
        enum Choice {
            case keyFile(path: String, exists: Bool)
            case passphrase(String)
            case unprotected
        }

        func choice() throws -> Choice {
            let folder = location.replicaFolder
            if unprotected { return .unprotected }
            if let path = location.unlock.keyFile {
                try refuseInsideFolder(path, folder: folder, what: .key)
                let exists = FileManager.default.fileExists(atPath: path)
                // An existing key file is checked now (one key may protect several nodes of an office).
                if exists { _ = try readKeyFile(path, folder: folder) }
                return .keyFile(path: path, exists: exists)
            }
            let passphrase =
                if let file = location.unlock.passphraseFile {
                    try readPassphraseFile(file, folder: folder)
                } else if let environment = UnlockOptions.environmentPassphrase {
                    environment
                } else {
                    try askNewPassphrase(.node)
                }
            guard let passphrase else {
                throw CommandFailure(
                    code: "protection_required",
                    message:
                        "chưa chọn cách bảo vệ dữ liệu của máy / choose how this node's data is protected",
                    hint: """
                        Thêm --passphrase-file TỆP (hoặc đặt TRE_PASSPHRASE, hoặc chạy trong cửa sổ lệnh để gõ mật khẩu), \
                        --key-file ĐƯỜNG_DẪN (tệp khóa, để ngoài thư mục máy), hoặc --unprotected (không bảo vệ). / \
                        Give --passphrase-file FILE (or set TRE_PASSPHRASE, or run it on a terminal to type one), \
                        --key-file PATH (made if absent, kept outside the node's folder), or --unprotected. \
                        Nothing was created; the enrolment code was not used.
                        """)
            }
            try checkNewPassphrase(passphrase)
            return .passphrase(passphrase)
        }

        func run() async throws {
            try await reporting(json: output.json) {
                let path = location.databasePath
                if FileManager.default.fileExists(atPath: path) {
                    throw StoreError(
                        .alreadyInitialized, path: path, operation: "init", detail: "a replica exists already")
                }
                if let unit { try checkUnit(unit) }
                let choice = try choice()
                var enrolled: EnrolledUpstream?
                if let hub, let enrolment {
                    // Nothing is written before the hub accepts the code.
                    try checkWritable(path)
                    enrolled = try await enrol(hub: hub, code: enrolment, kind: "node", name: name, expectedUnit: unit)
                }
                let unitName = name.isEmpty ? enrolled?.unitName ?? "" : name
                let replica: Replica
                let createdFolder = !FileManager.default.fileExists(atPath: location.dir)
                var createdKeyFile: String?
                do {
                    let protection: ReplicaSecret?
                    switch choice {
                    case .unprotected:
                        protection = nil
                    case .passphrase(let passphrase):
                        protection = .passphrase(passphrase)
                    case .keyFile(let keyFile, let exists):
                        if exists {
                            protection = .key(try readKeyFile(keyFile, folder: location.replicaFolder))
                        } else {
                            protection = .key(try createKeyFile(keyFile, folder: location.replicaFolder))
                            createdKeyFile = keyFile
                        }
                    }
                    try createFolder()
                    replica = try createReplica(
                        at: path, unit: enrolled?.unit ?? unit!, name: unitName, origin: enrolled?.origin, role: .node,
                        protection: protection)
                    try enrolled?.upstream.save(to: replica)
                } catch {
                    if (error as? StoreError)?.kind != .alreadyInitialized {
                        removeReplicaFiles(at: path)
                        if createdFolder { try? FileManager.default.removeItem(atPath: location.dir) }
                        if let createdKeyFile { try? FileManager.default.removeItem(atPath: createdKeyFile) }
                    }
                    if let enrolled { throw enrolledButNotCreated(enrolled, path: path, error) }
                    throw error
                }
                if case .unprotected = choice {
                    FileHandle.standardError.write(
                        Data(
                            """
                            cảnh báo: dữ liệu của trẻ em trên máy này KHÔNG được bảo vệ; ai sao chép thư mục \(location.dir) sẽ đọc được.
                            warning: this node's personal data is NOT protected at rest: anyone who copies \(location.dir) can read it.

                            """.utf8))
                }
                let protection: String =
                    switch choice {
                    case .unprotected: "none"
                    case .passphrase: "passphrase"
                    case .keyFile: "key_file"
                    }
                if output.json {
                    printJSON([
                        "origin": replica.origin.description, "unit": replica.unit, "dir": location.dir,
                        "hub": enrolled?.upstream.url.absoluteString ?? "", "protection": protection,
                    ])
                } else {
                    let label = unitName.isEmpty ? replica.unit : "\(unitName) (\(replica.unit))"
                    print(
                        "node for \(label) ready in \(location.dir)"
                            + (enrolled.map { ", enrolled at \($0.upstream.url) as \($0.origin)" } ?? ""))
                    switch choice {
                    case .unprotected:
                        break
                    case .passphrase:
                        print(
                            "dữ liệu được bảo vệ bằng mật khẩu / personal data protected by the passphrase; "
                                + "every command asks for it")
                    case .keyFile(let keyFile, _):
                        print(
                            "dữ liệu được bảo vệ bằng tệp khóa \(keyFile) / personal data protected by the key file "
                                + "\(keyFile): every command needs it (--key-file); keep a copy in a safe place")
                    }
                }
            }
        }

        /// The node's folder, made readable by its owner only when this command creates it (a
        /// folder that exists keeps its mode; the replica in it is created 0600 either way).
        func createFolder() throws {
            guard !FileManager.default.fileExists(atPath: location.dir) else { return }
            do {
                try FileManager.default.createDirectory(atPath: location.dir, withIntermediateDirectories: true)
            } catch {
                throw CommandFailure(
                    code: "cannot_create", message: "cannot create \(location.dir): \(error.localizedDescription)",
                    hint: "Check the path and permissions.")
            }
            guard chmod(location.dir, 0o700) == 0 else {
                throw CommandFailure(
                    code: "cannot_create",
                    message: "cannot make \(location.dir) private: \(String(cString: strerror(errno)))",
                    hint: "Check the path and permissions.")
            }
        }
    }
}

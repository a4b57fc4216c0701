import ArgumentParser
import Domain
import Foundation
import PostgresStore
import ReplicaCommands
import SyncClient
import SyncCore

extension TreHub {
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a hub's database; with --upstream, enrol it at the hub above (a province).",
            discussion: """
                A hub is unprotected at rest unless told: --protect-with-key-file PATH (made if absent, \
                kept outside the database's folder) or --protect-with-passphrase-file FILE seal its records, \
                log and peers' keys as a node's are. Every later command then needs --key-file or a \
                passphrase (--passphrase-file, TRE_PASSPHRASE, or typed when asked).
                """)

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        @Option(help: "The administrative code of the district or province this hub serves.")
        var unit: String?

        @Option(help: "Its name, e.g. \"Huyện Kỳ Sơn\".")
        var name: String

        @Option(help: "The URL of the hub above this one.")
        var upstream: String?

        @Option(help: "The one-time enrolment code (of kind hub) the hub above gave for this hub's unit.")
        var enrolment: String?

        @Option(
            help: """
                With --upstream: what this hub sends to the hub above — full (every record, the default), \
                redacted (personal fields removed) or aggregates (only aggregates and report_approvals). \
                `tre-hub policy set` changes it later.
                """)
        var policy: String?

        @Option(
            help: """
                Keep the hub's data on this PostgreSQL server, postgres://USER@HOST:PORT/DATABASE (?schema=NAME, \
                ?sslmode=require): --db then names the hub's configuration file, written here (0600). The password \
                goes in PGPASSWORD for this and every later command; it is never stored nor printed.
                """)
        var store: String?

        @Option(help: "Protect the hub's data at rest with this key file (made if absent, 0600).")
        var protectWithKeyFile: String?

        @Option(help: "Protect the hub's data at rest with the passphrase on this file's first line.")
        var protectWithPassphraseFile: String?

        func validate() throws {
            if protectWithKeyFile != nil && protectWithPassphraseFile != nil {
                throw ValidationError("Choose one of --protect-with-key-file and --protect-with-passphrase-file.")
            }
            if location.unlock.keyFile != nil || location.unlock.passphraseFile != nil {
                throw ValidationError(
                    "A new hub is protected with --protect-with-key-file or --protect-with-passphrase-file; "
                        + "--key-file and --passphrase-file unlock one that is.")
            }
            if (upstream == nil) != (enrolment == nil) {
                throw ValidationError("--upstream and --enrolment go together.")
            }
            if policy != nil && upstream == nil {
                throw ValidationError("--policy is what this hub sends to the hub above: it goes with --upstream.")
            }
            if upstream == nil && unit == nil {
                throw ValidationError("Give --unit CODE (or --upstream URL --enrolment CODE, which set it).")
            }
        }

        func run() async throws {
            try await reporting(json: output.json) {
                let path = location.databasePath
                if FileManager.default.fileExists(atPath: path) {
                    throw StoreError(
                        .alreadyInitialized, path: path, operation: "init", detail: "a replica exists already")
                }
                if let unit { try checkUnit(unit) }
                // A malformed address is refused before anything else (the password never shown).
                let address: PostgresAddress?
                do {
                    address = try store.map { try PostgresAddress($0) }
                } catch let error as StoreAddressError {
                    throw CommandFailure(code: "bad_store", message: error.message, hint: error.hint)
                }
                // Checked before the enrolment code is used.
                let chosenPolicy = try policy.map(TreHub.Policy.parse)
                // Checked before the code is used; a new key file is made only once it is.
                let folder = location.replicaFolder
                var passphrase: String?
                if let file = protectWithPassphraseFile {
                    passphrase = try readPassphraseFile(file, folder: folder)
                    try checkNewPassphrase(passphrase!)
                }
                let keyFileExists = protectWithKeyFile.map { FileManager.default.fileExists(atPath: $0) } ?? false
                if let keyFile = protectWithKeyFile {
                    try refuseInsideFolder(keyFile, folder: folder, what: .key)
                    if keyFileExists { _ = try readKeyFile(keyFile, folder: folder) }
                }
                var enrolled: EnrolledUpstream?
                if let upstream, let enrolment {
                    // Nothing is written before the hub above accepts the code.
                    try checkWritable(path)
                    enrolled = try await enrol(
                        hub: upstream, code: enrolment, kind: "hub", name: name, expectedUnit: unit)
                }
                let replica: Replica
                var createdKeyFile: String?
                do {
                    var protection = passphrase.map(ReplicaSecret.passphrase)
                    if let keyFile = protectWithKeyFile {
                        if keyFileExists {
                            protection = .key(try readKeyFile(keyFile, folder: folder))
                        } else {
                            protection = .key(try createKeyFile(keyFile, folder: folder))
                            createdKeyFile = keyFile
                        }
                    }
                    let hub: HubStore
                    if let address {
                        hub = try createOnPostgres(
                            address, path: path, unit: enrolled?.unit ?? unit!, origin: enrolled?.origin,
                            protection: protection)
                        replica = hub.replica
                        try enrolled?.upstream.save(to: replica)
                    } else {
                        replica = try createReplica(
                            at: path, unit: enrolled?.unit ?? unit!, name: name, origin: enrolled?.origin, role: .hub,
                            protection: protection)
                        try enrolled?.upstream.save(to: replica)
                        hub = try HubStore.create(replica: replica, storage: replica.storage as! SQLiteStorage)
                    }
                    if let chosenPolicy { try hub.setUpstreamPolicy(chosenPolicy) }
                } catch {
                    if (error as? StoreError)?.kind != .alreadyInitialized && address == nil {
                        removeReplicaFiles(at: path)
                        if let createdKeyFile { try? FileManager.default.removeItem(atPath: createdKeyFile) }
                    }
                    if let enrolled { throw enrolledButNotCreated(enrolled, path: path, error) }
                    throw error
                }
                let protection =
                    (replica.storage as? SQLiteStorage)?.protection ?? (replica.storage as? PostgresStorage)?.protection
                if output.json {
                    printJSON([
                        "origin": replica.origin.description, "unit": replica.unit, "db": location.db,
                        "store": address?.description ?? "sqlite",
                        "protection": protection?.rawValue ?? "none",
                        "upstream_policy": enrolled == nil ? "" : (chosenPolicy ?? .standard).rawValue,
                    ])
                } else {
                    print(
                        "hub for \(name) (\(replica.unit)) ready in \(address.map { "\($0), configured in " } ?? "")\(location.db)"
                            + (protection.map { ", protected at rest by \($0)" } ?? ""))
                    if address != nil {
                        print("the store's password is not kept: give it in PGPASSWORD to every tre-hub command")
                    }
                    if let upstream = enrolled?.upstream {
                        print("enrolled at \(upstream.url) (unit \(upstream.hubUnit)) as \(replica.origin)")
                        let sends = chosenPolicy ?? .standard
                        print("upstream policy: \(sends.rawValue) — \(sends.summary) (`tre-hub policy set` to change)")
                    }
                }
            }
        }
    }
}

extension TreHub.Init {
    /// Makes the hub's tables on the PostgreSQL server, its identity and role, then writes the
    /// configuration file that names the store (only once the store exists: a failed init leaves
    /// no configuration pointing at nothing). Tables already there are refused unchanged.
    func createOnPostgres(
        _ address: PostgresAddress, path: String, unit: String, origin: OriginID?, protection: ReplicaSecret?
    ) throws -> HubStore {
        try checkUnit(unit)
        try checkWritable(path)
        let storage = try HubConfiguration.explaining {
            try PostgresStorage(address: address, role: .hub, secret: protection, create: true)
        }
        var generator = SystemRandomNumberGenerator()
        let time = SystemTimeSource()
        let replica = try Replica.initialize(
            storage: storage, origin: origin ?? OriginID(.version7(unixMillis: time.nowMillis(), using: &generator)),
            unit: unit, name: name, time: time)
        let hub = try HubStore.create(replica: replica, postgres: storage)
        try HubConfiguration.write(address, to: path)
        return hub
    }
}

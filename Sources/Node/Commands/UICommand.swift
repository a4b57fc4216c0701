import ArgumentParser
import Domain
import Foundation
import Logging
import NodeUI
import ReplicaCommands
import SyncClient
import SyncCore

extension TreNode {
    /// `ui`: the worker's page, served on this computer only.
    struct UI: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the worker's page on this computer (127.0.0.1): today's tasks, children, cases, sync.",
            discussion: """
                Open the address it prints in a browser. The page asks the worker's name and the \
                passphrase that protects the node (with --key-file, only the name). Every asset is \
                served by the node itself: no internet is needed. Sessions end after --idle-minutes \
                without use and after 8 hours; Khóa (Lock) ends every session. After 5 wrong \
                passphrases each further try waits (30 seconds, doubling, at most 15 minutes); \
                starting the page again clears the count.
                """)

        @OptionGroup var location: NodeDirectory

        @Option(help: "The address to listen on (keep 127.0.0.1 unless the page must be reached from another machine).")
        var host = "127.0.0.1"

        @Option(help: "The port (0: any free port; the address is printed).")
        var port = 8_765

        @Option(name: .customLong("idle-minutes"), help: "A session unused this many minutes ends.")
        var idleMinutes = 15

        func validate() throws {
            guard (0...65_535).contains(port) else { throw ValidationError("--port takes 0 to 65535.") }
            guard idleMinutes >= 1 else { throw ValidationError("--idle-minutes must be at least 1.") }
        }

        func run() async throws {
            try await reporting(json: false) {
                let location = self.location
                guard FileManager.default.fileExists(atPath: location.databasePath) else {
                    _ = try location.open()  // explains there is no node here
                    return
                }
                let method = try SQLiteStorage.protection(ofReplicaAt: location.databasePath, role: .node)
                let asksPassphrase = method == .passphrase && location.unlock.passphraseFile == nil
                if !asksPassphrase {
                    _ = try location.open()  // a wrong or missing key file is said now, not on the page
                }
                let backend = UIBackend(
                    asksPassphrase: asksPassphrase,
                    unlock: { passphrase in
                        let replica =
                            if let passphrase {
                                try Replica(
                                    storage: try location.openStorage(secret: .passphrase(passphrase)),
                                    time: SystemTimeSource())
                            } else {
                                try location.open()
                            }
                        return try location.domainStore(replica)
                    },
                    sync: { store in try await Self.sync(store, location: location) })
                var logger = Logger(label: "tre-node-ui")
                logger.logLevel = .notice
                let app = UIApp(
                    configuration: UIConfiguration(host: host, port: port, idleTimeout: TimeInterval(idleMinutes * 60)),
                    backend: backend,
                    log: { line in FileHandle.standardError.write(Data("ui: \(line)\n".utf8)) })
                let host = self.host
                try await UIServer.run(app: app, host: host, port: port, logger: logger) { port in
                    FileHandle.standardOutput.write(
                        Data("tre-node ui listening on http://\(UIApp.authority(host, port))\n".utf8))
                    if let code = app.launchCode {
                        // The key file unlocks the data, so the page asks no secret: this address's
                        // code is what keeps other programs of the machine out.
                        FileHandle.standardOutput.write(
                            Data(
                                "open http://\(UIApp.authority(host, port))/?code=\(code) (the code lets only who started the page unlock it)\n"
                                    .utf8))
                    }
                }
            }
        }

        /// One sync, as `tre-node sync` does it, on the page's unlocked replica.
        static func sync(_ store: DomainStore, location: NodeDirectory) async throws -> String {
            let replica = store.replica
            guard let upstream = try Upstream.load(from: replica) else {
                throw CommandFailure(
                    code: "no_hub", message: "this node is not enrolled at a hub",
                    hint: "Enrol it with `tre-node init`.")
            }
            let lock = try location.lock(purpose: .sync)
            defer { withExtendedLifetime(lock) {} }
            let syncer = try Syncer(
                replica: replica, upstream: upstream, pushFilter: LogFilter(onlyOrigin: replica.origin),
                dictionary: WireVocabulary.dictionary, definition: DomainDefinition.current.version)
            let report = try await syncer.run()
            return "↑ \(report.pushed), ↓ \(report.pulled)"
        }
    }
}

import ArgumentParser
import Foundation
import PostgresStore
import ReplicaCommands
import SyncClient
import SyncCore

extension TreHub {
    /// What `tre-hub restore` does to a copied file, for a hub whose PostgreSQL database was
    /// restored by the server's own tools (a base backup and WAL to a point in time, pg_restore,
    /// or a failover to an asynchronous standby that had not received everything): the
    /// database cannot tell it went back in time, so the operator says so, once, before any
    /// `serve` starts.
    struct Restored: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restored",
            abstract: "After the hub's PostgreSQL database was restored: make it a live hub again, before serving.",
            discussion: """
                The hub's change counter jumps past anything it could have issued after the backup, its \
                log gets a new epoch (its nodes and lower hubs are served again from the start and \
                send again what it lost), and its next upstream sync pushes and pulls from the start. \
                Run it once, with every `tre-hub serve` of this database stopped.
                """)

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting(json: output.json) {
                guard let address = try location.storeAddress() else {
                    throw CommandFailure(
                        code: "not_postgres",
                        message: "this hub's data is in the file \(location.db), not on PostgreSQL",
                        hint: "Restore a file backup with `tre-hub restore --db PATH --from BACKUP --replace`.")
                }
                let storage = try HubConfiguration.open(
                    address, unlock: location.unlock, folder: location.replicaFolder)
                let replica = try Replica.finishRestore(storage: storage, time: SystemTimeSource())
                try Upstream.prepareAfterRestore(replica)
                try HubDatabase.prepareAfterRestore(replica)
                if output.json {
                    printJSON(["restored": address.description, "origin": replica.origin.description])
                } else {
                    print("the hub on \(address) is live again; start serving, and let its nodes sync")
                }
            }
        }
    }
}

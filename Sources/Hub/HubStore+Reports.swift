import Domain
import Foundation
import GRDB
import SyncCore

extension HubStore {
    /// Every imported unit, as the reports read the hierarchy (any depth, no fixed levels). The
    /// hub's own unit is in it even when no unit list was imported.
    func unitTree() throws -> UnitTree {
        var units =
            try postgres.map(postgresUnitTree)
            ?? writer.read { db in
                try Row.fetchAll(db, sql: "SELECT code, name, parent_code FROM hub_units").map {
                    UnitTree.Unit(code: $0[0], name: $0[1], parent: $0[2])
                }
            }
        let meta = try replica.meta()
        if !units.contains(where: { $0.code == meta.unit }) {
            units.append(UnitTree.Unit(code: meta.unit, name: meta.name.isEmpty ? meta.unit : meta.name, parent: nil))
        }
        return UnitTree(units)
    }

    /// The hub's reports, with its tree.
    func reporting(bands: AgeBands? = nil) throws -> Reporting {
        try Reporting(replica: replica, tree: try unitTree(), bands: bands)
    }
}

import Foundation
import TestSupport
import Testing

/// A province hub, two district hubs and five communes (one directly under the province, as
/// since 2025), as real processes on 127.0.0.1: offline edits with planted conflicts, syncs in
/// random orders until quiet, then equal hashes wherever scopes overlap, the same conflicts
/// everywhere, and a child moved between districts arriving whole.
@Suite(.serialized) struct TopologyTests {
    static let units = """
        code,name,level,parent_code
        40,Tỉnh Nghệ An,province,
        415,Huyện Kỳ Sơn,district,40
        416,Huyện Tương Dương,district,40
        17605,Xã Mường Lống,commune,415
        17608,Xã Huồi Tụ,commune,415
        17700,Xã Tam Quang,commune,416
        17701,Xã Tam Đình,commune,416
        17900,Xã Châu Khê,commune,40

        """

    final class World {
        let directory: TemporaryDirectory
        var province: HubProcess!
        var districts: [String: HubProcess] = [:]
        /// commune code → node folder
        var nodes: [String: String] = [:]
        /// commune code → the hub database it syncs with
        var hubOf: [String: String] = [:]
        let districtOf = ["17605": "415", "17608": "415", "17700": "416", "17701": "416", "17900": "40"]

        init() throws {
            directory = try TemporaryDirectory()
            let csv = directory.path("units.csv")
            try Self.unitsText.write(toFile: csv, atomically: true, encoding: .utf8)
            let provinceDB = directory.path("province.sqlite")
            try Executables.hub("init", "--db", provinceDB, "--unit", "40", "--name", "Tỉnh Nghệ An").ok(
                "province init")
            try Executables.hub("units", "import", "--db", provinceDB, csv).ok("units")
            province = try HubProcess(database: provinceDB, logFile: directory.path("province.log"))
            for code in ["415", "416"] {
                let enrolment = try Executables.hub("enroll", "--db", provinceDB, "--unit", code, "--kind", "hub").ok()
                    .line
                let db = directory.path("district-\(code).sqlite")
                try Executables.hub(
                    "init", "--db", db, "--name", "District \(code)", "--upstream", province.url, "--enrolment",
                    enrolment
                ).ok("district init")
                try Executables.hub("units", "import", "--db", db, csv).ok()
                districts[code] = try HubProcess(database: db, logFile: directory.path("district-\(code).log"))
            }
            for (commune, parent) in districtOf.sorted(by: { $0.key < $1.key }) {
                let hub = parent == "40" ? province! : districts[parent]!
                let enrolment = try Executables.hub("enroll", "--db", hub.database, "--unit", commune).ok().line
                let dir = directory.path("node-\(commune)")
                try Executables.node("init", "--dir", dir, "--hub", hub.url, "--enrolment", enrolment).ok("node init")
                nodes[commune] = dir
                hubOf[commune] = hub.database
            }
        }

        static var unitsText: String { TopologyTests.units }

        func stop() {
            for hub in districts.values { #expect(hub.stop() == 0, "graceful stop") }
            #expect(province.stop() == 0, "graceful stop")
        }

        /// Runs node syncs and district upstream syncs in a random order until a whole round
        /// moves nothing.
        func syncUntilQuiet(using random: inout SeededGenerator) throws -> Int {
            var rounds = 0
            while rounds < 12 {
                rounds += 1
                var moved = 0
                var steps: [(String, [String])] = nodes.keys.map { ("node", ["sync", "--dir", nodes[$0]!, "--json"]) }
                steps += districts.values.map { ("hub", ["sync-upstream", "--db", $0.database, "--json"]) }
                steps.shuffle(using: &random)
                for (tool, arguments) in steps {
                    let result = try Executables.run("tre-\(tool)", arguments).ok("\(tool) \(arguments[0])")
                    let report =
                        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Int] ?? [:]
                    moved += (report["pushed"] ?? 0) + (report["pulled"] ?? 0)
                }
                if moved == 0 { return rounds }
            }
            throw HarnessError("still moving changes after \(rounds) rounds")
        }

        func nodeHash(_ commune: String) throws -> String {
            try Executables.node("state-hash", "--dir", nodes[commune]!).ok().line
        }

        func hubHash(_ db: String, unit: String) throws -> String {
            try Executables.hub("state-hash", "--db", db, "--unit", unit).ok().line
        }

        func conflicts(node commune: String) throws -> String {
            try Executables.node("conflicts", "--dir", nodes[commune]!, "--json").ok().line
        }

        func conflicts(hub db: String, unit: String) throws -> String {
            let all =
                try JSONSerialization.jsonObject(
                    with: Data(try Executables.hub("conflicts", "--db", db, "--json").ok().stdout.utf8))
                as! [[String: Any]]
            let mine = all.filter { $0["unit"] as? String == unit }
            let data = try JSONSerialization.data(withJSONObject: mine, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    static func normalised(_ json: String) throws -> String {
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return String(
            decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func provinceNightConvergesEverywhere() throws {
        let world = try World()
        defer { world.stop() }
        var random = SeededGenerator(seed: 2026_11_23)
        // Each commune registers children offline.
        var children: [String: [String]] = [:]
        for (commune, dir) in world.nodes {
            for index in 0..<3 {
                let id = try Executables.node(
                    ["record", "put", "--dir", dir, "children", "--unit", commune, "school_status=primary"]
                        + Sample.child("Trẻ \(commune)-\(index)", village: "Thôn \(index)")
                ).ok("put").line
                children[commune, default: []].append(id)
            }
        }
        _ = try world.syncUntilQuiet(using: &random)

        // Offline night: every commune edits; district and province staff edit the same records.
        var planted = 0
        for (commune, ids) in children {
            let dir = world.nodes[commune]!
            try Executables.node(
                "record", "put", "--dir", dir, "children", "--id", ids[0], "school_status=out_of_school"
            ).ok()
            try Executables.node("record", "put", "--dir", dir, "children", "--id", ids[1], "village=Bản Mới").ok()
            let hub = world.hubOf[commune]!
            // Same field as the commune: a true conflict. Another field: merges cleanly.
            try Executables.hub(
                "record", "put", "--db", hub, "children", "--id", ids[0], "school_status=lower_secondary"
            ).ok()
            try Executables.hub("record", "put", "--db", hub, "children", "--id", ids[1], "notes=Huyện đã thăm").ok()
            planted += 1
        }
        // Province staff edit a child of a district's commune: it must reach the commune.
        let provinceDB = world.province.database
        try Executables.hub(
            "record", "put", "--db", provinceDB, "children", "--id", children["17605"]![2], "at_risk=true",
            "at_risk_reason=Cha mẹ đi làm ăn xa"
        ).ok()
        // A child moves from a commune of district 415 to a commune of district 416.
        let moved = children["17608"]![2]
        try Executables.node(
            "record", "put", "--dir", world.nodes["17608"]!, "children", "--id", moved, "--unit", "17700"
        ).ok()

        let rounds = try world.syncUntilQuiet(using: &random)
        #expect(rounds >= 2)

        for commune in world.nodes.keys {
            let node = try world.nodeHash(commune)
            let district = world.districtOf[commune]!
            if district != "40" {
                #expect(
                    try world.hubHash(world.districts[district]!.database, unit: commune) == node,
                    "district \(district) vs \(commune)")
            }
            #expect(try world.hubHash(provinceDB, unit: commune) == node, "province vs \(commune)")
            let nodeConflicts = try Self.normalised(try world.conflicts(node: commune))
            #expect(try world.conflicts(hub: provinceDB, unit: commune) == nodeConflicts)
            let conflictCount = (try JSONSerialization.jsonObject(with: Data(nodeConflicts.utf8)) as! [Any]).count
            #expect(conflictCount == 1, "\(commune) lists \(conflictCount) conflicts")
        }
        for (code, district) in world.districts {
            #expect(try world.hubHash(district.database, unit: code) == world.hubHash(provinceDB, unit: code))
        }
        let total =
            try JSONSerialization.jsonObject(
                with: Data(try Executables.hub("conflicts", "--db", provinceDB, "--json").ok().stdout.utf8)) as! [Any]
        #expect(total.count == planted)

        // The moved child is whole at its new commune, in the other district, with its history.
        let arrived =
            try JSONSerialization.jsonObject(
                with: Data(
                    try Executables.node("record", "get", "--dir", world.nodes["17700"]!, "children", moved, "--json")
                        .ok().stdout.utf8))
            as! [String: Any]
        #expect(arrived["unit"] as? String == "17700")
        let fields = arrived["fields"] as? [String: Any]
        #expect(fields?["full_name"] as? String == "Trẻ 17608-2")
        #expect(fields?["village"] as? String == "Thôn 2")
        // The province's edit reached the commune through its district.
        let edited =
            try JSONSerialization.jsonObject(
                with: Data(
                    try Executables.node(
                        "record", "get", "--dir", world.nodes["17605"]!, "children", children["17605"]![2], "--json"
                    ).ok().stdout.utf8))
            as! [String: Any]
        #expect((edited["fields"] as? [String: Any])?["at_risk"] as? Bool == true)
    }
}

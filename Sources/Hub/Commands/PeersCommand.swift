import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncCore

extension TreHub {
    /// `peers`: the enrolled nodes and lower hubs, the one that has gone longest without a sync
    /// first — what a district officer looks at before phoning a commune.
    struct Peers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show each enrolled node and lower hub: unit, name, last sync and how long ago, longest first.",
            discussion: """
                Revoked peers are left out (`nodes list` shows them). The last sync is the last \
                request the peer signed (a push, a pull or a status), in the local time zone \
                (TZ, else Asia/Ho_Chi_Minh).
                """)

        @OptionGroup var location: HubDatabase
        @OptionGroup var output: OutputOptions
        @Option(help: "Language: vi or en.") var lang: Language = .vi

        func run() throws {
            try reporting(json: output.json) {
                let hub = try location.openHub()
                let now = hub.replica.time.nowMillis()
                let records = try hub.peers()
                let rows = try PeerLag.sorted(
                    records.filter { $0.peer.revokedAt == nil }.map {
                        PeerLag($0, unitName: try hub.unit($0.peer.unit)?.name ?? "", now: now)
                    })
                let revoked = records.count - rows.count
                if output.json {
                    printJSON(rows)
                    return
                }
                print(PeerLag.table(rows, revoked: revoked, lang: lang))
            }
        }
    }
}

/// One peer as `peers` shows it.
struct PeerLag: Encodable {
    let origin: String
    let unit: String
    let unitName: String
    let kind: String
    let name: String
    let enrolledMillis: UInt64
    let lastSyncMillis: UInt64?
    /// Seconds since the last sync (nil: never synced).
    let lagSeconds: UInt64?

    init(_ record: HubStore.PeerRecord, unitName: String, now: UInt64) {
        origin = record.peer.origin.description
        unit = record.peer.unit
        self.unitName = unitName
        kind = record.peer.kind
        name = record.peer.name
        enrolledMillis = record.enrolledAt
        lastSyncMillis = record.lastSeen
        lagSeconds = record.lastSeen.map { now > $0 ? (now - $0) / 1000 : 0 }
    }

    enum Key: String, CodingKey {
        case origin, unit, kind, name
        case unitName = "unit_name"
        case lastSync = "last_sync"
        case lagSeconds = "lag_seconds"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(origin, forKey: .origin)
        try container.encode(unit, forKey: .unit)
        try container.encode(unitName, forKey: .unitName)
        try container.encode(kind, forKey: .kind)
        try container.encode(name, forKey: .name)
        try container.encode(lastSyncMillis.map(formatTime), forKey: .lastSync)
        try container.encode(lagSeconds, forKey: .lagSeconds)
    }

    /// Never synced first (longest enrolled first), then the oldest last sync first.
    static func sorted(_ rows: [PeerLag]) -> [PeerLag] {
        rows.sorted { a, b in
            switch (a.lastSyncMillis, b.lastSyncMillis) {
            case (nil, nil): (a.enrolledMillis, a.origin) < (b.enrolledMillis, b.origin)
            case (nil, _): true
            case (_, nil): false
            case (let x?, let y?): (x, a.origin) < (y, b.origin)
            }
        }
    }

    /// `2 ngày 3 giờ`, `5 giờ 12 phút`, `12 phút` (`2 d 3 h`, `5 h 12 min`, `12 min` in English).
    static func lag(_ seconds: UInt64, _ lang: Language) -> String {
        let (day, hour, minute) = lang == .vi ? ("ngày", "giờ", "phút") : ("d", "h", "min")
        let minutes = seconds / 60
        if minutes < 60 { return "\(minutes) \(minute)" }
        if minutes < 48 * 60 { return "\(minutes / 60) \(hour) \(minutes % 60) \(minute)" }
        return "\(minutes / 1440) \(day) \(minutes % 1440 / 60) \(hour)"
    }

    static func table(_ rows: [PeerLag], revoked: Int, lang: Language) -> String {
        func text(_ vi: String, _ en: String) -> String { Localized(vi: vi, en: en).text(lang) }
        guard !rows.isEmpty else {
            return text(
                "Chưa có máy nào đăng ký ở hub này. Cấp mã cho một xã: tre-hub enroll --db HUB --unit MÃ_XÃ",
                "No node is enrolled at this hub yet. Give a commune a code: tre-hub enroll --db HUB --unit CODE")
        }
        let header = [
            text("MÃ", "UNIT"), text("ĐƠN VỊ", "UNIT NAME"), text("LOẠI", "KIND"), text("TÊN MÁY", "NAME"),
            text("ĐỒNG BỘ LẦN CUỐI", "LAST SYNC"), text("ĐÃ QUA", "LAG"),
        ]
        let never = text("chưa bao giờ", "never")
        // Names came from a peer or a file: printed through terminalSafe, whatever is stored.
        let body = rows.map { row in
            [
                row.unit, row.unitName, row.kind, row.name.isEmpty ? "-" : row.name,
                row.lastSyncMillis.map(displayTime) ?? never, row.lagSeconds.map { lag($0, lang) } ?? "-",
            ].map(terminalSafe)
        }
        let widths = header.indices.map { column in ([header] + body).map { $0[column].count }.max() ?? 0 }
        let lines = ([header] + body).map { cells in
            zip(cells, widths).map { cell, width in cell + String(repeating: " ", count: width - cell.count) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        var result = lines.joined(separator: "\n")
        if revoked > 0 {
            result +=
                "\n"
                + text(
                    "(\(revoked) máy đã bị thu hồi không hiện ở đây: tre-hub nodes list)",
                    "(\(revoked) revoked not shown: tre-hub nodes list)")
        }
        return result
    }
}

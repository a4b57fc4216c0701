import Domain
import Foundation
import SyncCore
import TestSupport
import Testing

/// What someone reading a commune's plain-HTTP link sees of a night's sync: the bytes a proxy
/// between the node and its hub relays, both ways, through the real client and server.
@Suite(.serialized) struct SealedLinkTests {
    @Test func anEavesdropperOnTheLinkSeesNoNameIdOrFieldName() throws {
        let directory = try TemporaryDirectory()
        let (district, hub) = try DistrictHub.start(in: directory)
        defer { hub.stop() }
        let proxy = try FaultProxy(targetPort: hub.port, seed: 1)
        defer { proxy.stop() }
        let node = directory.path("node")
        // Enrolment itself carries the key in clear over plain HTTP (ARCHITECTURE.md says so):
        // the eavesdropper of this test listens from the first sync on.
        try district.node("17605", in: node, url: proxy.url)
        proxy.capture(true)

        // Random ids (not UUIDv7): a UUIDv7 begins with the minute it was made, which it shares
        // with the node's own origin, in clear in every header by design.
        let pushed = RecordID(UUID128(high: 0x6c1e_93a7_52f0_4b8d, low: 0xa3d4_17e9_c20b_58f6))
        let pulled = RecordID(UUID128(high: 0x2b97_e4c0_1d53_4a6e, low: 0x8f02_b6c1_9e47_d35a))
        try Executables.node(
            "record", "put", "--dir", node, "children", "--id", pushed.description, "--unit", "17605",
            "full_name=Hờ Thị Dính", "sex=F", "village=Bản Lầu", "guardian_name=Giàng A Páo",
            "date_of_birth=2014-03-09", "school_status=out_of_school", "notes=Gia đình chuyển lên nương từ tháng 3"
        ).ok()
        try Executables.hub(
            "record", "put", "--db", district.database, "cases", "--id", pulled.description, "--unit", "17605",
            "child_id=\(pushed)", "received_at=2026-10-05T02:30:00Z", "status=received", "case_type=neglect",
            "assigned_worker=Sùng Văn Tủa", "plan=Thăm nhà hàng tuần"
        ).ok()
        let report = try #require(
            try json(try Executables.node("sync", "--dir", node, "--json").ok()) as? [String: Int])
        #expect(report["pushed"] == 1 && report["pulled"] == 1)

        let seen = proxy.capturedBytes
        let text = String(decoding: seen, as: UTF8.self)
        #expect(text.contains("POST /v1/push") && text.contains("GET /v1/pull"), "the proxy saw the sync")
        #expect(seen.count > report["bytes_sent", default: 0] + report["bytes_received", default: 0])
        let secrets =
            Eavesdropper.secrets(
                [
                    "Hờ Thị Dính", "Giàng A Páo", "Sùng Văn Tủa", "Gia đình chuyển lên nương", "Thăm nhà hàng tuần",
                    "2014-03-09", "out_of_school", "neglect", "full_name", "guardian_name", "date_of_birth",
                    "school_status", "assigned_worker", "case_type", "children", "cases",
                ]) + Eavesdropper.secrets(of: pushed) + Eavesdropper.secrets(of: pulled)
        #expect(Eavesdropper.leaks(in: seen, of: secrets, dictionary: WireVocabulary.dictionary.bytes) == [])
        #expect(Eavesdropper.leaks(in: seen, of: secrets, dictionary: nil) == [])
    }
}

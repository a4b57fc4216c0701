import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
import SyncClient
import SyncCore

/// What a node's office configures: who works here and what its roles are called (the ministry
/// in charge changed in 2025 and may change again), and local procedure where the law allows.
enum NodeConfig: String, CaseIterable, ExpressibleByArgument {
    case worker
    case officerTitle = "role.officer"
    case chairmanTitle = "role.chairman"
    case emergencyHours = "deadline.emergency_hours"

    var setting: String { "config.\(rawValue)" }

    var help: Localized {
        switch self {
        case .worker:
            Localized(
                vi: "Tên người làm việc trên máy này (ghi vào mỗi bước xử lý)",
                en: "Who works on this computer (recorded with each step)")
        case .officerTitle:
            Localized(
                vi: "Chức danh người làm công tác bảo vệ trẻ em", en: "Title of the child-protection officer")
        case .chairmanTitle:
            Localized(
                vi: "Chức danh người phê duyệt kế hoạch và đóng hồ sơ", en: "Title of who approves plans and closures")
        case .emergencyHours:
            Localized(
                vi: "Số giờ để can thiệp khẩn cấp khi có nguy hại nghiêm trọng (mặc định 12)",
                en: "Hours to act when serious danger is found (default 12)")
        }
    }

    var defaultValue: String {
        switch self {
        case .worker: ""
        case .officerTitle: RoleTitles.standard.officer.vi
        case .chairmanTitle: RoleTitles.standard.chairman.vi
        case .emergencyHours: String(DeadlineRules.standard.emergencyHours)
        }
    }

    /// The value to store, or a refusal saying what is accepted.
    func check(_ value: String) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces).precomposedStringWithCanonicalMapping
        switch self {
        case .emergencyHours:
            guard let hours = Int(trimmed), (1...72).contains(hours) else {
                throw CommandFailure(
                    code: "bad_value", message: "\"\(value)\" is not a number of hours from 1 to 72",
                    hint: "Nghị định 56/2017 says 12 hours; some procedures say 8.")
            }
            return String(hours)
        default:
            guard !trimmed.isEmpty, trimmed.count <= 100,
                !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw CommandFailure(
                    code: "bad_value", message: "give 1 to 100 characters, on one line",
                    hint: "e.g. \"Chủ tịch UBND xã\".")
            }
            return trimmed
        }
    }
}

extension TreNode {
    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set this office's configuration (worker, role titles, emergency hours).",
            subcommands: [ConfigShow.self, ConfigSet.self, ConfigSetHub.self], defaultSubcommand: ConfigShow.self)
    }

    struct ConfigShow: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the configuration.")

        @OptionGroup var location: NodeDirectory
        @OptionGroup var options: WorkerOptions

        func run() throws {
            try working(options) {
                let replica = try location.open()
                var values: [String: String] = [:]
                var lines: [String] = []
                for key in NodeConfig.allCases {
                    let value = try replica.setting(key.setting) ?? key.defaultValue
                    values[key.rawValue] = value
                    lines.append("\(key.rawValue) = \(value)    # \(key.help.text(options.lang))")
                }
                emit(options, text: lines.joined(separator: "\n"), json: values)
            }
        }
    }

    struct ConfigSet: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set one value, e.g. `config set role.chairman \"Chủ tịch UBND phường\"`.")

        @OptionGroup var location: NodeDirectory
        @OptionGroup var options: WorkerOptions

        @Argument(help: "worker, role.officer, role.chairman or deadline.emergency_hours.")
        var key: NodeConfig

        @Argument var value: String

        func run() throws {
            try working(options) {
                let stored = try key.check(value)
                let replica = try location.open()
                try replica.setSetting(key.setting, stored)
                emit(options, text: "\(key.rawValue) = \(stored)", json: [key.rawValue: stored])
            }
        }
    }
}

extension TreNode {
    /// Moves the node to a new address of its hub (a new server, a new name): the URL only; the
    /// hub's identity and the key stay, so the next sync's signed answers prove the hub at the
    /// new address is the same one — a different hub fails them and nothing changes.
    struct ConfigSetHub: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-hub",
            abstract: "Change the address of this node's hub, e.g. `config set-hub http://kyson.example.vn:8081`.")

        @OptionGroup var location: NodeDirectory
        @OptionGroup var options: WorkerOptions

        @Argument(help: "The hub's new address: http:// or https://, host and port.")
        var url: String

        func run() throws {
            try working(options) {
                let address = try parseHubURL(url)
                // Not while a sync of this node runs: it would finish against the old address.
                let lock = try location.lock(purpose: .sync)
                defer { withExtendedLifetime(lock) {} }
                let replica = try location.open()
                guard let old = try Upstream.load(from: replica) else {
                    throw CommandFailure(
                        code: "no_hub",
                        message: say(options, "nút này chưa đăng ký với huyện nào", "this node is enrolled at no hub"),
                        hint: say(
                            options, "Tạo nút với `tre-node init --hub URL --enrolment MÃ`.",
                            "Create it with `tre-node init --hub URL --enrolment CODE`."))
                }
                try Upstream(url: address, hubOrigin: old.hubOrigin, hubUnit: old.hubUnit, key: old.key).save(
                    to: replica)
                FileHandle.standardError.write(
                    Data(
                        say(
                            options,
                            "lưu ý: địa chỉ mới phải là chính huyện \(old.hubUnit) (định danh \(old.hubOrigin)); "
                                + "lần đồng bộ sau kiểm tra điều đó, một máy chủ khác bị từ chối và không có gì thay đổi\n",
                            "note: the new address must reach the same hub \(old.hubUnit) (origin \(old.hubOrigin)); "
                                + "the next sync proves it, and a different hub is refused with nothing changed\n"
                        ).utf8))
                emit(
                    options, text: "hub = \(address.absoluteString) (\(say(options, "trước đây", "was")) \(old.url))",
                    json: ["hub": address.absoluteString, "previous": old.url.absoluteString])
            }
        }
    }
}

/// The titles of the two roles a case needs, as this office names them.
struct RoleTitles {
    var officer: Localized
    var chairman: Localized

    static let standard = RoleTitles(
        officer: Localized(vi: "Công chức phụ trách công tác trẻ em", en: "Child-protection officer"),
        chairman: Localized(vi: "Chủ tịch UBND xã", en: "Chairman of the commune People's Committee"))

    static func of(_ replica: Replica) throws -> RoleTitles {
        var titles = standard
        if let officer = try replica.setting(NodeConfig.officerTitle.setting) {
            titles.officer = Localized(vi: officer, en: officer)
        }
        if let chairman = try replica.setting(NodeConfig.chairmanTitle.setting) {
            titles.chairman = Localized(vi: chairman, en: chairman)
        }
        return titles
    }
}

import ArgumentParser
import Domain
import Foundation
import ReplicaCommands
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
            subcommands: [ConfigShow.self, ConfigSet.self], defaultSubcommand: ConfigShow.self)
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

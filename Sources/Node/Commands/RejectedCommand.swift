import ArgumentParser
import Foundation
import ReplicaCommands
import SyncCore

extension TreNode {
    /// `rejected`: the node's changes its hub did not accept, in the worker's words.
    struct Rejected: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the changes the district hub did not accept, why, and what to do.",
            subcommands: [RejectedList.self, RejectedDismiss.self], defaultSubcommand: RejectedList.self)
    }

    /// What a worker is told about a refusal: what happened and what to do, in Vietnamese and
    /// in English. Keyed by the hub's refusal code.
    struct Explanation: Encodable {
        let what: String
        let todo: String
        let whatEnglish: String
        let todoEnglish: String

        enum CodingKeys: String, CodingKey {
            case what, todo
            case whatEnglish = "what_en"
            case todoEnglish = "todo_en"
        }

        static func of(_ code: String) -> Explanation {
            switch code {
            case "out_of_scope":
                Explanation(
                    what: "Hồ sơ này không thuộc xã mình vào lúc sửa (trẻ đã chuyển đi hoặc là hồ sơ của xã khác).",
                    todo: "Báo huyện: cán bộ huyện có thể chấp nhận thay đổi này, hoặc báo cho xã đang quản lý trẻ.",
                    whatEnglish:
                        "When it was edited, this record did not belong to this commune (the child moved away, or it is another commune's record).",
                    todoEnglish:
                        "Tell the district: its staff can accept the change, or pass it to the commune that now holds the child."
                )
            case "claims_existing_record":
                Explanation(
                    what: "Huyện đã có một hồ sơ khác trùng mã này; thay đổi sẽ ghi đè lên hồ sơ đó.",
                    todo: "Báo huyện kiểm tra; không nhập lại hồ sơ.",
                    whatEnglish:
                        "The district already holds another record with this id; the change would overwrite it.",
                    todoEnglish: "Ask the district to check it; do not enter the record again.")
            case "future_time":
                Explanation(
                    what: "Đồng hồ của máy này chạy nhanh hơn thực tế khi thay đổi được ghi.",
                    todo: "Chỉnh lại ngày giờ của máy; huyện sẽ nhận lại thay đổi khi đến đúng giờ đó.",
                    whatEnglish: "This computer's clock was ahead of the real time when the change was saved.",
                    todoEnglish:
                        "Set this computer's date and time; the district can take the change again once that time has come."
                )
            case "depends_on_set_aside":
                Explanation(
                    what: "Thay đổi này tiếp nối một thay đổi trước đó của cùng hồ sơ chưa được huyện chấp nhận.",
                    todo: "Xử lý thay đổi trước đó; thay đổi này sẽ được xử lý cùng.",
                    whatEnglish:
                        "This change follows an earlier change of the same record that the district did not accept.",
                    todoEnglish: "Settle the earlier change; this one goes with it.")
            case "invalid_value":
                Explanation(
                    what:
                        "Huyện không nhận giá trị này: trường không có trong mẫu hồ sơ, hoặc giá trị sai kiểu hay "
                        + "không nằm trong danh sách lựa chọn (ví dụ giới tính, ngày sinh, số điện thoại). "
                        + "Dòng \"hub\" cho biết trường nào.",
                    todo:
                        "Sửa lại giá trị đúng trên máy này rồi đồng bộ, và báo huyện kèm mã thay đổi: cán bộ huyện "
                        + "chấp nhận thay đổi cũ để bản đã sửa được áp dụng tiếp theo (các thay đổi sau của hồ sơ "
                        + "này chờ cùng nó).",
                    whatEnglish:
                        "The district did not take this value: the field is not in the record's form, or the value "
                        + "is of the wrong kind or not one of the choices (sex, date of birth, phone number, …). "
                        + "The \"hub\" line names the field.",
                    todoEnglish:
                        "Correct the value on this computer and sync, and tell the district, giving the change's id: "
                        + "its staff accept the old change so that the correction applies after it (the record's "
                        + "later changes wait with it).")
            case "not_permitted":
                Explanation(
                    what: "Máy xã không được tự phê duyệt hay trả lại báo cáo của xã; chỉ được gửi báo cáo.",
                    todo: "Gửi báo cáo bằng `tre-node report submit`; huyện phê duyệt hoặc trả lại.",
                    whatEnglish: "A commune's node may not approve or return the commune's report; it only submits it.",
                    todoEnglish: "Submit it with `tre-node report submit`; the district approves or returns it.")
            case "forged_origin":
                Explanation(
                    what: "Thay đổi này không được ghi trên máy này.",
                    todo: "Báo ngay cho bộ phận tin học của huyện.",
                    whatEnglish: "This change was not made on this computer.",
                    todoEnglish: "Tell the district's IT staff at once.")
            default:
                Explanation(
                    what: "Huyện không chấp nhận thay đổi này (mã \(code)).",
                    todo: "Báo huyện kèm mã thay đổi.",
                    whatEnglish: "The district did not accept this change (code \(code)).",
                    todoEnglish: "Tell the district, giving the change's id.")
            }
        }
    }

    struct RejectedRow: Encodable {
        let change: String
        let collection: String
        let record: String
        let fields: [String]
        let code: String
        let reason: String
        let at: String
        let explanation: Explanation
    }

    struct RejectedList: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the changes the hub did not accept (the default).")

        @OptionGroup var location: NodeDirectory
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reporting(json: output.json) {
                let rows = try location.open().setAsideEntries().map { entry in
                    RejectedRow(
                        change: entry.change.dot.description, collection: entry.change.collection,
                        record: entry.change.record.description, fields: entry.change.set.keys, code: entry.code,
                        reason: entry.detail, at: formatTime(entry.atMillis), explanation: .of(entry.code))
                }
                if output.json {
                    printJSON(rows)
                    return
                }
                if rows.isEmpty {
                    print("Huyện đã nhận mọi thay đổi. / The hub accepted every change.")
                    return
                }
                for row in rows {
                    print(
                        """
                        \(row.collection) \(row.record)  (thay đổi / change \(row.change), \(displayTime(row.at)))
                          trường / fields: \(row.fields.joined(separator: ", "))
                          \(row.explanation.what)
                          → \(row.explanation.todo)
                          \(row.explanation.whatEnglish)
                          → \(row.explanation.todoEnglish)
                          hub: \(row.reason)
                        """)
                }
            }
        }
    }

    struct RejectedDismiss: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dismiss",
            abstract: "Take changes off the list once they are dealt with (the record stays as it is here).")

        @OptionGroup var location: NodeDirectory
        @OptionGroup var output: OutputOptions

        @Argument(help: "The changes to dismiss, as listed (ORIGIN@COUNTER).")
        var changes: [String] = []

        @Flag(help: "Dismiss every listed change.")
        var all = false

        func validate() throws {
            if changes.isEmpty != all { throw ValidationError("Give the changes to dismiss, or --all.") }
        }

        func run() throws {
            try reporting(json: output.json) {
                let replica = try location.open()
                let listed = Set(try replica.setAsideEntries(limit: .max).map(\.change.dot))
                var dots = Set<Dot>()
                for text in changes {
                    guard let dot = Dot(text), listed.contains(dot) else {
                        throw CommandFailure(
                            code: "not_listed", message: "\(text) is not a change on the list",
                            hint: "`tre-node rejected` lists them; copy the change's id as shown.")
                    }
                    dots.insert(dot)
                }
                let removed = try replica.discardSetAside(all ? listed : dots)
                if output.json { printJSON(["dismissed": removed]) } else { print("dismissed \(removed)") }
            }
        }
    }
}

import Foundation
import TestSupport
import Testing

/// The worker's page in a real browser: headless Chromium driven over WebDriver walks a
/// worker's day against the built `tre-node ui` of a node enrolled at a live district hub —
/// unlock, find a child typed without diacritics, record a 111 call, open a case, advance it,
/// see the deadline on the home page, resolve a conflict, sync — and checks each page, its
/// size and load time, the headers that protect it, and that no name reaches a URL, a title
/// or the log. Screenshots go to `.build/ui-screenshots/`.
@Suite(.serialized) struct BrowserTests {
    static let passphrase = "bốn từ dễ nhớ khó đoán"

    /// `.build/ui-screenshots`, beside the built products.
    static let screenshots: String = {
        var directory = Executables.binDirectory
        while directory.lastPathComponent != ".build" && directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        let folder = directory.appendingPathComponent("ui-screenshots").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()

    @Test func aWorkersDayInTheBrowser() throws {
        let directory = try TemporaryDirectory()
        let (hub, hubProcess) = try DistrictHub.start(in: directory)
        defer { hubProcess.stop() }
        let dir = directory.path("commune")
        let secret = ["TRE_PASSPHRASE": Self.passphrase]
        func node(_ arguments: String...) throws -> String {
            try Executables.run("tre-node", arguments + ["--dir", dir], environment: secret).ok(
                arguments.joined(separator: " ")
            ).line
        }
        try Executables.run(
            "tre-node", ["init", "--dir", dir, "--hub", hubProcess.url, "--enrolment", try hub.enrolment("17605")],
            environment: secret
        ).ok("init")
        let child = try node(
            "child", "add", "--name", "Đặng Văn Đức", "--sex", "M", "--born", "05/09/2016", "--village", "Bản Pha",
            "--household", "Đặng Văn Hùng", "--caregiver", "Đặng Thị Hoa;mother;0912345678", "--group", "d:01/02/2024")
        _ = try node(
            "child", "add", "--name", "Lò Thị Mai", "--sex", "F", "--born", "01/03/2015", "--village", "Bản Mòn")
        // A conflict waiting for a person: the district and the commune change the same field apart.
        _ = try node("sync")
        try Executables.hub(
            "record", "put", "--db", hub.database, "children", "--id", child, "school_status=out_of_school"
        ).ok()
        _ = try node("child", "edit", child, "--school", "primary")
        _ = try node("sync")
        // The commune's half-year report, submitted and returned by the district with a reason.
        _ = try node("report", "submit", "--period", "2026-H2")
        _ = try node("sync")
        try Executables.hub(
            "report", "return", "--db", hub.database, "--unit", "17605", "--period", "2026-H2", "--reason",
            "Thiếu số liệu thôn Bản Pha", "--by", "Trưởng phòng LĐTBXH"
        ).ok()
        _ = try node("sync")

        let ui = try UIProcess(dir: dir, log: directory.path("ui.log"))
        defer { ui.stop() }
        let browser = try WebDriver(log: directory.path("chromedriver.log"))
        defer { browser.quit() }
        var measures: [(String, PageMeasure)] = []
        func shot(_ name: String) throws {
            try browser.screenshot(to: Self.screenshots + "/\(name).png")
        }
        func measure(_ name: String) throws {
            measures.append((name, try PageMeasure.of(browser)))
            // No name in the address or the title of any page.
            let url = try browser.url
            let title = try browser.title
            for name in ["Đặng", "Dang", "dang", "Đức", "Hoa", "Mai"] {
                #expect(!url.contains(name) && !title.contains(name), "\(url) \(title)")
            }
        }

        // Unlock: the worker's name and the passphrase.
        try browser.go(ui.url + "/")
        try measure("unlock")
        try shot("01-unlock")
        #expect(try browser.title == "Mở khóa — Tre")
        try browser.type("#f-worker", "Lò Văn Sáng")
        try browser.type("#f-passphrase", Self.passphrase)
        try browser.click("button[type=submit]")
        #expect(try browser.title(becoming: "Việc hôm nay — Tre") == "Việc hôm nay — Tre")
        try measure("home+unlock")  // the unlock's POST (scrypt) and redirect included
        // Every address of the session is under its key, `/s/KEY/`: the cookie alone opens nothing.
        var site = String(try browser.url.dropLast())
        #expect(site.firstMatch(of: /^http:\/\/127\.0\.0\.1:[0-9]+\/s\/[0-9a-f]{32}$/) != nil, "\(site)")
        try shot("02-home")
        #expect(try browser.mainText.contains("Xung đột chờ quyết định"))
        #expect(try browser.mainText.contains("1 hồ sơ có xung đột"))
        // The report the district returned, with its reason and a link to the indicators.
        let returned = try browser.text("ul.returned")
        #expect(returned.contains("Báo cáo của xã") && returned.contains("Thiếu số liệu thôn Bản Pha"), "\(returned)")
        #expect(returned.contains("Trưởng phòng LĐTBXH"))
        // The sync state in words: sent to the district, nothing waiting.
        #expect(try browser.text("#sync-summary").hasPrefix("Mọi thay đổi đã gửi lên huyện (lần gần nhất lúc "))

        // Another user's server on another port of 127.0.0.1 gets the session cookie as soon as the
        // browser opens its page (cookies are not kept apart by port); replayed, it opens nothing.
        let catcher = try CookieCatcher()
        defer { catcher.stop() }
        try browser.go("http://127.0.0.1:\(catcher.port)/")
        let stolen = catcher.headers()["cookie"] ?? ""
        #expect(stolen.contains("tre_session_\(ui.port)="), "\(stolen)")
        #expect(!stolen.contains(String(site.split(separator: "/").last ?? "-")))
        let replayed = ["Cookie": stolen, "Origin": "http://127.0.0.1:\(ui.port)", "Sec-Fetch-Site": "same-origin"]
        for path in ["/", "/search", "/registry", "/conflicts"] {
            let replay = try HTTP.send("GET", port: ui.port, path: path, headers: replayed)
            let text = String(decoding: replay.body, as: UTF8.self)
            #expect(
                !text.contains("Lò Văn Sáng") && !text.contains("Đặng") && !text.contains("name=\"csrf\""), "\(path)")
        }
        try browser.go(site + "/")
        #expect(try browser.title(becoming: "Việc hôm nay — Tre") == "Việc hôm nay — Tre")

        // Keyboard: the first Tab reaches the skip link, visibly focused.
        let focused = try browser.tab()
        #expect(focused.contains("Tới nội dung"), "\(focused)")

        // Find a child typed without diacritics, `d` for `đ`.
        try browser.go(site + "/search")
        try browser.type("#f-q", "dang van duc")
        try browser.click("#search button[type=submit]")
        #expect(try browser.text("main", containing: "Kết quả").contains("Đặng Văn Đức"))
        try measure("search")
        try shot("03-search")
        #expect(try browser.url == site + "/search")
        try browser.click("main table a")
        try measure("child")
        try shot("04-child")
        #expect(try browser.title(becoming: "Hồ sơ trẻ em — Tre") == "Hồ sơ trẻ em — Tre")
        let profile = try browser.mainText
        #expect(
            profile.contains("Đặng Văn Đức") && profile.contains("Đặng Thị Hoa") && profile.contains("Khuyết tật"),
            "\(profile)")

        // A 111 call (Mẫu 01): a refusal beside its field first, then saved.
        try browser.click("a.button")
        try measure("intake")
        try browser.click("#f-source option[value=hotline_111]")
        try browser.type("#f-description", "Hàng xóm báo cháu bị đánh")
        try browser.click("#submit-intake")
        #expect(try browser.text("fieldset.invalid", containing: "Hình thức xâm hại").contains("Hình thức xâm hại"))
        try shot("05-intake-refused")
        try browser.click("input[name=abuse_types][value=violence]")
        try browser.click("#f-setting option[value=family]")
        try browser.click("#submit-intake")
        #expect(try browser.text("main", containing: "Đã lưu phiếu tiếp nhận").contains("Đã lưu phiếu tiếp nhận"))

        // Open the case and advance it: serious danger starts the 12-hour emergency deadline.
        try browser.click("form[action$='/cases'] button")
        #expect(try browser.text("#case-state", containing: "Tiếp nhận") == "Tiếp nhận")
        try measure("case")
        try browser.click("details.step summary")
        try browser.click("#f-serious_danger option[value=yes]")
        try browser.click("#act-assess_initial")
        #expect(try browser.text("#case-state", containing: "Đánh giá ban đầu") == "Đánh giá ban đầu")
        try shot("06-case")
        let casePage = try browser.mainText
        #expect(casePage.contains("12 giờ") || casePage.contains("khẩn cấp"), "\(casePage)")

        // The deadline on the home page.
        try browser.go(site + "/")
        try measure("home")
        let tasks = try browser.text("ul.tasks")
        #expect(tasks.contains("Đặng Văn Đức"), "\(tasks)")
        try shot("07-home-deadline")

        // The conflict: both values side by side with who and when; the district's kept.
        try browser.go(site + "/conflicts")
        try measure("conflicts")
        try shot("08-conflict")
        let sides = try browser.text(".sides")
        #expect(sides.contains("Tiểu học") && sides.contains("Bỏ học"), "\(sides)")
        // Who: the district's value is the hub's (no person in the change log); the commune's
        // was typed by the command line with no worker configured: said so.
        #expect(
            sides.contains("Huyện (415); không ghi tên người") && sides.contains("máy này (")
                && sides.contains("không ghi tên người"), "\(sides)")
        try browser.click("input[name=choice][value='0']")
        try browser.click(".conflict button[type=submit]")
        #expect(try browser.text("main", containing: "Không có xung đột nào").contains("Không có xung đột nào"))

        // Sync now: everything waiting goes to the district.
        try browser.go(site + "/")
        try browser.click("#sync-now")
        let synced = try browser.text(".flash", containing: "Đã gửi lên huyện lúc", timeout: 60)
        #expect(synced.hasPrefix("Đã gửi lên huyện lúc ") && synced.contains("không còn gì chờ gửi"), "\(synced)")
        #expect(try browser.text("#waiting") == "0")
        #expect(try browser.text("#sync-summary").hasPrefix("Mọi thay đổi đã gửi lên huyện"))
        try shot("09-synced")

        // The registry, village → household → child, by clicks (positions in the URL, no name).
        try browser.go(site + "/registry")
        try measure("registry")
        #expect(try browser.mainText.contains("Bản Pha") && browser.mainText.contains("Bản Mòn"))
        try shot("13-registry-villages")
        try browser.click("ul.cards a[href$='/registry/1']")  // "ban mon" < "ban pha": Bản Pha second
        #expect(try browser.title(becoming: "Thôn, bản — Tre") == "Thôn, bản — Tre")
        try measure("village")
        #expect(try browser.text("ul.cards").contains("Đặng Văn Hùng"))
        try shot("14-registry-households")
        try browser.click("ul.cards a")
        #expect(try browser.title(becoming: "Hộ gia đình — Tre") == "Hộ gia đình — Tre")
        try measure("household")
        #expect(try browser.text("main table").contains("Đặng Văn Đức"))
        try shot("15-registry-household")
        try browser.click("main table a")
        #expect(try browser.title(becoming: "Hồ sơ trẻ em — Tre") == "Hồ sơ trẻ em — Tre")
        #expect(try browser.url == site + "/children/" + child)
        try browser.go(site + "/report")
        try measure("report")
        #expect(try browser.mainText.contains("0101"))
        try shot("10-report")
        try browser.go(site + "/activities")
        try measure("activities")
        site = try approvalLoop(browser, ui: ui, site: site, child: child, shot: shot, measure: measure)
        try browser.go(site + "/")
        try browser.click(".who button[lang=en]")
        #expect(try browser.title(becoming: "Today's tasks — Tre") == "Today's tasks — Tre")
        try shot("11-home-english")

        // A phone-sized screen.
        try browser.windowSize(width: 390, height: 844)
        try browser.go(site + "/cases/" + (try caseID(browser: browser, site: site, child: child)))
        try shot("12-phone-case")

        // Someone guessing the passphrase at the unlock page: after 5 wrong tries the page says
        // when to try again (the open session is not touched).
        try browser.go(ui.url + "/")
        for attempt in 0..<6 {
            try browser.type("#f-worker", "Người lạ")
            try browser.type("#f-passphrase", "đoán \(attempt)")
            _ = try browser.script("document.body.dataset.before='1'")
            try browser.click("main form[action='/unlock'] button[type=submit]")
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let loaded =
                    try? browser.script(
                        "return !!document.body && !document.body.dataset.before && document.readyState=='complete'")
                if loaded as? Bool == true { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        let waiting = try browser.text("p.error", containing: "thử lại sau")
        #expect(waiting.hasPrefix("Đã nhập sai mật khẩu 5 lần.") && waiting.contains("(lúc "), "\(waiting)")
        try shot("19-phone-unlock-waiting")
        try browser.go(site + "/")
        #expect(try browser.title(becoming: "Today's tasks — Tre") == "Today's tasks — Tre")

        // What the page refuses: a form from another origin, a request naming another host.
        let forged = try HTTP.send("POST", port: ui.port, path: "/sync", headers: ["Origin": "http://evil.example"])
        #expect(forged.status == 403)
        let rebound = try HTTP.send("GET", port: ui.port, path: "/", headers: ["Host": "evil.example:\(ui.port)"])
        #expect(rebound.status == 403)
        // Every page carries the headers that keep it out of frames, caches and referrers.
        let page = try HTTP.send("GET", port: ui.port, path: "/")
        #expect(
            page.headers["content-security-policy"]?.hasPrefix("default-src 'self'; frame-ancestors 'none'") == true)
        #expect(page.headers["x-content-type-options"] == "nosniff" && page.headers["referrer-policy"] == "no-referrer")
        #expect(page.headers["cache-control"] == "no-store")

        print("page          bytes (HTML)  load ms  (with CSS and JS: bytes)")
        for (name, measure) in measures {
            print(
                name.padding(toLength: 14, withPad: " ", startingAt: 0)
                    + String(measure.htmlBytes).padding(toLength: 14, withPad: " ", startingAt: 0)
                    + String(format: "%7.1f", measure.loadMillis) + "  \(measure.totalBytes)")
            #expect(measure.htmlBytes < 60_000, "\(name) is \(measure.htmlBytes) bytes")
        }
        // The log says method, path template and status: never a name or a search.
        let log = try String(contentsOfFile: directory.path("ui.log"), encoding: .utf8)
        for name in ["Đặng", "dang van duc", "Hoa", "Lò Văn Sáng"] { #expect(!log.contains(name), "\(log)") }
        #expect(log.contains("GET /cases/:id 200"))
        // Typing is use: Chromium ran the page's script (under the CSP) and told the session.
        #expect(log.contains("POST /alive 204"), "\(log)")
    }

    /// Unlocks the page as `worker` (after a Khóa) and gives the new session's address.
    func unlock(_ browser: WebDriver, ui: UIProcess, as worker: String) throws -> String {
        try browser.go(ui.url + "/")
        try browser.type("#f-worker", worker)
        try browser.type("#f-passphrase", Self.passphrase)
        try browser.click("button[type=submit]")
        #expect(try browser.title(becoming: "Việc hôm nay — Tre") == "Việc hôm nay — Tre")
        return String(try browser.url.dropLast())
    }

    /// The approval loop in the browser on the child's case: the emergency step and the detailed
    /// assessment; the support plan kept as a draft across a reload, then submitted; the chairman
    /// (unlocked under their own name after Khóa) returns it with a reason, which the officer's
    /// home page shows with a link; resubmitted, approved. Gives the last session's address.
    func approvalLoop(
        _ browser: WebDriver, ui: UIProcess, site: String, child: String, shot: (String) throws -> Void,
        measure: (String) throws -> Void
    ) throws -> String {
        let caseURL = site + "/cases/" + (try caseID(browser: browser, site: site, child: child))
        try browser.go(caseURL)
        func step(_ action: String, _ state: String) throws {
            try browser.click("details.step:has(#act-\(action)) summary")
            try browser.click("#act-\(action)")
            #expect(try browser.text("#case-state", containing: state) == state)
        }
        try step("emergency", "Can thiệp khẩn cấp")
        try step("assess_detailed", "Đánh giá cụ thể")
        // The plan: goals and a first action, saved as a draft; a reload brings it back.
        try browser.click("details.step:has(#act-draft_plan) summary")
        try browser.type("#f-goals", "Trẻ an toàn ở nhà, đi học đều")
        try browser.type("details.step:has(#act-draft_plan) input[name=service]", "Tư vấn tâm lý cho gia đình")
        try browser.type("details.step:has(#act-draft_plan) input[name=responsible]", "Trạm y tế xã")
        try browser.type("details.step:has(#act-draft_plan) input[name=due]", "20/12/2026")
        try browser.click("#draft-draft_plan")
        #expect(try browser.text(".flash", containing: "Đã lưu nháp").contains("Đã lưu nháp"))
        try browser.go(caseURL)
        let kept = try browser.script("return document.querySelector('#f-goals').value") as? String
        #expect(kept == "Trẻ an toàn ở nhà, đi học đều")
        #expect(try browser.text("p.draft").contains("bản nháp"))
        try shot("16-plan-draft")
        try browser.click("details.step:has(#act-draft_plan) input[name=submit]")
        try browser.click("#act-draft_plan")
        #expect(
            try browser.text("#case-state", containing: "Chờ Chủ tịch phê duyệt").contains("Chờ Chủ tịch phê duyệt"))
        // The chairman returns it with a reason.
        try browser.click(".who form[action$='/logout'] button")
        var site = try unlock(browser, ui: ui, as: "Giàng A Pao")
        try browser.go(site + "/cases/" + caseURL.split(separator: "/").last!)
        try browser.click("details.step:has(#act-return_plan) summary")
        try browser.type("details.step:has(#act-return_plan) #f-reason", "Thiếu người phụ trách từng việc")
        try browser.click("#act-return_plan")
        #expect(try browser.text("#case-state", containing: "Xây dựng kế hoạch").contains("Xây dựng kế hoạch"))
        try browser.click(".who form[action$='/logout'] button")
        // The officer sees it returned, with the reason, and follows the link to resubmit.
        site = try unlock(browser, ui: ui, as: "Lò Văn Sáng")
        let returned = try browser.text("ul.returned")
        #expect(returned.contains("Thiếu người phụ trách từng việc"), "\(returned)")
        try shot("17-home-plan-returned")
        try browser.click("ul.returned a[href*='/cases/']")
        try measure("case-returned")
        try browser.click("details.step:has(#act-draft_plan) summary")
        try browser.type("#f-goals", "Trẻ an toàn ở nhà, đi học đều; gia đình được tư vấn")
        try browser.type("details.step:has(#act-draft_plan) input[name=service]", "Tư vấn tâm lý cho gia đình")
        try browser.type("details.step:has(#act-draft_plan) input[name=responsible]", "Cán bộ LĐTBXH xã")
        try browser.type("details.step:has(#act-draft_plan) input[name=due]", "20/12/2026")
        try browser.click("details.step:has(#act-draft_plan) input[name=submit]")
        try browser.click("#act-draft_plan")
        #expect(
            try browser.text("#case-state", containing: "Chờ Chủ tịch phê duyệt").contains("Chờ Chủ tịch phê duyệt"))
        try browser.click(".who form[action$='/logout'] button")
        // The chairman approves.
        site = try unlock(browser, ui: ui, as: "Giàng A Pao")
        try browser.go(site + "/cases/" + caseURL.split(separator: "/").last!)
        try browser.click("details.step:has(#act-approve_plan) summary")
        try browser.click("#act-approve_plan")
        #expect(try browser.text("#case-state", containing: "Thực hiện kế hoạch") == "Thực hiện kế hoạch")
        try shot("18-plan-approved")
        let history = try browser.mainText
        #expect(history.contains("Giàng A Pao") && history.contains("Lò Văn Sáng"))
        return site
    }

    /// The id of the child's case, read from the child's page.
    func caseID(browser: WebDriver, site: String, child: String) throws -> String {
        try browser.go(site + "/children/" + child)
        let href = try browser.script("return document.querySelector('.case a').getAttribute('href')") as? String ?? ""
        return String(href.split(separator: "/").last ?? "")
    }
}

/// A page's weight and time, from the browser's Navigation and Resource Timing.
struct PageMeasure {
    let htmlBytes: Int
    let totalBytes: Int
    let loadMillis: Double

    static func of(_ browser: WebDriver) throws -> PageMeasure {
        let value = try browser.script(
            """
            var n=performance.getEntriesByType('navigation')[0];
            var r=performance.getEntriesByType('resource').reduce(function(s,e){return s+(e.decodedBodySize||0)},0);
            return [n.decodedBodySize, n.decodedBodySize + r, (n.loadEventEnd||n.domContentLoadedEventEnd) - n.startTime];
            """)
        let numbers = (value as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? 0 }
        guard numbers.count == 3 else { throw HarnessError("no navigation timing: \(value)") }
        return PageMeasure(htmlBytes: Int(numbers[0]), totalBytes: Int(numbers[1]), loadMillis: numbers[2])
    }
}

/// `tre-node ui` running as its own process on 127.0.0.1, on a port it picked.
final class UIProcess: @unchecked Sendable {
    let process = Process()
    let url: String
    let port: Int

    init(dir: String, log: String, extra: [String] = []) throws {
        process.executableURL = Executables.binDirectory.appendingPathComponent("tre-node")
        process.arguments = ["ui", "--dir", dir, "--host", "127.0.0.1", "--port", "0"] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["TRE_PASSPHRASE"] = nil
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        let reader = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(30)
        while !line.contains(UInt8(ascii: "\n")) && Date() < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://127.0.0.1:[0-9]+", options: .regularExpression) else {
            process.terminate()
            throw HarnessError("tre-node ui did not start: \(text)")
        }
        url = String(text[range])
        port = Int(url.split(separator: ":").last!)!
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

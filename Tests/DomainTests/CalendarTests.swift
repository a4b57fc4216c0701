import Domain
import Foundation
import Testing

@Suite struct LocalDateTests {
    @Test(arguments: ["2026-04-24", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31", "2026-12-31"])
    func isoDaysThatExistRoundTrip(text: String) throws {
        let date = try #require(LocalDate(iso: text))
        #expect(date.description == text)
    }

    @Test(arguments: [
        "2030-13-45", "2025-02-29", "1900-02-29", "2026-04-31", "2026-00-10", "2026-01-00", "2026-4-24",
        "26-04-24", " 2026-04-24", "2026-04-24 ", "2026/04/24", "2026-04-24x", "", "abcd-ef-gh", "+026-04-24",
        "0000-01-01",
    ])
    func isoRefusesWhatIsNotAnExistingDay(text: String) {
        #expect(LocalDate(iso: text) == nil)
    }

    @Test func displayIsDayMonthYear() throws {
        #expect(day("2026-04-24").display == "24/04/2026")
        #expect(day("2027-01-05").display == "05/01/2027")
        #expect(LocalDate(display: "24/04/2026") == day("2026-04-24"))
        #expect(LocalDate(display: "4/5/2026") == day("2026-05-04"))
        #expect(LocalDate(display: "04/5/2026") == day("2026-05-04"))
        #expect(LocalDate(display: "29/02/2024") == day("2024-02-29"))
        for text in [
            "29/02/2025", "32/01/2026", "24-04-2026", "24/04/26", "2026-04-24", "24/04/2026/", "/04/2026",
            "024/04/2026", "24/13/2026", " 24/04/2026", "",
        ] {
            #expect(LocalDate(display: text) == nil, "\(text)")
        }
    }

    @Test func weekdaysOfKnownDays() {
        #expect(day("1970-01-01").weekday == .thursday)
        #expect(day("2000-02-29").weekday == .tuesday)
        #expect(day("2026-04-24").weekday == .friday)
        #expect(day("2026-04-26").weekday == .sunday)
        #expect(day("2025-04-26").weekday == .saturday)
        #expect(day("1969-12-31").weekday == .wednesday)
        #expect(Weekday.sunday.isWeekend && Weekday.saturday.isWeekend && !Weekday.friday.isWeekend)
        #expect(Weekday.sunday.label.vi == "Chủ nhật")
    }

    @Test func addingDaysCrossesMonthsYearsAndLeapDays() {
        #expect(day("2026-04-24").adding(days: 14) == day("2026-05-08"))
        #expect(day("2026-12-31").adding(days: 1) == day("2027-01-01"))
        #expect(day("2024-02-28").adding(days: 1) == day("2024-02-29"))
        #expect(day("2025-02-28").adding(days: 1) == day("2025-03-01"))
        #expect(day("2026-03-01").adding(days: -1) == day("2026-02-28"))
        #expect(day("1970-01-01").adding(days: -1) == day("1969-12-31"))
        #expect(day("2026-04-24").days(to: day("2026-05-06")) == 12)
        #expect(day("2026-04-24") < day("2026-05-01") && day("2025-12-31") < day("2026-01-01"))
    }

    @Test func theLocalDayIsVietnams() {
        #expect(LocalDate.today(at: moment("2026-04-23T17:00:00Z")) == day("2026-04-24"))
        #expect(LocalDate.today(at: moment("2026-04-23T16:59:59Z")) == day("2026-04-23"))
        #expect(LocalDate.today(at: moment("2026-04-24T23:59:59+07:00")) == day("2026-04-24"))
        #expect(day("2026-04-24").start() == moment("2026-04-24T00:00:00+07:00"))
        #expect(day("2026-04-24").end() == moment("2026-04-24T23:59:59+07:00"))
        #expect(day("1969-12-31").start() == moment("1969-12-30T17:00:00Z"))
    }

    @Test func codableAsIsoText() throws {
        let data = try JSONEncoder().encode([day("2026-04-24")])
        #expect(String(decoding: data, as: UTF8.self) == "[\"2026-04-24\"]")
        #expect(try JSONDecoder().decode([LocalDate].self, from: data) == [day("2026-04-24")])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([LocalDate].self, from: Data("[\"2025-02-29\"]".utf8))
        }
    }
}

@Suite struct InstantTests {
    @Test func formatsInUtcToTheSecond() {
        #expect(Instant.format(moment("2026-12-02T02:30:00Z")) == "2026-12-02T02:30:00Z")
        #expect(Instant.format(moment("2026-12-02T09:30:00+07:00")) == "2026-12-02T02:30:00Z")
        #expect(Instant.format(moment("2026-12-02T02:30:00Z").addingTimeInterval(0.75)) == "2026-12-02T02:30:00Z")
        #expect(Instant.format(moment("1969-12-31T23:59:59Z")) == "1969-12-31T23:59:59Z")
    }

    @Test func parsesStrictlyWithZOrAnOffset() throws {
        let expected = moment("2026-12-02T02:30:00Z")
        #expect(Instant.parse("2026-12-02T02:30:00Z") == expected)
        #expect(Instant.parse("2026-12-02T09:30:00+07:00") == expected)
        #expect(Instant.parse("2026-12-01T21:00:00-05:30") == expected)
        let fraction = try #require(Instant.parse("2026-12-02T02:30:00.250Z"))
        #expect(abs(fraction.timeIntervalSince(expected) - 0.25) < 0.000_1)
        for text in [
            "2026-12-02 02:30:00Z", "2026-12-02T02:30:00", "2026-13-02T02:30:00Z", "2026-12-02T24:00:00Z",
            "2026-12-02T02:60:00Z", "2026-12-02T02:30:60Z", "2026-12-02T02:30:00+0700", "2026-12-02T02:30:00+07",
            "2026-12-02T02:30:00z", "2026-12-02T02:30Z", "2026-12-02T02:30:00.Z", "2026-12-02T02:30:00ZZ",
            "2026-12-02T02:30:00+24:00", "2026-02-30T02:30:00Z", "", "2026-12-02t02:30:00Z",
        ] {
            #expect(Instant.parse(text) == nil, "\(text)")
        }
    }

    @Test func formatThenParseGivesTheSameSecond() throws {
        for text in ["2026-12-02T02:30:00Z", "1970-01-01T00:00:00Z", "2024-02-29T23:59:59Z", "9999-12-31T23:59:59Z"] {
            let parsed = try #require(Instant.parse(text))
            #expect(Instant.format(parsed) == text)
        }
    }

    @Test func displaysInVietnamsTime() {
        // Vietnam's zone (nil) whatever TZ the tests run with.
        #expect(Instant.display(moment("2026-12-02T02:30:00Z"), zone: nil) == "02/12/2026 09:30")
        #expect(Instant.display(moment("2026-12-31T17:05:00Z"), zone: nil) == "01/01/2027 00:05")
        // As the commands show it when TZ is unset (or empty).
        if ProcessInfo.processInfo.environment["TZ"] ?? "" == "" {
            #expect(Instant.display(moment("2026-12-02T02:30:00Z")) == "02/12/2026 09:30")
        }
    }

    @Test func theZoneOfTZ() throws {
        // Unset, empty or Vietnam's own names: Vietnam's time, needing no time-zone data.
        for tz in [nil, "", "Asia/Ho_Chi_Minh", ":Asia/Saigon"] { #expect(Instant.zone(named: tz) == nil) }
        for tz in ["UTC", ":UTC", "Etc/UTC", "GMT"] {
            let zone = try #require(Instant.zone(named: tz))
            #expect(Instant.display(moment("2026-12-31T17:05:00Z"), zone: zone) == "31/12/2026 17:05")
        }
        #expect(
            Instant.display(moment("2026-12-02T02:30:00Z"), zone: TimeZone(secondsFromGMT: -5 * 3600))
                == "01/12/2026 21:30")
    }
}

@Suite struct WorkingCalendarTests {
    let standard = WorkingCalendar.standard

    @Test func theEmbeddedYearsParseAndAreKnown() throws {
        #expect(try WorkingCalendar(parsing: WorkingCalendar.embeddedFiles) == standard)
        #expect(standard.knownYears == [2025, 2026, 2027])
        #expect(standard.knows(year: 2026) && !standard.knows(year: 2028) && !standard.knows(year: 2024))
        #expect(WorkingCalendar.embeddedFiles[2027]!.contains("PROVISIONAL"))
        for year in [2025, 2026, 2027] {
            #expect(WorkingCalendar.embeddedFiles[year]!.contains("Check against the official decision"))
        }
    }

    @Test(arguments: [
        // 2025: Tết 25/1–2/2, Giỗ Tổ 7/4, 30/4–4/5 with Friday 2/5 swapped against Saturday 26/4,
        // Quốc khánh 30/8–2/9.
        ("2025-01-01", false), ("2025-01-24", true), ("2025-01-27", false), ("2025-01-31", false),
        ("2025-02-03", true), ("2025-04-07", false), ("2025-04-26", true), ("2025-04-27", false),
        ("2025-04-30", false), ("2025-05-01", false), ("2025-05-02", false), ("2025-05-05", true),
        ("2025-09-01", false), ("2025-09-02", false), ("2025-09-03", true),
        // 2026: Tết 14/2–22/2, Giỗ Tổ on Sunday 26/4 with Monday 27/4 off, 30/4, 1/5, 1/9–2/9.
        ("2026-01-01", false), ("2026-01-02", true), ("2026-02-13", true), ("2026-02-16", false),
        ("2026-02-20", false), ("2026-02-23", true), ("2026-04-24", true), ("2026-04-27", false),
        ("2026-04-28", true), ("2026-04-30", false), ("2026-05-01", false), ("2026-05-04", true),
        ("2026-08-31", true), ("2026-09-01", false), ("2026-09-02", false), ("2026-09-03", true),
        // 2027 (provisional): Tết 4/2–10/2, Giỗ Tổ Friday 16/4, 1/5 on Saturday with Monday 3/5 off.
        ("2027-01-01", false), ("2027-02-04", false), ("2027-02-10", false), ("2027-02-11", true),
        ("2027-04-16", false), ("2027-05-03", false), ("2027-09-03", false),
        // A year without a file: weekends only.
        ("2028-01-03", true), ("2028-01-01", false), ("2028-05-01", true),
    ])
    func workingDays(text: String, working: Bool) {
        #expect(standard.isWorkingDay(day(text)) == working)
    }

    @Test func holidaysHaveNames() {
        #expect(standard.holiday(on: day("2026-04-27")) == "Nghỉ bù Giỗ Tổ Hùng Vương")
        #expect(standard.holiday(on: day("2026-02-17"))?.hasPrefix("Tết Nguyên Đán") == true)
        #expect(standard.holiday(on: day("2026-04-25")) == nil)
    }

    /// Received on Friday 24/4/2026: Saturday, Sunday, the Giỗ Tổ Monday, 30/4 and 1/5 and the
    /// next weekend do not count; the fifth working day is Wednesday 6/5.
    @Test func workingDaysSkipWeekendsAndHolidays() {
        #expect(standard.addingWorkingDays(1, to: day("2026-04-24")) == day("2026-04-28"))
        #expect(standard.addingWorkingDays(5, to: day("2026-04-24")) == day("2026-05-06"))
        #expect(standard.addingWorkingDays(0, to: day("2026-04-25")) == day("2026-04-25"))
        #expect(standard.addingWorkingDays(1, to: day("2025-04-25")) == day("2025-04-26"))
    }

    @Test func aPeriodIntoAnUnknownYearIsFlagged() throws {
        #expect(standard.unknownYears(from: day("2027-12-30"), through: day("2028-01-04")) == [2028])
        #expect(standard.warning(from: day("2026-12-30"), through: day("2027-01-04")) == nil)
        let warning = try #require(standard.warning(from: day("2027-12-30"), through: day("2028-01-04")))
        #expect(warning.vi.contains("Chưa có lịch nghỉ lễ năm 2028"))
        #expect(warning.en.contains("No holiday calendar for 2028"))
    }

    @Test func parsesRangesWorkdaysCommentsBomAndCrlf() throws {
        let text =
            "\u{FEFF}# lịch thử\r\n2028-01-01 Tết Dương lịch  # cả ngày\r\n\r\n"
            + "2028-01-25..2028-01-27\tTết Nguyên Đán\r\nworkday 2028-01-22 làm bù\r\n"
        let calendar = try WorkingCalendar(parsing: [2028: text])
        #expect(calendar.knows(year: 2028) && !calendar.knows(year: 2026))
        #expect(calendar.holiday(on: day("2028-01-01")) == "Tết Dương lịch")
        #expect(calendar.holiday(on: day("2028-01-26")) == "Tết Nguyên Đán")
        #expect(!calendar.isWorkingDay(day("2028-01-27")))
        #expect(calendar.isWorkingDay(day("2028-01-28")))
        #expect(calendar.isWorkingDay(day("2028-01-22")))
        #expect(!calendar.isWorkingDay(day("2028-01-23")))
    }

    @Test(arguments: [
        ("2026-01-01 Tết\n2026-02-30 Tết", 2, "2026-02-30"),
        ("2026-01-01 Tết\n2025-12-31 Giao thừa", 2, "không thuộc năm 2026"),
        ("2026-01-01", 1, "tên ngày nghỉ"),
        ("2026-02-22..2026-02-14 Tết", 1, "31"),
        ("2026-02-01..2026-03-14 Tết", 1, "31"),
        ("2026-02-14..2026-02-22..2026-02-23 Tết", 1, "khoảng"),
        ("2026-02-14.. Tết", 1, "YYYY-MM-DD"),
        ("2026-01-01 Tết\nworkday 2026-04-28 làm bù", 2, "thứ Ba"),
        ("2026-01-01 Tết\nworkday 2026-04-25", 2, "lý do"),
        ("2026-01-01 Tết\nworkday", 2, "workday"),
        ("2026-01-01 Tết\n# ghi chú\n2026-01-01 Tết lần nữa", 3, "dòng 1"),
        ("2026-01-01 Tết\n2026-04-25 Nghỉ\nworkday 2026-04-25 làm bù", 3, "dòng 2"),
        ("holiday 2026-01-01 Tết", 1, "holiday"),
    ])
    func refusesBadLinesNamingTheFileAndLine(text: String, line: Int, mention: String) throws {
        let refused = try #require(refusal { try WorkingCalendar(parsing: [2026: text]) })
        #expect(refused.code == "bad_value")
        #expect(refused.field == "calendar/2026.txt:\(line)")
        #expect(refused.message(.vi).hasPrefix("Lịch nghỉ lễ 2026.txt, dòng \(line): "))
        #expect(refused.message(.en).hasPrefix("Holiday calendar 2026.txt, line \(line): "))
        #expect(refused.message(.vi).contains(mention), "\(refused.message(.vi))")
        #expect(refused.hint(.en).contains("workday YYYY-MM-DD"))
    }

    @Test func refusesAFileWithoutAnyDayOff() throws {
        let refused = try #require(
            refusal { try WorkingCalendar(parsing: [2026: "# nothing yet\nworkday 2026-01-03 x"]) })
        #expect(refused.field == "calendar/2026.txt")
        #expect(refused.message(.vi).contains("không khai báo ngày nghỉ nào"))
        #expect(refused.message(.en).contains("names no day off"))
    }

    @Test func aFolderReplacesWholeYearsAndAddsNewOnes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tre-calendar-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "2026-01-01..2026-01-04 Tết Dương lịch\nworkday 2026-01-10 làm bù\n"
            .write(to: folder.appendingPathComponent("2026.txt"), atomically: true, encoding: .utf8)
        try "2028-01-01 Tết Dương lịch\n".write(
            to: folder.appendingPathComponent("2028.txt"), atomically: true, encoding: .utf8)
        try "not a calendar".write(to: folder.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        try Data([0, 5, 22, 7]).write(to: folder.appendingPathComponent("._2026.txt"))

        let calendar = try WorkingCalendar.loading(folder: folder.path)
        #expect(calendar.knownYears == [2025, 2026, 2027, 2028])
        #expect(!calendar.isWorkingDay(day("2026-01-02")))
        #expect(calendar.isWorkingDay(day("2026-01-10")))
        // The folder's 2026 replaced the embedded one whole: its Tết is no longer there.
        #expect(calendar.isWorkingDay(day("2026-02-16")))
        #expect(!calendar.isWorkingDay(day("2025-01-01")))

        try "2029-01-01 x".write(to: folder.appendingPathComponent("lich2029.txt"), atomically: true, encoding: .utf8)
        let badName = try #require(refusal { try WorkingCalendar.loading(folder: folder.path) })
        #expect(badName.field == "calendar/lich2029.txt")
        #expect(badName.message(.en).contains("named after its year"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("lich2029.txt"))

        try "2028-01-01 Tết\n2028-02-30 x\n".write(
            to: folder.appendingPathComponent("2028.txt"), atomically: true, encoding: .utf8)
        let badLine = try #require(refusal { try WorkingCalendar.loading(folder: folder.path) })
        #expect(badLine.field == "calendar/2028.txt:2")

        try Data([0x32, 0x30, 0xFF, 0xFE]).write(to: folder.appendingPathComponent("2028.txt"))
        let notText = try #require(refusal { try WorkingCalendar.loading(folder: folder.path) })
        #expect(notText.message(.vi).contains("UTF-8"))

        let noFolder = try #require(refusal { try WorkingCalendar.loading(folder: folder.path + "/none") })
        #expect(noFolder.code == "missing")
    }

    @Test func mergingKeepsTheOtherYears() throws {
        let override = try WorkingCalendar(parsing: [2025: "2025-01-01 Tết Dương lịch"])
        let merged = WorkingCalendar.standard.merging(override)
        #expect(merged.isWorkingDay(day("2025-01-27")))
        #expect(!merged.isWorkingDay(day("2026-02-16")))
    }
}

/// The yearly holiday files embedded in Tre, in the format of `WorkingCalendar(parsing:)`. Each
/// says in its header that it must be checked against the year's official decision: a file in
/// an office's calendar folder replaces the embedded year.
enum Holidays {}

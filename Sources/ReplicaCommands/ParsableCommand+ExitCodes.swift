public import ArgumentParser
import Foundation

extension ParsableCommand {
    /// Runs the command line with the exit codes scripts rely on: 0 done, 1 bad input
    /// (usage mistakes included, which ArgumentParser would report as 64), 2 hub unreachable,
    /// 3 refused by the hub.
    public static func mainWithExitCodes() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exitReporting(error)
        }
    }

    /// Usage mistakes exit 1 like any bad input; everything else as ArgumentParser decides.
    static func exitReporting(_ error: any Error) -> Never {
        if exitCode(for: error) == .validationFailure {
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(1)
        }
        exit(withError: error)
    }
}

extension AsyncParsableCommand {
    /// `mainWithExitCodes` for commands with asynchronous subcommands.
    public static func asyncMainWithExitCodes() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exitReporting(error)
        }
    }
}

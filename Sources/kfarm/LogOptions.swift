import ArgumentParser
import FarmTelemetry
import Foundation
import Logging

/// `--log-format` of the farm's long-running processes (serve, worker, agent).
struct LogOptions: ParsableArguments {
    @Option(help: "text, or json: one object per line with the request id, route, status and duration (default: $KFARM_LOG_FORMAT or text).")
    var logFormat: LogFormat?

    /// Sets the process's log format, then makes its logger.
    func logger(_ label: String) -> Logger {
        (logFormat ?? ProcessInfo.processInfo.environment["KFARM_LOG_FORMAT"].flatMap(LogFormat.init(rawValue:)) ?? .text)
            .bootstrap()
        return Logger.kfarm(label)
    }
}

extension LogFormat: ExpressibleByArgument {}

extension Logger {
    /// The command-line tools' logger; KFARM_LOG_LEVEL picks the level (default info).
    static func kfarm(_ label: String) -> Logger {
        var logger = Logger(label: label)
        let level = ProcessInfo.processInfo.environment["KFARM_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .info
        return logger
    }
}

import Foundation
import Logging

/// How a kfarm process writes its log: `text` for people at a terminal,
/// `json` (one object per line) for log shippers.
public enum LogFormat: String, CaseIterable, Sendable {
    case text
    case json

    /// Makes every logger of the process write in this format to standard error.
    /// Call once, before the first logger is made.
    public func bootstrap() {
        switch self {
        case .text:
            LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        case .json:
            LoggingSystem.bootstrap { JSONLogHandler(label: $0, output: .standardError) }
        }
    }
}

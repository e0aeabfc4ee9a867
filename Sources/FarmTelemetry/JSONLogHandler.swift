import Foundation
import Logging
import Synchronization

/// Writes each log entry as one JSON object on one line: `time`, `level`,
/// `logger`, `message`, then the metadata's keys (request id, route,
/// status, build and worker ids where the caller set them).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let output: Output

    /// Where lines go, each whole.
    public final class Output: Sendable {
        private let write: @Sendable (String) -> Void

        public init(write: @escaping @Sendable (String) -> Void) {
            self.write = write
        }

        /// One line at a time: a long line may take several writes, which must not mix with another's.
        public static let standardError: Output = {
            let turn = Mutex(())
            return Output { line in turn.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) } }
        }()

        func send(_ line: String) { write(line) }
    }

    public init(label: String, output: Output) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        let merged = metadata.merging(extra ?? [:]) { _, new in new }
        var fields = [
            Self.field("time", .string(Self.timestamp())),
            Self.field("level", .string(level.rawValue)),
            Self.field("logger", .string(label)),
            Self.field("message", .string(message.description)),
        ]
        for key in merged.keys.sorted() where !["time", "level", "logger", "message"].contains(key) {
            fields.append(Self.field(key, merged[key]!))
        }
        output.send("{" + fields.joined(separator: ",") + "}\n")
    }

    private static func field(_ key: String, _ value: Logger.Metadata.Value) -> String {
        quoted(key) + ":" + json(value)
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .stringConvertible(let convertible): quoted(convertible.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let entries): "{" + entries.keys.sorted().map { field($0, entries[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, so a hostile value stays on its line.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    private static func timestamp() -> String {
        Date().ISO8601Format(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

import FarmModel
import Foundation

/// How the people's commands print: JSON when asked, aligned columns
/// otherwise, colour and redraws only on a terminal (plain lines when
/// piped, so CI logs stay readable; `NO_COLOR` turns colour off).
enum Output {
    static let isTerminal = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    static let usesColour = isTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        Output.line(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func table(_ header: [String], _ rows: [[String]]) {
        columns(header, rows).forEach(line)
    }

    /// Columns padded to their widest cell; the last one is not padded.
    static func columns(_ header: [String], _ rows: [[String]]) -> [String] {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }

    /// One line on stdout, written at once (also into a pipe: a CI log shows progress as it happens).
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// One line on stderr (errors and notices), so stdout holds only the answer.
    /// Build output as a terminal may show it: control characters (escape
    /// sequences a hostile build could print to move the cursor or retitle
    /// the window) become `?`, tabs spaces. Piped output stays as it was.
    static func printable(_ text: String) -> String {
        guard isTerminal else { return text }
        return String(text.unicodeScalars.map { scalar -> Character in
            if scalar == "\t" { return " " }
            return scalar.properties.generalCategory == .control ? "?" : Character(scalar)
        })
    }

    static func message(_ message: String) {
        FileHandle.standardError.write(Data("kfarm: \(message)\n".utf8))
    }

    enum Colour: Int {
        case red = 31, green = 32, yellow = 33, blue = 34, dim = 2
    }

    /// SGR colour: two escape sequences do not need a library.
    static func paint(_ text: String, _ colour: Colour) -> String {
        usesColour ? "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m" : text
    }

    static func paint(_ status: BuildStatus) -> String {
        switch status {
        case .completed: paint(status.rawValue, .green)
        case .failed: paint(status.rawValue, .red)
        case .cancelled: paint(status.rawValue, .yellow)
        case .queued, .in_progress: paint(status.rawValue, .blue)
        }
    }
}

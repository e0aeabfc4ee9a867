import Foundation

/// A `/metrics` answer, read the way Prometheus reads it.
public struct Exposition: Sendable {
    public let text: String

    public init(_ text: String) {
        self.text = text
    }

    /// The families named by `# TYPE` lines.
    public var families: [String] {
        text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
    }

    /// The sample of `name` whose labels include `labels`.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard line.hasPrefix(name + "{") || line.hasPrefix(name + " "), let space = line.lastIndex(of: " ") else { continue }
            let series = line[..<space]
            if labels.allSatisfy({ series.contains("\($0.key)=\"\($0.value)\"") }) {
                return Double(line[line.index(after: space)...])
            }
        }
        return nil
    }

    /// What Prometheus's own linter (`promtool check metrics`, Debian's
    /// prometheus package) objects to; nil when it accepts the text.
    public func promtoolProblems() throws -> String? {
        let promtool = Process()
        promtool.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        promtool.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        promtool.standardInput = input
        promtool.standardOutput = output
        promtool.standardError = output
        try promtool.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        promtool.waitUntilExit()
        return promtool.terminationStatus == 0 ? nil : said
    }
}

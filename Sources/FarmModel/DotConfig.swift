/// A kernel `.config` as Kconfig wrote it: every symbol's value, `n` for
/// one that is not set (`# CONFIG_X is not set`) or not there at all.
public struct DotConfig: Sendable, Equatable {
    public let values: [String: String]

    public init(text: String) {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("CONFIG_"), let equals = line.firstIndex(of: "=") {
                values[String(line[line.index(line.startIndex, offsetBy: 7)..<equals])] = String(line[line.index(after: equals)...])
            } else if line.hasPrefix("# CONFIG_"), line.hasSuffix(" is not set") {
                values[String(line.dropFirst(9).dropLast(11))] = "n"
            }
        }
        self.values = values
    }

    public func value(of symbol: String) -> String {
        values[symbol] ?? "n"
    }
}

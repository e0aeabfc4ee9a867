/// What `options.compilerVersion` asks for: a compiler alone (`gcc`,
/// `clang`) or with the leading parts of a version (`gcc-12`, `gcc-12.2`,
/// `gcc-12.2.0`). It matches what workers offer (`gcc-12.2.0`,
/// `clang-16.0.6`) by whole version parts, so `gcc-1` is not `gcc-12.2.0`;
/// among several matching offers the newest is the one a build gets.
public struct CompilerRequest: Sendable, Equatable, CustomStringConvertible {
    public let compiler: String
    /// The version's parts given, e.g. [12, 2] for `gcc-12.2`.
    public let version: [Int]

    /// nil when `text` is not a compiler (letters) with an optional version (digits and dots).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard text.count <= 64, let name = parts.first, !name.isEmpty, name.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return nil
        }
        var version: [Int] = []
        if parts.count == 2 {
            let pieces = parts[1].split(separator: ".", omittingEmptySubsequences: false)
            guard !pieces.isEmpty, pieces.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy(\.isASCIIDigit) }) else {
                return nil
            }
            version = pieces.map { Int($0)! }
        }
        compiler = name.lowercased()
        self.version = version
    }

    public var description: String {
        version.isEmpty ? compiler : compiler + "-" + version.map(String.init).joined(separator: ".")
    }

    /// Whether `offered` (a worker's `compiler-version`) is this compiler with a version that starts with the parts asked for.
    public func matches(_ offered: String) -> Bool {
        guard let offer = CompilerRequest(offered), offer.compiler == compiler, offer.version.count >= version.count else {
            return false
        }
        return Array(offer.version.prefix(version.count)) == version
    }

    /// The newest of `offers` this request matches.
    public func best(of offers: [String]) -> String? {
        offers.filter(matches).max { (CompilerRequest($0)?.version ?? []).lexicographicallyPrecedes(CompilerRequest($1)?.version ?? []) }
    }
}

extension CompilerRequest {
    /// What a build that names no compiler gets: the newest gcc of the worker that takes it.
    public static let farmDefault = CompilerRequest("gcc")!
}

/// Which git repositories a farm fetches kernels from: URL prefixes its
/// administrator allows (`--git-allow`), so a configuration cannot make
/// workers fetch from arbitrary hosts. A prefix ends at a path boundary:
/// `https://git.example.org/linux` allows `…/linux/stable.git` and
/// `…/linux.git`, never `https://git.example.org/linux-evil`; nor does
/// `https://git.example.org` allow `https://git.example.org.evil.net/`.
/// `file://` prefixes name the directories local repositories may be in.
public struct GitAllowList: Sendable, Equatable {
    public let prefixes: [String]

    public init(_ prefixes: [String]) {
        self.prefixes = prefixes
    }

    public func allows(_ url: String) -> Bool {
        prefixes.contains { prefix in
            guard url.hasPrefix(prefix) else { return false }
            let rest = url.dropFirst(prefix.count)
            return prefix.hasSuffix("/") || rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix(".git")
                && (rest.count == 4 || rest.dropFirst(4).hasPrefix("/"))
        }
    }

    /// What a refused URL's error says is allowed.
    public var described: String {
        prefixes.isEmpty ? "this farm fetches no git sources (its administrator allows none: --git-allow)"
            : "this farm fetches git sources only under: \(prefixes.joined(separator: ", "))"
    }

    /// Refuses a well-formed source this farm does not fetch (a malformed
    /// one is refused by the configuration's own validation).
    public func require(_ source: GitSource?, field: String = "source") throws(ValidationError) {
        guard let source, GitSource.urlRule.problem(with: source.git) == nil, !allows(source.git) else { return }
        throw ValidationError(field: "\(field).git", "is not allowed: \(described)")
    }
}

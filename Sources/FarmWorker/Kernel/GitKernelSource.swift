import Crypto
import FarmMachine
import FarmModel
import Foundation

/// Kernel trees from git. Each repository is fetched into one bare mirror
/// (`<cache>/mirrors/<sha256 of the URL>.git`; builds fetching the same
/// repository take turns on its lock, so a second fetch brings only what is
/// new), the ref is resolved to a commit when the build starts, and the
/// commit's files are exported once into `<cache>/trees/<commit>` (into a
/// temporary directory, then renamed), which builds share read-only.
/// Only URLs the worker's administrator allows are fetched, and git speaks
/// only the allowed schemes, without the system's or a user's git
/// configuration. A fetch (its wait for the lock included) that has not
/// ended within `fetchTimeout` is stopped: a remote that stops answering
/// must not hold the mirror's lock, and every build of it, for ever.
public struct GitKernelSource: Sendable {
    public let cache: URL
    public let allowed: GitAllowList
    public let fetchTimeout: Duration

    public init(cache: URL, allowed: GitAllowList, fetchTimeout: Duration = .seconds(1800)) {
        self.cache = cache
        self.allowed = allowed
        self.fetchTimeout = fetchTimeout
    }

    public func checkout(_ source: GitSource, log: @escaping @Sendable ([String]) -> Void) async throws -> CheckedOutSource {
        try check(source)
        let mirror = mirror(of: source.git)
        try FileManager.default.createDirectory(at: mirror.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lock = mirror.path + ".lock"
        try await run(Command("flock", [lock, "git", "init", "--quiet", "--bare", mirror.path], environment: environment), log)
        log(["fetching \(source.git) into the mirror \(mirror.lastPathComponent)"])
        let started = ContinuousClock.now
        let fetch = Command("flock", [lock, "git", "--git-dir", mirror.path, "fetch", "--prune", "--no-tags", "--quiet",
                                      source.git, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], environment: environment)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await run(fetch, log) }
            group.addTask { [fetchTimeout] in
                try await Task.sleep(for: fetchTimeout)
                throw CheckFailed("fetching \(source.git) did not end within \(fetchTimeout): stopped")
            }
            // The first to end decides; cancelling the fetch stops flock and git (their process group).
            defer { group.cancelAll() }
            try await group.next()
        }
        log(["fetched in \((ContinuousClock.now - started).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))"])
        let commit = try await resolve(source, in: mirror)
        log(["\(source.ref) is commit \(commit)"])
        let tree = cache.appendingPathComponent("trees", isDirectory: true).appendingPathComponent(commit, isDirectory: true)
        if !FileManager.default.fileExists(atPath: tree.path) {
            try await export(commit, from: mirror, to: tree, log)
        }
        return CheckedOutSource(tree: tree, identity: "git \(source.git) \(commit)",
                                git: BuildSource(git: source.git, ref: source.ref, commit: commit))
    }

    /// The URL's rules, the allow list, and for `file://` the real path:
    /// a link inside an allowed directory must not lead out of it.
    func check(_ source: GitSource) throws {
        if let problem = GitSource.urlRule.problem(with: source.git) { throw CheckFailed("source.git \(problem)") }
        if let problem = GitSource.refRule.problem(with: source.ref) { throw CheckFailed("source.ref \(problem)") }
        guard allowed.allows(source.git) else { throw CheckFailed("\(source.git) is not allowed: \(allowed.described)") }
        guard source.git.hasPrefix("file://") else { return }
        let real = URL(fileURLWithPath: String(source.git.dropFirst("file://".count))).resolvingSymlinksInPath().path
        let inside = allowed.prefixes.filter { $0.hasPrefix("file://") }.contains { prefix in
            let directory = URL(fileURLWithPath: String(prefix.dropFirst("file://".count))).resolvingSymlinksInPath().path
            return real == directory || real.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
        }
        guard inside else { throw CheckFailed("\(source.git) leads out of the allowed directories: \(allowed.described)") }
    }

    func mirror(of url: String) -> URL {
        let name = ContentHash.hex(SHA256.hash(data: Data(url.utf8))).prefix(32)
        return cache.appendingPathComponent("mirrors").appendingPathComponent("\(name).git")
    }

    /// A tag, then a branch of that name; a full commit id as it is, once the mirror has it.
    private func resolve(_ source: GitSource, in mirror: URL) async throws -> String {
        let candidates = source.isCommit ? [source.ref] : ["refs/tags/\(source.ref)", "refs/heads/\(source.ref)"]
        for candidate in candidates {
            let lines = LineCollector()
            let status = try await CommandRunner.run(
                Command("git", ["--git-dir", mirror.path, "rev-parse", "--verify", "--quiet", "--end-of-options", candidate + "^{commit}"],
                        environment: environment), onLines: lines.append)
            if status == 0, let commit = lines.lines.first, BuildSource.commitRule.problem(with: commit) == nil { return commit }
        }
        throw CheckFailed("\(source.git) has no tag, branch or commit \(source.ref)")
    }

    /// `git archive | tar -x` into a temporary directory beside the tree, then
    /// renamed: builds racing to export the same commit agree on one tree.
    private func export(_ commit: String, from mirror: URL, to tree: URL, _ log: @escaping @Sendable ([String]) -> Void) async throws {
        log(["exporting \(commit) into the source cache"])
        try FileManager.default.createDirectory(at: tree.deletingLastPathComponent(), withIntermediateDirectories: true)
        let staging = tree.deletingLastPathComponent().appendingPathComponent(".\(commit).\(UUID().uuidString.lowercased())")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: staging) }
        let script = """
            set -euo pipefail
            git --git-dir="$1" archive --format=tar "$2" | tar -x --no-same-owner --no-same-permissions -C "$3"
            """
        try await run(Command("bash", ["-c", script, "kfarm-export", mirror.path, commit, staging.path], environment: environment), log)
        let escaping = try await BlockingWork.run("tree links") { TreeLinks.leadingOut(of: staging) }
        guard escaping.isEmpty else {
            throw CheckFailed("the tree of \(commit) has links leading out of it: \(escaping.prefix(5).joined(separator: ", "))")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: staging.path)
        do {
            try FileManager.default.moveItem(at: staging, to: tree)
        } catch where FileManager.default.fileExists(atPath: tree.path) {
            // Another build exported it first.
        }
    }

    /// Git without the system's configuration (its URL rewrites) or a
    /// user's, without prompts, speaking only the allowed schemes.
    private var environment: [String: String] {
        ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_TERMINAL_PROMPT": "0",
         "GIT_ALLOW_PROTOCOL": GitSource.schemes.joined(separator: ":"), "GIT_SSH_COMMAND": "ssh -o BatchMode=yes"]
    }

    private func run(_ command: Command, _ log: @escaping @Sendable ([String]) -> Void) async throws {
        let status = try await CommandRunner.run(command, onLines: log)
        guard status == 0 else { throw CheckFailed("`\(command)` exited with status \(status)") }
    }
}

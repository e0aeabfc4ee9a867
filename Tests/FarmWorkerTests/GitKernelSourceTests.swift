import FarmMachine
import FarmModel
import FarmTestSupport
@testable import FarmWorker
import Foundation
import Testing

/// Kernel trees from git with real git: a repository of a few files with two
/// commits, a tag and a branch, checked out by tag, branch and commit; the
/// mirror fetches once and brings only what is new; what the allow list and
/// the URL rules refuse is never fetched.
@Suite struct GitKernelSourceTests {
    /// A repository under `root/repos` (the allowed directory) and a cache beside it.
    struct Scene {
        let root: URL
        let repository: URL
        var url: String { "file://" + repository.path }
        var cache: URL { root.appendingPathComponent("cache") }
        var source: GitKernelSource {
            GitKernelSource(cache: cache, allowed: GitAllowList(["file://" + root.appendingPathComponent("repos").path]))
        }

        init() async throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-git-\(UUID().lowercased)")
            repository = root.appendingPathComponent("repos/linux")
            try FileManager.default.createDirectory(at: repository.appendingPathComponent("kernel"), withIntermediateDirectories: true)
            try "VERSION = 6\n".write(to: repository.appendingPathComponent("Makefile"), atomically: true, encoding: .utf8)
            try "int main;\n".write(to: repository.appendingPathComponent("kernel/fork.c"), atomically: true, encoding: .utf8)
            try await git("init", "--quiet", "--initial-branch=main")
            try await git("add", "-A")
            try await git("commit", "--quiet", "-m", "v6.1")
            try await git("tag", "v6.1-kfarm")
        }

        /// Moves `main` on by a commit changing the Makefile; the new commit.
        func advance() async throws -> String {
            try "VERSION = 6\nEXTRAVERSION = -moved\n".write(to: repository.appendingPathComponent("Makefile"), atomically: true,
                                                             encoding: .utf8)
            try await git("commit", "--quiet", "-am", "move main")
            return try await head()
        }

        func head() async throws -> String {
            try await git("rev-parse", "HEAD").first ?? ""
        }

        @discardableResult
        func git(_ arguments: String...) async throws -> [String] {
            let lines = LineCollector()
            let status = try await CommandRunner.run(Command("git", ["-C", repository.path] + arguments, environment: [
                "GIT_AUTHOR_NAME": "kfarm", "GIT_AUTHOR_EMAIL": "kfarm@example.org",
                "GIT_COMMITTER_NAME": "kfarm", "GIT_COMMITTER_EMAIL": "kfarm@example.org", "GIT_CONFIG_GLOBAL": "/dev/null",
            ]), onLines: lines.append)
            guard status == 0 else { throw CheckFailed("git \(arguments.joined(separator: " ")): \(lines.lines)") }
            return lines.lines
        }

        func checkout(_ ref: String, url: String? = nil) async throws -> (CheckedOutSource, [String]) {
            let log = LineCollector()
            let checkedOut = try await source.checkout(GitSource(git: url ?? self.url, ref: ref), log: log.append)
            return (checkedOut, log.lines)
        }
    }

    @Test func aTagABranchAndACommitResolveToTheirCommitsTree() async throws {
        let scene = try await Scene()
        defer { try? FileManager.default.removeItem(at: scene.root) }
        let first = try await scene.head()
        let (byTag, log) = try await scene.checkout("v6.1-kfarm")
        #expect(byTag.git == BuildSource(git: scene.url, ref: "v6.1-kfarm", commit: first))
        #expect(byTag.identity == "git \(scene.url) \(first)")
        #expect(byTag.tree.lastPathComponent == first)
        #expect(try String(contentsOf: byTag.tree.appendingPathComponent("kernel/fork.c"), encoding: .utf8) == "int main;\n")
        #expect(log.contains("v6.1-kfarm is commit \(first)"), "\(log)")
        #expect(log.contains("exporting \(first) into the source cache"))

        let (byBranch, branchLog) = try await scene.checkout("main")
        #expect(byBranch.tree == byTag.tree)
        #expect(!branchLog.contains { $0.hasPrefix("exporting") }, "the commit's tree is exported once: \(branchLog)")

        let moved = try await scene.advance()
        let (afterMove, _) = try await scene.checkout("main")
        #expect(afterMove.git?.commit == moved)
        #expect(afterMove.identity != byBranch.identity, "a moved branch is another build-cache key")
        #expect(try String(contentsOf: afterMove.tree.appendingPathComponent("Makefile"), encoding: .utf8).contains("-moved"))
        let (tagAgain, _) = try await scene.checkout("v6.1-kfarm")
        #expect(tagAgain.git?.commit == first)
        let (byCommit, _) = try await scene.checkout(first)
        #expect(byCommit.tree == byTag.tree && byCommit.git?.ref == first)
        // One mirror for the repository, one tree per commit.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scene.cache.appendingPathComponent("mirrors").path)
            .filter { $0.hasSuffix(".git") }.count == 1)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: scene.cache.appendingPathComponent("trees").path)) == [first, moved])
    }

    @Test func concurrentBuildsOfOneSourceAgreeOnOneTree() async throws {
        let scene = try await Scene()
        defer { try? FileManager.default.removeItem(at: scene.root) }
        let trees = try await withThrowingTaskGroup(of: URL.self) { group in
            for _ in 0..<4 { group.addTask { try await scene.checkout("main").0.tree } }
            return try await group.reduce(into: Set<URL>()) { $0.insert($1) }
        }
        #expect(trees.count == 1)
        let entries = try FileManager.default.contentsOfDirectory(atPath: scene.cache.appendingPathComponent("trees").path)
        #expect(entries == [try await scene.head()], "no half-exported directories are left: \(entries)")
    }

    @Test func whatIsNotAllowedIsNeverFetched() async throws {
        let scene = try await Scene()
        defer { try? FileManager.default.removeItem(at: scene.root) }
        // A link inside the allowed directory to a repository outside it.
        let outside = scene.root.appendingPathComponent("elsewhere")
        try FileManager.default.moveItem(at: scene.repository, to: outside)
        try FileManager.default.createSymbolicLink(at: scene.repository, withDestinationURL: outside)
        await #expect(throws: CheckFailed.self) { try await scene.checkout("main") }
        for (url, ref) in [("file://" + outside.path, "main"), ("https://example.org/linux.git", "main"),
                           (scene.url, "--upload-pack=touch /tmp/kfarm-pwned"), ("ext::sh -c id", "main")] {
            let error = await #expect(throws: CheckFailed.self) { try await scene.checkout(ref, url: url) }
            #expect(error?.description.isEmpty == false)
        }
        #expect(!FileManager.default.fileExists(atPath: scene.cache.appendingPathComponent("mirrors").path),
                "nothing was fetched")
    }

    /// A remote that takes the connection and never answers: the fetch is stopped, and the mirror's lock with it.
    @Test(.timeLimit(.minutes(1))) func aFetchThatHangsIsStoppedAndFreesTheMirror() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-git-\(UUID().lowercased)")
        defer { try? FileManager.default.removeItem(at: root) }
        let silent = try LoopbackListener()
        defer { silent.close() }
        let url = "git://127.0.0.1:\(silent.port)/linux.git"
        let source = GitKernelSource(cache: root, allowed: GitAllowList([url]), fetchTimeout: .seconds(2))
        let error = await #expect(throws: CheckFailed.self) {
            try await source.checkout(GitSource(git: url, ref: "main"), log: { _ in })
        }
        #expect(error?.description == "fetching \(url) did not end within 2.0 seconds: stopped")
        // The lock is free: flock without waiting takes it at once.
        let lock = source.mirror(of: url).path + ".lock"
        #expect(try await CommandRunner.run(Command("flock", ["--nonblock", lock, "true"]), onLines: { _ in }) == 0)
    }

    @Test func aRefTheRepositoryLacksFailsNamingIt() async throws {
        let scene = try await Scene()
        defer { try? FileManager.default.removeItem(at: scene.root) }
        let error = await #expect(throws: CheckFailed.self) { try await scene.checkout("v9.9") }
        #expect(error?.description == "\(scene.url) has no tag, branch or commit v9.9")
    }

    @Test func aTreeWithLinksLeadingOutIsRefused() async throws {
        let scene = try await Scene()
        defer { try? FileManager.default.removeItem(at: scene.root) }
        try FileManager.default.createSymbolicLink(atPath: scene.repository.appendingPathComponent("Kconfig").path,
                                                   withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: scene.repository.appendingPathComponent("kernel/Kconfig").path,
                                                   withDestinationPath: "../Makefile")
        try await scene.git("add", "-A")
        try await scene.git("commit", "--quiet", "-m", "links")
        let error = await #expect(throws: CheckFailed.self) { try await scene.checkout("main") }
        #expect(error?.description.hasSuffix("has links leading out of it: Kconfig") == true, "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scene.cache.appendingPathComponent("trees").path).isEmpty)
    }
}

import ArgumentParser
import FarmMachine
import FarmModel
import FarmWorker
import Foundation

/// A git source as a worker checks it out (fetch into the mirror, resolve,
/// export the commit's tree), the first time into an empty cache and again;
/// beside it in the same run, what a team would do by hand: `git clone
/// --mirror` then `git archive | tar -x`, and `git fetch` into that clone.
struct GitSourceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "git-source", abstract: "Check a git source out as a worker does, twice, beside plain git; timed.")

    @Option(help: "The repository (e.g. git://127.0.0.1:9418/linux.git; scripts/bench-git-source.sh serves one).")
    var url: String

    @Option(help: "The tag, branch or commit.")
    var ref: String

    @Option(help: "A scratch directory (emptied first).")
    var work = "/tmp/kfarm-bench-git"

    func run() async throws {
        let work = URL(fileURLWithPath: work)
        try? FileManager.default.removeItem(at: work)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let source = GitKernelSource(cache: work.appendingPathComponent("cache"), allowed: GitAllowList([url]))
        let clone = work.appendingPathComponent("clone.git").path
        let tree = work.appendingPathComponent("tree").path
        let git = ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"]

        // Plain git before and after the worker's checkout, its best counted: the page cache favours whichever runs second.
        let plainFirst = { (run: Int) in
            Command("sh", ["-c", """
                set -e
                rm -rf "$2" "$3"
                git clone -q --mirror "$1" "$2"
                mkdir "$3"
                git --git-dir="$2" archive --format=tar "$4" | tar -x -C "$3"
                """, "baseline-\(run)", url, clone, tree, ref], environment: git)
        }
        let baselineBefore = try await timed(plainFirst(1))
        let first = try await timed { _ = try await source.checkout(GitSource(git: url, ref: ref), log: { _ in }) }
        let second = try await timed { _ = try await source.checkout(GitSource(git: url, ref: ref), log: { _ in }) }
        let baselineFirst = try await min(baselineBefore, timed(plainFirst(2)))
        let baselineSecond = try await timed(Command("git", ["--git-dir", clone, "fetch", "-q", url,
                                                             "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], environment: git))
        print(String(format: "first checkout (fetch into an empty mirror, export the tree): %.1f s; "
                     + "git clone --mirror + git archive | tar -x: %.1f s (best of one run before, %.1f s, and one after); ratio %.2f",
                     first, baselineFirst, baselineBefore, first / baselineFirst))
        print(String(format: "second checkout (fetch of nothing new, tree kept): %.2f s; git fetch: %.2f s; ratio %.2f",
                     second, baselineSecond, second / baselineSecond))
        print(String(format: "BENCH git_first_s=%.2f git_first_baseline_s=%.2f git_second_s=%.3f git_second_baseline_s=%.3f",
                      first, baselineFirst, second, baselineSecond))
    }

    private func timed(_ command: Command) async throws -> Double {
        try await timed {
            let output = LineCollector()
            let status = try await CommandRunner.run(command, onLines: output.append)
            guard status == 0 else { throw ValidationError("`\(command)` failed: \(output.lines.suffix(5))") }
        }
    }

    private func timed(_ body: () async throws -> Void) async throws -> Double {
        let started = ContinuousClock.now
        try await body()
        return (ContinuousClock.now - started).inSeconds
    }
}

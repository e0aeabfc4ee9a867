import FarmMachine
import FarmModel
import FarmTestSupport
import FarmWorker
import Foundation
import Testing

/// Kernels from git through the farm: a repository made from Debian's 6.1
/// tree (a tag, and a branch that moves by a commit) and the seed's hello
/// module as a repository of its own, served by `git daemon`; the builds
/// ask for Debian packages too, checked with `dpkg-deb`.
extension FarmTests {
    /// The repositories of `scripts/kernel-git-repos.sh`, as `git daemon` serves them on `port`.
    struct GitRepositories: Sendable {
        let port: Int

        var linux: String { "git://127.0.0.1:\(port)/linux.git" }
        var hello: String { "git://127.0.0.1:\(port)/hello.git" }

        /// `scripts/kernel-git-repos.sh` with `arguments`; its last line.
        static func run(_ arguments: [String]) async throws -> String {
            let lines = LineCollector()
            let script = TestFarm.root.appendingPathComponent("scripts/kernel-git-repos.sh").path
            let status = try await CommandRunner.run(Command(script, arguments), onLines: lines.append)
            guard status == 0, let last = lines.lines.last else { throw CheckFailed("git fixture failed: \(lines.lines.suffix(5))") }
            return last
        }
    }

    /// `git daemon` serving the repositories while `body` runs; stopped with
    /// everything it started (CommandRunner signals its process group).
    func withGitDaemon<T: Sendable>(_ root: URL, _ body: (Int) async throws -> T) async throws -> T {
        let port = try TestPorts.unused()
        let daemon = Task {
            try await CommandRunner.run(Command("git", ["daemon", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--export-all",
                                                        "--base-path=\(root.path)", root.path]), onLines: { _ in })
        }
        defer { daemon.cancel() }
        try await Task.sleep(for: .seconds(1))
        return try await body(port)
    }

    /// `dpkg-deb ARGUMENTS` on a package downloaded from the farm: its output lines.
    func dpkgDeb(_ arguments: [String], _ file: URL) async throws -> [String] {
        let lines = LineCollector()
        let status = try await CommandRunner.run(Command("dpkg-deb", arguments + [file.path]), onLines: lines.append)
        guard status == 0 else { throw CheckFailed("dpkg-deb \(arguments) failed: \(lines.lines.suffix(5))") }
        return lines.lines
    }

    @Test func aKernelFromAGitTagWithAnExternalModuleAndDebianPackagesBuildsBootsAndCachesByCommit() async throws {
        let root = URL(fileURLWithPath: "/tmp/kfarm-git-repositories")
        let tree = try await kernelRecipe().sources.checkout("6.1.0", log: { _ in }).tree
        let tagged = try await GitRepositories.run([
            "make", root.path, tree.path, TestFarm.root.appendingPathComponent("workers/kernel/hello").path])
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-git-cache-\(UUID().lowercased)")
        defer { try? FileManager.default.removeItem(at: cache) }
        try await withGitDaemon(root) { port in
            let repositories = GitRepositories(port: port)
            let allowed = GitAllowList(["git://127.0.0.1:\(port)/"])
            try await TestFarm.run(gitSources: allowed) { farm in
                let developer = try await farm.fixtures.account()
                let project = try await farm.fixtures.project(members: [(developer, .developer)])
                let recipe = KernelRecipe(sources: kernelRecipe().sources, git: GitKernelSource(cache: cache, allowed: allowed),
                                          data: TestFarm.root.appendingPathComponent("workers/kernel"))
                let settings = try await farm.workerSettings([.x86_64], recipe: recipe)
                /// A configuration of the kernel at `ref` with the hello module; its first version.
                @Sendable func configuration(_ ref: String) async throws -> UUID {
                    let (status, created) = try await farm.call(.post, "/configurations", as: developer, json: [
                        "name": "git \(ref)", "baseVersion": "6.1.0", "architecture": "x86_64", "projectId": project.id.lowercased,
                        "source": ["git": repositories.linux, "ref": ref],
                        "externalModules": [["name": "hello", "git": repositories.hello, "ref": "v1"]],
                    ])
                    #expect(status == .created, "\(created)")
                    return try #require(((created["versions"] as? [[String: Any]])?.first?["id"] as? String).flatMap { UUID(uuidString: $0) })
                }
                try await farm.withWorker(settings) {
                    let request: [String: Any] = ["options": ["packages": ["deb"]]]
                    let byTag = try await farm.submit(try await configuration("v6.1-kfarm"), by: developer, request: request)
                    let built = try await farm.finished(byTag, within: 1800)
                    #expect(built.status == .completed, "\(String(describing: built.failure))")
                    #expect(built.source == BuildSource(git: repositories.linux, ref: "v6.1-kfarm", commit: tagged))
                    let artifactID = try #require(built.artifactId.flatMap { UUID(uuidString: $0) })
                    let artifact = try #require(try await farm.store.artifacts.find(id: artifactID))
                    #expect(artifact.metadata.source?.commit == tagged)
                    let module = try #require(artifact.metadata.externalModules?.first)
                    #expect(module.name == "hello" && module.ref == "v1" && module.commit.count == 40)
                    let release = artifact.metadata.kernelRelease
                    #expect(artifact.metadata.files.map(\.path).contains("lib/modules/\(release)/extra/hello.ko"))
                    let statement = String(decoding: try #require(Data(base64Encoded: artifact.signature.statement)), as: UTF8.self)
                    #expect(statement.contains(tagged) && statement.contains(module.commit), "the provenance names both commits")
                    let log = try await farm.log(byTag).map(\.text)
                    #expect(log.contains("v6.1-kfarm is commit \(tagged)"))
                    #expect(log.contains { $0.contains("KFARM-MODULE: finit_module(/m/hello.ko) = 0") }, "the shipped hello.ko loaded")
                    #expect(log.contains("Hello, Kernel World!"))
                    #expect(!log.contains { $0.contains("workers/kernel/hello") }, "no test-only hello was built")

                    // The kernel's own Debian packages: downloaded as stored, signed, and what dpkg-deb reads as the kernel.
                    let packages = try #require(artifact.metadata.packages)
                    #expect(statement.contains(#""packages":"#))
                    let image = try #require(packages.first { $0.name.hasPrefix("linux-image-\(release)_") }, "\(packages.map(\.name))")
                    #expect(packages.contains { $0.name.hasPrefix("linux-headers-\(release)_") }, "\(packages.map(\.name))")
                    let download = try await farm.client.execute(uri: "/artifacts/\(artifactID.lowercased)/packages/\(image.name)", method: .get,
                                                                 headers: [.authorization: developer.authorization])
                    #expect(download.status == .ok)
                    let deb = cache.appendingPathComponent(image.name)
                    try Data(buffer: download.body).write(to: deb)
                    #expect(try FileHash.sha256(of: deb) == image.sha256)
                    #expect(try await dpkgDeb(["--info"], deb).contains { $0.trimmingCharacters(in: .whitespaces) == "Package: linux-image-\(release)" })
                    let contents = try await dpkgDeb(["--contents"], deb)
                    #expect(contents.contains { $0.hasSuffix("./boot/vmlinuz-\(release)") }, "\(contents.prefix(20))")
                    #expect(contents.contains { $0.contains("./lib/modules/\(release)/") }, "\(contents.prefix(20))")

                    // The branch and the commit name the same tree: the cache answers before anything runs.
                    var versions: [String: UUID] = [:]
                    for ref in ["main", tagged] {
                        versions[ref] = try await configuration(ref)
                        let id = try await farm.submit(try #require(versions[ref]), by: developer, request: request)
                        let reused = try await farm.finished(id, within: 600)
                        #expect(reused.status == .completed && reused.cachedFrom == byTag.lowercased, "\(ref)")
                        #expect(reused.source?.commit == tagged)
                    }

                    // The branch moves: another commit, another key, another kernel.
                    let moved = try await GitRepositories.run(["move", root.path, UUID().lowercased])
                    let again = try await farm.submit(try #require(versions["main"]), by: developer, request: request)
                    let rebuilt = try await farm.finished(again, within: 1800)
                    #expect(rebuilt.status == .completed && rebuilt.cachedFrom == nil, "\(String(describing: rebuilt.failure))")
                    #expect(rebuilt.source == BuildSource(git: repositories.linux, ref: "main", commit: moved))
                    let movedID = try #require(rebuilt.artifactId.flatMap { UUID(uuidString: $0) })
                    let movedArtifact = try await farm.store.artifacts.find(id: movedID)
                    #expect(movedArtifact?.metadata.kernelRelease.hasSuffix("-moved") == true)
                    #expect(try await farm.log(again).map(\.text).contains { $0.hasPrefix("build cache: no artifact of key") })
                }
            }
        }
    }
}

@testable import FarmMachine
import FarmModel
@testable import FarmWorker
import Foundation
import FarmTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a build's commands can and cannot touch in the bubblewrap sandbox,
/// each checked beside the same command unsandboxed (which can), so a
/// sandbox that stopped confining would fail here.
@Suite struct BuildSandboxTests {
    /// A workspace in a fresh directory: source (read-only) and output,
    /// beside a secret file of the "worker" that no build may read.
    struct Scene {
        let directory: URL
        let workspace: Workspace
        let secret: URL

        init(sandbox: BuildSandbox?) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-sandbox-\(UUID())")
            let source = directory.appendingPathComponent("source")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
            secret = directory.appendingPathComponent("worker-token")
            try "SECRET-\(UUID())".write(to: secret, atomically: true, encoding: .utf8)
            let toolchain = try MachineData.toolchain(.x86_64)
            workspace = try Workspace.prepare(at: directory.appendingPathComponent("attempt"), source: source,
                                              toolchain: toolchain, jobs: 1, sandbox: sandbox)
        }

        /// `script` run by sh as the build would run it: its status and output.
        func run(_ script: String, _ arguments: [String] = []) async throws -> (status: Int32, lines: [String]) {
            let lines = LineCollector()
            let status = try await CommandRunner.run(workspace.sandboxed(Command("sh", ["-c", script, "test"] + arguments)),
                                                     onLines: lines.append)
            return (status, lines.lines)
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func aBuildRunsUnprivilegedWithoutTheWorkersEnvironmentOrFiles() async throws {
        setenv("KFARM_SANDBOX_TEST_SECRET", "worker-only", 1)
        let scene = try Scene(sandbox: BuildSandbox())
        defer { scene.remove() }
        let (status, lines) = try await scene.run(#"id -u; env; cat "$1" || echo unreadable"#, [scene.secret.path])
        #expect(status == 0)
        #expect(lines.first == String(BuildSandbox().owner.uid))
        #expect(lines.first != "0")
        #expect(!lines.contains { $0.contains("KFARM_SANDBOX_TEST_SECRET") })
        #expect(lines.contains("KBUILD_BUILD_HOST=kfarm"))
        #expect(lines.last == "unreadable")

        let open = try Scene(sandbox: nil)
        defer { open.remove() }
        let unconfined = try await open.run(#"env; cat "$1""#, [open.secret.path])
        #expect(unconfined.lines.contains("KFARM_SANDBOX_TEST_SECRET=worker-only"))
        #expect(unconfined.lines.last?.hasPrefix("SECRET-") == true)
    }

    @Test func onlyTheBuildsOwnDirectoriesAreWritable() async throws {
        let scene = try Scene(sandbox: BuildSandbox())
        defer { scene.remove() }
        let marker = "/tmp/kfarm-sandbox-escape-\(UUID())"
        defer { unlink(marker) }
        let (status, _) = try await scene.run(#"""
            touch out-file && touch "$1/written" && ! touch "$2/written" 2>/dev/null && touch "$3" && [ ! -e /etc/passwd ]
            """#, [scene.workspace.staging.path, scene.workspace.source.path, marker])
        #expect(status == 0)
        #expect(FileManager.default.fileExists(atPath: scene.workspace.output.appendingPathComponent("out-file").path))
        #expect(FileManager.default.fileExists(atPath: scene.workspace.staging.appendingPathComponent("written").path))
        #expect(!FileManager.default.fileExists(atPath: scene.workspace.source.appendingPathComponent("written").path))
        #expect(!FileManager.default.fileExists(atPath: marker), "the sandbox's /tmp is its own")
    }

    @Test func aBuildHasNoNetwork() async throws {
        let listener = try LoopbackListener()
        defer { listener.close() }
        let connect = #"exec 3<>/dev/tcp/127.0.0.1/$1 && echo connected"#
        let scene = try Scene(sandbox: BuildSandbox())
        defer { scene.remove() }
        let lines = LineCollector()
        let command = Command("bash", ["-c", connect, "test", String(listener.port)])
        let sandboxed = try await CommandRunner.run(scene.workspace.sandboxed(command), onLines: lines.append)
        #expect(sandboxed != 0)
        #expect(!lines.lines.contains("connected"))
        let unconfined = try await CommandRunner.run(command, onLines: { _ in })
        #expect(unconfined == 0, "the same connection outside the sandbox reaches the listener")
    }

    @Test func theWorkerReadsNoLinkABuildLeftPointingOutOfItsWorkspace() async throws {
        let scene = try Scene(sandbox: BuildSandbox())
        defer { scene.remove() }
        let (status, _) = try await scene.run(#"""
            ln -s "$1" .config && mkdir -p include && ln -s /etc include/config && echo 6.1.0 > kernel.release && mkfifo vmlinux
            """#, [scene.secret.path])
        #expect(status == 0)
        let output = scene.workspace.output
        #expect(throws: CheckFailed.self, "a FIFO neither blocks nor passes") {
            try ELFHeader.require(output.appendingPathComponent("vmlinux"), of: scene.workspace, named: "vmlinux", machine: 62)
        }
        #expect(throws: CheckFailed.self) { try scene.workspace.text(of: output.appendingPathComponent(".config")) }
        #expect(throws: CheckFailed.self) { try scene.workspace.text(of: output.appendingPathComponent("include/config/passwd")) }
        #expect(try scene.workspace.text(of: output.appendingPathComponent("kernel.release")) == "6.1.0\n")
    }

    /// The worker writes into the object tree (kfarm.config, the findings): a build must not swap it for a link.
    @Test func aBuildCannotPutALinkInPlaceOfItsObjectTree() async throws {
        let swap = #"cd "$2/.." && { mv out moved || rm -rf out; ln -s "$1" out; } 2>/dev/null; true"#
        let scene = try Scene(sandbox: BuildSandbox())
        defer { scene.remove() }
        #expect(try await scene.run(swap, [scene.directory.path, scene.workspace.output.path]).status == 0)
        let output = scene.workspace.output.path
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: output)) == nil, "out is still the object tree")
        #expect(FileManager.default.fileExists(atPath: output))

        let open = try Scene(sandbox: nil)
        defer { open.remove() }
        #expect(try await open.run(swap, [open.directory.path, open.workspace.output.path]).status == 0)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: open.workspace.output.path)) == open.directory.path,
                "unsandboxed, the same script swaps it")
    }

    /// bindeb-pkg writes beside the object tree: a build may write there, not in the attempt's directory,
    /// and the worker copies out its packages but no link among them.
    @Test func theWorkerCopiesOutTheBuildsPackagesButNoLink() async throws {
        let scene = try Scene(sandbox: BuildSandbox())
        defer { scene.remove() }
        let written = try await scene.run(#"printf 'image' > ../linux-image-6.1.0_6.1.0-1_amd64.deb && touch ../../artifact; true"#)
        #expect(written.status == 0)
        #expect(!FileManager.default.fileExists(atPath: scene.workspace.artifactDirectory.path), "the attempt's directory is not the build's")
        let packages = try DebianPackages.collect(from: scene.workspace)
        let name = "linux-image-6.1.0_6.1.0-1_amd64.deb"
        #expect(packages == [ArtifactMetadata.Package(name: name, size: 5,
                                                      sha256: try FileHash.sha256(of: scene.workspace.work.appendingPathComponent(name)))])
        let copied = PackagedArtifact.packagesDirectory(in: scene.workspace.artifactDirectory).appendingPathComponent(name)
        #expect(try String(contentsOf: copied, encoding: .utf8) == "image")

        #expect(try await scene.run(#"ln -s "$1" ../linux-headers-6.1.0_6.1.0-1_amd64.deb"#, [scene.secret.path]).status == 0)
        #expect(throws: CheckFailed.self, "a link to the worker's file is not a package") {
            try DebianPackages.collect(from: scene.workspace)
        }
        let sparse = #"rm ../linux-headers-6.1.0_6.1.0-1_amd64.deb && truncate -s 3G ../linux-libc-dev_6.1.0-1_amd64.deb"#
        #expect(try await scene.run(sparse).status == 0)
        #expect(throws: CheckFailed.self, "a sparse file of 3 GiB is not copied out") { try DebianPackages.collect(from: scene.workspace) }
    }

    @Test func aBuildInheritsNoDescriptorOfTheWorker() async throws {
        let scene = try Scene(sandbox: BuildSandbox())
        defer { scene.remove() }
        // What NIO does with its sockets: no close-on-exec.
        let inheritable = open(scene.secret.path, O_RDONLY)
        defer { close(inheritable) }
        #expect(inheritable > 2)
        let (status, lines) = try await scene.run(#"ls /proc/$$/fd"#)  // the shell's own, listed by a child
        #expect(status == 0)
        #expect(lines == ["0", "1", "2"])
    }

    @Test func aProgramTheSandboxDoesNotShowIsAMissingToolchain() throws {
        let scene = try Scene(sandbox: BuildSandbox())
        defer { scene.remove() }
        #expect(throws: MachineError.self) { try scene.workspace.sandboxed(Command("kfarm-no-such-compiler", [])) }
        #expect(throws: MachineError.self) { try scene.workspace.sandboxed(Command(scene.secret.path, [])) }
    }
}

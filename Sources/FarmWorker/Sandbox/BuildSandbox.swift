import FarmMachine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a build's commands run: a bubblewrap sandbox (Debian's
/// `bubblewrap`) with new user, PID, network, IPC, UTS and cgroup
/// namespaces — no network, no other process visible — that shows the
/// system's programs (/usr) and the build's inputs read-only, only the
/// build's own directories writable, a private /tmp, and nothing else of
/// the host: not the worker's token or environment, not the API's data,
/// not other builds' workspaces. A worker running as root drops to an
/// unprivileged account (`uid`/`gid`, `nobody` by default) before entering
/// it, so nothing a build runs is root on the host.
public struct BuildSandbox: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32 = 65534, gid: UInt32 = 65534) {
        self.uid = uid
        self.gid = gid
    }

    /// The account that runs sandboxed commands, and so must own what they
    /// write: the sandbox's own when the worker is root, the worker's otherwise.
    public var owner: (uid: uid_t, gid: gid_t) {
        getuid() == 0 ? (uid, gid) : (getuid(), getgid())
    }

    /// Makes `directory` (with its parents) and gives it to the account
    /// sandboxed commands run as, so they can write in it.
    public func makeWritable(_ directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard chown(directory.path, owner.uid, owner.gid) == 0 else {
            throw MachineError.configuration("cannot hand \(directory.path) to uid \(owner.uid): \(String(cString: strerror(errno)))")
        }
    }

    /// Makes `directory` for a build's commands to write in: handed to the
    /// sandbox's account, or, unsandboxed (`sandbox` nil), simply made.
    public static func makeWritable(_ directory: URL, for sandbox: BuildSandbox?) throws {
        if let sandbox {
            try sandbox.makeWritable(directory)
        } else {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
    }

    /// What every sandboxed command finds in its environment (the worker's own is not passed on).
    static let baseEnvironment = [
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LC_ALL": "C",
        // The kernel stamps these into the image; the host's names stay out of it.
        "KBUILD_BUILD_USER": "kfarm",
        "KBUILD_BUILD_HOST": "kfarm",
    ]

    /// Directories of the root file system a merged-/usr system links into
    /// /usr (recreated as links), or mounts apart on older layouts.
    private static let systemDirectories = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]
    /// Files of /etc programs need: the loader's cache (multiarch library
    /// paths) and Debian's alternatives (`awk` → mawk); dpkg's settings and
    /// its list of installed packages, which `make bindeb-pkg` records in
    /// the .buildinfo (what /usr shows anyway).
    private static let systemFiles = ["/etc/ld.so.cache", "/etc/alternatives", "/etc/dpkg", "/var/lib/dpkg/status"]

    /// `command` as it runs in the sandbox: `readOnly` and `writable`
    /// directories appear at their own paths; it starts in `workingDirectory`.
    public func wrap(_ command: Command, readOnly: [URL], writable: [URL], workingDirectory: URL) throws -> Command {
        let executable = try resolve(command.executable, visibleIn: readOnly + writable)
        var arguments = ["--die-with-parent", "--new-session", "--unshare-all", "--clearenv", "--hostname", "kfarm-build",
                         "--ro-bind", "/usr", "/usr"]
        for name in Self.systemDirectories {
            let path = "/" + name
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                arguments += ["--symlink", target, path]
            } else if FileManager.default.fileExists(atPath: path) {
                arguments += ["--ro-bind", path, path]
            }
        }
        for path in Self.systemFiles { arguments += ["--ro-bind-try", path, path] }
        arguments += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for directory in readOnly { arguments += ["--ro-bind", directory.path, directory.path] }
        for directory in writable { arguments += ["--bind", directory.path, directory.path] }
        arguments += ["--chdir", workingDirectory.path]
        let environment = Self.baseEnvironment.merging(command.environment) { $1 }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["--setenv", name, value] }
        arguments += ["--", executable] + command.arguments
        if getuid() == 0 {
            arguments = ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--", "bwrap"] + arguments
            return Command("setpriv", arguments, environment: ["PATH": Self.baseEnvironment["PATH"]!], inheritsEnvironment: false)
        }
        return Command("bwrap", arguments, environment: ["PATH": Self.baseEnvironment["PATH"]!], inheritsEnvironment: false)
    }

    /// Makes a sandbox once and runs `true` in it: a worker that cannot
    /// sandbox its builds learns so before it joins the farm.
    public func probe() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-sandbox-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try makeWritable(scratch)
        let output = LineCollector()
        let status: Int32
        do {
            status = try await CommandRunner.run(wrap(Command("sh", ["-c", "touch probe && [ ! -e /etc/passwd ]"]),
                                                      readOnly: [], writable: [scratch], workingDirectory: scratch),
                                                 onLines: output.append)
        } catch {
            throw MachineError.configuration("cannot sandbox builds: \(error) (scripts/install-deps.sh installs bubblewrap)")
        }
        guard status == 0 else {
            throw MachineError.configuration("cannot sandbox builds: bubblewrap exited with \(status): "
                                            + output.lines.suffix(5).joined(separator: " / "))
        }
    }

    /// The absolute path of `executable` as the host's PATH finds it, which
    /// the sandbox must show too: a toolchain elsewhere cannot run in it.
    private func resolve(_ executable: String, visibleIn directories: [URL]) throws -> String {
        let path: String
        if executable.contains("/") {
            path = executable
        } else {
            let searched = (ProcessInfo.processInfo.environment["PATH"] ?? Self.baseEnvironment["PATH"]!).split(separator: ":")
            guard let found = searched.map({ "\($0)/\(executable)" }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
                throw MachineError.launch("\(executable): not found on PATH")
            }
            path = found
        }
        let visible = ["/usr", "/bin", "/sbin"] + directories.map(\.path)
        guard visible.contains(where: { path.hasPrefix($0 + "/") }) else {
            throw MachineError.launch("\(executable): \(path) is outside what the build sandbox shows (/usr and the build's own trees)")
        }
        return path
    }
}

import FarmModel
import Foundation

/// A compiler found on this machine for one architecture: the two data
/// files and the compiler's version, which the worker offers the farm.
public struct InstalledToolchain: Sendable, Equatable {
    public var target: ArchitectureSpec
    public var toolchain: ToolchainSpec
    /// e.g. `gcc-12.2.0`, `clang-16.0.6`: what builds' `options.compilerVersion` is matched against.
    public var compilerVersion: String
    /// The compiler in its own words (the first line of `--version`), e.g.
    /// `aarch64-linux-gnu-gcc-12 (Debian 12.2.0-14) 12.2.0`: a distribution's
    /// rebuild of the same version is another compiler to the build cache.
    public var banner: String

    public init(target: ArchitectureSpec, toolchain: ToolchainSpec, compilerVersion: String, banner: String? = nil) {
        self.target = target
        self.toolchain = toolchain
        self.compilerVersion = compilerVersion
        self.banner = banner ?? compilerVersion
    }

    public var architecture: Architecture { target.architecture }

    public var offer: Toolchain { Toolchain(architecture: architecture, compiler: compilerVersion) }

    /// The compiler's command for this architecture, e.g. `aarch64-linux-gnu-gcc-12`.
    public var compilerExecutable: String { toolchain.expanded(toolchain.executable, for: target) }

    /// The toolchain's `make` variables for this architecture.
    public var makeVariables: [String: String] { toolchain.make.mapValues { toolchain.expanded($0, for: target) } }

    /// Every (architecture, toolchain) pair the files allow whose compiler
    /// answers the version probe and whose other programs (the toolchain's
    /// `requires`, the architecture's user compiler for the boot test's init)
    /// are installed; the others are reported through `skipped` (the worker
    /// does not offer them). One compiler serving several architectures
    /// (clang) is asked once; an offer two files make is made once.
    public static func probe(_ targets: [ArchitectureSpec], _ toolchains: [ToolchainSpec],
                             skipped: (String, String) -> Void) async -> [InstalledToolchain] {
        var installed: [InstalledToolchain] = []
        var answers: [String: Result<(version: String, banner: String), any Error>] = [:]
        for toolchain in toolchains {
            for target in targets where toolchain.architectures.contains(target.architecture) {
                let executable = toolchain.expanded(toolchain.executable, for: target)
                let missing = ([target.userCompiler] + toolchain.requires.map { toolchain.expanded($0, for: target) })
                    .filter { !Command.isInstalled($0) }
                guard missing.isEmpty else {
                    skipped("\(target.architecture.rawValue) \(executable)", "needs \(missing.joined(separator: ", ")), not installed")
                    continue
                }
                let answer: Result<(version: String, banner: String), any Error>
                if let known = answers[executable] {
                    answer = known
                } else {
                    do {
                        answer = .success(try await identify(executable, versionArguments: toolchain.versionArguments))
                    } catch {
                        answer = .failure(error)
                    }
                    answers[executable] = answer
                }
                switch answer.map({ (offer: "\(toolchain.compiler)-\($0.version)", banner: $0.banner) }) {
                case .success(let found) where installed.contains(where: { $0.offer == Toolchain(architecture: target.architecture,
                                                                                                 compiler: found.offer) }):
                    skipped("\(target.architecture.rawValue) \(executable)", "another toolchain file offers the same compiler")
                case .success(let found):
                    installed.append(InstalledToolchain(target: target, toolchain: toolchain, compilerVersion: found.offer,
                                                        banner: found.banner))
                case .failure(let error):
                    skipped("\(target.architecture.rawValue) \(executable)", "\(error)")
                }
            }
        }
        return installed
    }

    /// The installed toolchain a dispatched build runs with: the exact one
    /// the farm routed it to, or else the newest of the farm's default compiler (gcc).
    public static func pick(_ toolchain: String?, for architecture: Architecture, among installed: [InstalledToolchain])
        -> InstalledToolchain? {
        let candidates = installed.filter { $0.architecture == architecture }
        if let toolchain { return candidates.first { $0.compilerVersion == toolchain } }
        let best = CompilerRequest.farmDefault.best(of: candidates.map(\.compilerVersion))
        return candidates.first { $0.compilerVersion == best }
    }

    private static func identify(_ executable: String, versionArguments: [String]) async throws -> (version: String, banner: String) {
        guard let version = try await firstLine(executable, versionArguments),
              CompilerRequest("x-" + version)?.version.isEmpty == false,
              let banner = try await firstLine(executable, ["--version"]) else {
            throw MachineError.configuration("\(executable) does not say its version")
        }
        return (version, banner)
    }

    /// The first line the compiler prints with `arguments`, when it exits 0 and prints one.
    private static func firstLine(_ executable: String, _ arguments: [String]) async throws -> String? {
        let output = LineCollector()
        let status = try await CommandRunner.run(Command(executable, arguments), onLines: output.append)
        let line = output.lines.first?.trimmingCharacters(in: .whitespaces) ?? ""
        return status == 0 && !line.isEmpty ? line : nil
    }
}

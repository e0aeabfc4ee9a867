import FarmModel
import Foundation

/// An architecture's toolchain as a data file in `workers/toolchains/`
/// describes it (in the manner of TuxMake): adding an architecture is
/// adding a file, not a code branch.
public struct ToolchainSpec: Codable, Sendable, Equatable {
    public var architecture: Architecture
    /// The kernel's `ARCH=` name: `x86`, `arm64`, `riscv`.
    public var kernelArch: String
    /// `CROSS_COMPILE=`: empty for the host compiler.
    public var crossCompile: String
    /// The compiler's name; its version is probed with `<crossCompile><compiler> -dumpfullversion`.
    public var compiler: String
    /// The make target and output path of the boot image.
    public var imageTarget: String
    public var imagePath: String
    /// `e_machine` in the ELF header of what this toolchain produces.
    public var elfMachine: UInt16
    /// Kconfig lines a kernel for this architecture needs to boot to a
    /// console under QEMU (added to `workers/kernel/boot.config`).
    public var bootConfig: [String]
    /// Kconfig lines that make the built-in command line (built-in modules'
    /// parameter defaults) count under the boot loader's: `CMDLINE_BOOL` on
    /// x86 (the boot loader's arguments follow it), `CMDLINE_EXTEND` on
    /// riscv; none on arm64 (used when the boot loader passes none).
    public var commandLineConfig: [String]
    /// How the testing stage boots this architecture's kernels.
    public var qemu: QemuSpec

    public struct QemuSpec: Codable, Sendable, Equatable {
        /// e.g. `qemu-system-riscv64`.
        public var binary: String
        /// Machine, CPU, firmware and memory, e.g. `-M virt -bios default -m 256M`.
        public var arguments: [String]
        /// The kernel's console device on that machine, e.g. `ttyS0`.
        public var console: String
    }

    /// The compiler's executable, e.g. `aarch64-linux-gnu-gcc`.
    public var compilerExecutable: String { crossCompile + compiler }

    /// Every `*.json` in `directory`, by architecture.
    public static func load(from directory: URL) throws -> [ToolchainSpec] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { file in
            do {
                return try JSONDecoder().decode(ToolchainSpec.self, from: Data(contentsOf: file))
            } catch {
                throw MachineError.configuration("\(file.path): \(error)")
            }
        }
    }
}

/// A toolchain found on this machine: its data file and the compiler's version.
public struct InstalledToolchain: Sendable, Equatable {
    public var spec: ToolchainSpec
    /// e.g. `gcc-12.2.0`, what builds' `options.compilerVersion` is matched against.
    public var compilerVersion: String
    /// The compiler in its own words (the first line of `--version`), e.g.
    /// `aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0`: a distribution's
    /// rebuild of the same version is another compiler to the build cache.
    public var banner: String

    public init(spec: ToolchainSpec, compilerVersion: String, banner: String? = nil) {
        self.spec = spec
        self.compilerVersion = compilerVersion
        self.banner = banner ?? compilerVersion
    }

    public var offer: Toolchain { Toolchain(architecture: spec.architecture, compiler: compilerVersion) }

    /// The specs whose compiler answers the version probe; the others are
    /// reported through `skipped` (the worker does not offer them).
    public static func probe(_ specs: [ToolchainSpec], skipped: (ToolchainSpec, String) -> Void) async -> [InstalledToolchain] {
        var installed: [InstalledToolchain] = []
        for spec in specs {
            do {
                guard let version = try await firstLine(of: spec, ["-dumpfullversion"]),
                      let banner = try await firstLine(of: spec, ["--version"]) else {
                    skipped(spec, "\(spec.compilerExecutable) does not say its version")
                    continue
                }
                installed.append(InstalledToolchain(spec: spec, compilerVersion: "\(spec.compiler)-\(version)", banner: banner))
            } catch {
                skipped(spec, "\(error)")
            }
        }
        return installed
    }

    /// The first line the compiler prints with `arguments`, when it exits 0 and prints one.
    private static func firstLine(of spec: ToolchainSpec, _ arguments: [String]) async throws -> String? {
        let output = LineCollector()
        let status = try await CommandRunner.run(Command(spec.compilerExecutable, arguments), onLines: output.append)
        let line = output.lines.first?.trimmingCharacters(in: .whitespaces) ?? ""
        return status == 0 && !line.isEmpty ? line : nil
    }
}

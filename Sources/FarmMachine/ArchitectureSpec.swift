import FarmModel
import Foundation

/// An architecture as its data file in `workers/architectures/` describes
/// it (in the manner of TuxMake): the kernel's names for it, its boot image,
/// the Kconfig lines and QEMU line its boot test needs. Which compilers
/// build for it is the toolchain files' business.
public struct ArchitectureSpec: Codable, Sendable, Equatable {
    public var architecture: Architecture
    /// The kernel's `ARCH=` name: `x86`, `arm64`, `riscv`.
    public var kernelArch: String
    /// The GNU tools' prefix, `{crossCompile}` in toolchain files: empty for the host's.
    public var crossCompile: String
    /// The make target and output path of the boot image.
    public var imageTarget: String
    public var imagePath: String
    /// `e_machine` in the ELF header of what is built for it.
    public var elfMachine: UInt16
    /// Whether its kernels may ship device trees (`make dtbs`), when their
    /// configuration enables a device-tree platform (absent: no).
    public var dtbs: Bool?
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

    /// The GNU C compiler for this architecture's user programs (the boot
    /// test's init links libgcc), whichever compiler builds the kernel.
    public var userCompiler: String { crossCompile + "gcc" }

    /// Every `*.json` in `directory`.
    public static func load(from directory: URL) throws -> [ArchitectureSpec] {
        try DataFiles.load(ArchitectureSpec.self, from: directory)
    }
}

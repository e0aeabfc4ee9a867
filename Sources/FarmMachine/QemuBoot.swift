import Foundation

/// Boots a kernel image under QEMU (software emulation) with the console
/// in a file, then prints the file; a hang is cut at `timeoutSeconds`. The
/// command always succeeds: whoever runs it decides from the console what
/// the boot showed. Used by the build's testing stage and by deployment
/// agents' default health check.
public struct QemuBoot: Sendable {
    /// What `workers/kernel/init.c` prints once the kernel has started it.
    public static let initMarker = "KFARM-BOOT-OK"

    public let qemu: ArchitectureSpec.QemuSpec
    public let timeoutSeconds: Int

    public init(qemu: ArchitectureSpec.QemuSpec, timeoutSeconds: Int) {
        self.qemu = qemu
        self.timeoutSeconds = timeoutSeconds
    }

    public func command(image: URL, initramfs: URL?, console: URL) -> Command {
        let script = """
            console=$1; limit=$2; shift 2
            timeout "$limit" "$@"
            status=$?
            cat "$console"
            [ "$status" -eq 124 ] && echo "kfarm: QEMU stopped after $limit s"
            exit 0
            """
        return Command("sh", ["-c", script, "kfarm-boot", console.path, String(timeoutSeconds), qemu.binary]
            + qemu.arguments
            + ["-display", "none", "-no-reboot", "-serial", "file:\(console.path)", "-kernel", image.path]
            + (initramfs.map { ["-initrd", $0.path] } ?? [])
            + ["-append", "console=\(qemu.console) panic=-1"])
    }
}

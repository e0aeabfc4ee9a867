import FarmModel
import Foundation

/// The testing stage of a real kernel: boots the built image under QEMU
/// (software emulation) with an initramfs whose only program is
/// `workers/kernel/init.c`, built static against the tree's nolibc with the
/// build's own cross compiler. The init prints a marker and restarts, which
/// ends QEMU (`-no-reboot`). When the kernel takes loadable modules, the
/// seed's hello module is built out of tree against it, put in the
/// initramfs and loaded by the init; its printk line must reach the console.
/// The console goes into the build's log, so a failed boot shows why.
struct BootTest {
    static let marker = QemuBoot.initMarker
    static let moduleLine = "Hello, Kernel World!"
    /// Software emulation boots these kernels in seconds (KERNEL-NOTES.md); this is the hang limit.
    static let timeoutSeconds = 120

    let data: URL
    let workspace: Workspace

    private var directory: URL { workspace.output.appendingPathComponent("kfarm-boot") }
    private var console: URL { directory.appendingPathComponent("console.log") }

    /// Whether the built configuration takes loadable modules.
    private var modular: Bool {
        let config = try? workspace.text(of: workspace.output.appendingPathComponent(".config"))
        return config.map { DotConfig(text: $0).value(of: "MODULES") == "y" } ?? false
    }

    var steps: [BuildStep] {
        let spec = workspace.toolchain.spec
        let output = workspace.output
        let initBinary = directory.appendingPathComponent("init")
        let hello = directory.appendingPathComponent("hello")
        let list = directory.appendingPathComponent("initramfs.list")
        let initramfs = directory.appendingPathComponent("initramfs.cpio")
        let modular = modular
        var steps: [BuildStep] = [
            .run(Command("mkdir", ["-p", directory.path])),
            // nolibc needs the architecture's UAPI headers: `make headers` puts them in O=/usr/include.
            .run(workspace.make(["headers"])),
            .run(Command(spec.compilerExecutable, [
                "-Os", "-static", "-nostdlib", "-fno-asynchronous-unwind-tables",
                "-I", output.appendingPathComponent("usr/include").path,
                "-include", workspace.source.appendingPathComponent("tools/include/nolibc/nolibc.h").path,
                "-o", initBinary.path, data.appendingPathComponent("init.c").path, "-lgcc",
            ], environment: workspace.environment)),
        ]
        var files = ["dir /dev 755 0 0", "nod /dev/console 600 0 0 c 5 1", "file /init \(initBinary.path) 755 0 0"]
        if modular {
            steps += [
                .run(Command("cp", ["-R", data.appendingPathComponent("hello").path, hello.path])),
                .run(workspace.make(["modules"], variables: ["M": hello.path])),
            ]
            files.append("file /hello.ko \(hello.appendingPathComponent("hello.ko").path) 644 0 0")
        }
        steps += [
            .run(.writeLines(files, to: list)),
            .run(Command("sh", ["-c", "\"$1\" \"$2\" > \"$3\"", "kfarm-cpio",
                                output.appendingPathComponent("usr/gen_init_cpio").path, list.path, initramfs.path])),
            .run(qemu(initramfs: initramfs)),
            .check("the boot printed \(Self.marker)\(modular ? " and the hello module's line" : "")") {
                let text = (try? workspace.text(of: console)) ?? ""
                guard text.contains(Self.marker) else {
                    throw CheckFailed("the kernel did not boot to the test init within \(Self.timeoutSeconds) s (console above)")
                }
                if modular, !text.contains(Self.moduleLine) {
                    throw CheckFailed("the hello module did not print \"\(Self.moduleLine)\" when loaded (console above)")
                }
            },
        ]
        return steps
    }

    /// QEMU with the console in a file, then the file into the log.
    private func qemu(initramfs: URL) -> Command {
        let spec = workspace.toolchain.spec
        return QemuBoot(qemu: spec.qemu, timeoutSeconds: Self.timeoutSeconds)
            .command(image: workspace.output.appendingPathComponent(spec.imagePath), initramfs: initramfs, console: console)
    }
}

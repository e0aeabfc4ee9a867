import FarmMachine
import FarmModel
import Foundation

/// The testing stage of a real kernel: boots the built image under QEMU
/// (software emulation) with an initramfs whose only program is
/// `workers/kernel/init.c`, built static against the tree's nolibc with the
/// architecture's GNU compiler (it is a user program, whatever compiler built the kernel). The init prints a marker and restarts, which
/// ends QEMU (`-no-reboot`). When the kernel takes loadable modules and
/// the configuration ships no external ones, the seed's hello module is
/// built out of tree against it as a probe, put in the initramfs and loaded
/// by the init; its printk line must reach the console. The configuration's
/// loadable modules and its external modules, as the artifact ships them,
/// are put in the initramfs too, with what they depend on, and loaded in
/// `modules.dep` order: each must load.
/// The console goes into the build's log, so a failed boot shows why.
struct BootTest {
    static let marker = QemuBoot.initMarker
    static let moduleLine = "Hello, Kernel World!"
    /// Software emulation boots these kernels in seconds (KERNEL-NOTES.md); this is the hang limit.
    static let timeoutSeconds = 120

    let data: URL
    let workspace: Workspace
    /// The configuration's loadable and external modules, as their `.ko` files are named (`btrfs`, `crc-ccitt`).
    var modules: [String] = []
    /// Builds and loads the hello module as a probe that modules load at all.
    var helloProbe = true

    private var directory: URL { workspace.output.appendingPathComponent("kfarm-boot") }
    private var console: URL { directory.appendingPathComponent("console.log") }

    /// Whether the built configuration takes loadable modules.
    private var modular: Bool {
        let config = try? workspace.text(of: workspace.output.appendingPathComponent(".config"))
        return config.map { DotConfig(text: $0).value(of: "MODULES") == "y" } ?? false
    }

    var steps: [BuildStep] {
        let spec = workspace.toolchain.target
        let output = workspace.output
        let initBinary = directory.appendingPathComponent("init")
        let hello = directory.appendingPathComponent("hello")
        let list = directory.appendingPathComponent("initramfs.list")
        let initramfs = directory.appendingPathComponent("initramfs.cpio")
        let probing = modular && helloProbe
        var steps: [BuildStep] = [
            .run(Command("mkdir", ["-p", directory.path])),
            // nolibc needs the architecture's UAPI headers: `make headers` puts them in O=/usr/include.
            .run(workspace.make(["headers"])),
            .run(Command(spec.userCompiler, [
                "-Os", "-static", "-nostdlib", "-fno-asynchronous-unwind-tables",
                "-I", output.appendingPathComponent("usr/include").path,
                "-include", workspace.source.appendingPathComponent("tools/include/nolibc/nolibc.h").path,
                "-o", initBinary.path, data.appendingPathComponent("init.c").path, "-lgcc",
            ], environment: workspace.environment)),
        ]
        var files = ["dir /dev 755 0 0", "nod /dev/console 600 0 0 c 5 1", "file /init \(initBinary.path) 755 0 0"]
        let loading: [URL]
        do {
            loading = try loadOrder()
        } catch {
            return [.check("the modules to load at boot") { throw error }]
        }
        if !loading.isEmpty {
            let names = loading.map { "/m/\($0.lastPathComponent)" }
            let listFile = directory.appendingPathComponent("modules.list")
            steps.append(.run(.writeLines(names, to: listFile)))
            files += ["dir /m 755 0 0", "file /modules.list \(listFile.path) 644 0 0"]
                + zip(names, loading).map { "file \($0) \($1.path) 644 0 0" }
        }
        if probing {
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
            .check("the boot printed \(Self.marker)\(probing ? " and the hello module's line" : "")"
                   + (loading.isEmpty ? "" : ", and loaded \(loading.map { $0.deletingPathExtension().lastPathComponent }.joined(separator: ", "))")) {
                let text = (try? workspace.text(of: console)) ?? ""
                guard text.contains(Self.marker) else {
                    throw CheckFailed("the kernel did not boot to the test init within \(Self.timeoutSeconds) s (console above)")
                }
                if probing, !text.contains(Self.moduleLine) {
                    throw CheckFailed("the hello module did not print \"\(Self.moduleLine)\" when loaded (console above)")
                }
                let failed = loading.map { "/m/\($0.lastPathComponent)" }.filter { !text.contains("KFARM-MODULE: finit_module(\($0)) = 0") }
                if !failed.isEmpty {
                    throw CheckFailed("these modules did not load at boot: \(failed.joined(separator: ", ")) (console above)")
                }
            },
        ]
        return steps
    }

    /// The installed `.ko` files of `modules` and everything they depend on,
    /// dependencies first, from the `modules.dep` that `modules_install` wrote into staging.
    func loadOrder() throws -> [URL] {
        guard !modules.isEmpty else { return [] }
        let release = try workspace.text(of: workspace.output.appendingPathComponent("include/config/kernel.release"))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let root = workspace.staging.appendingPathComponent("lib/modules/\(release)")
        var dependencies: [String: [String]] = [:]
        for line in try workspace.text(of: root.appendingPathComponent("modules.dep")).split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard let module = parts.first else { continue }
            // The build wrote this file: only paths of .ko files inside the tree go into the initramfs list.
            let needs = parts.count > 1 ? parts[1].split(separator: " ").map(String.init) : []
            guard Self.isModulePath(String(module)), needs.allSatisfy(Self.isModulePath) else {
                throw CheckFailed("modules.dep names a module outside lib/modules: \(line.prefix(200))")
            }
            dependencies[String(module)] = needs
        }
        var order: [String] = []
        func visit(_ module: String, depth: Int) {
            guard !order.contains(module), depth < 64 else { return }
            for dependency in dependencies[module] ?? [] { visit(dependency, depth: depth + 1) }
            order.append(module)
        }
        for name in modules {
            let wanted = KernelModuleInfo.canonical(name) + ".ko"
            guard let module = dependencies.keys.sorted().first(where: {
                KernelModuleInfo.canonical(($0 as NSString).lastPathComponent) == wanted
            }) else {
                throw CheckFailed("\(name).ko is not in modules.dep: modules_install did not install it")
            }
            visit(module, depth: 0)
        }
        return order.map { root.appendingPathComponent($0) }
    }

    /// `kernel/fs/btrfs/btrfs.ko`: relative, no `..`, nothing the initramfs list would read as a separator.
    private static func isModulePath(_ path: String) -> Bool {
        path.hasSuffix(".ko") && !path.hasPrefix("/") && !path.split(separator: "/").contains("..")
            && path.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-+/".unicodeScalars.contains($0)) }
    }

    /// QEMU with the console in a file, then the file into the log.
    private func qemu(initramfs: URL) -> Command {
        let spec = workspace.toolchain.target
        return QemuBoot(qemu: spec.qemu, timeoutSeconds: Self.timeoutSeconds)
            .command(image: workspace.output.appendingPathComponent(spec.imagePath), initramfs: initramfs, console: console)
    }
}

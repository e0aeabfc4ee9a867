import FarmMachine
import FarmModel
import Foundation

/// What "reboot into the new kernel and check it" means on this system,
/// run after switching when the deployment asks for `forceReboot`:
/// - `command`: a shell command (`sh -c`) with the slot in the environment
///   (KFARM_SLOT, KFARM_SLOT_DIR, KFARM_KERNEL_RELEASE, KFARM_ARTIFACT_ID,
///   KFARM_DEPLOYMENT_ID, KFARM_SYSTEM_ID); exit 0 is healthy.
/// - `qemu`: boots the slot's kernel image under QEMU with the
///   architecture's line from the architecture files. With an initramfs (the
///   one the build's boot test uses), healthy is its init's marker on the
///   console; without, the kernel's own banner naming the new release.
public enum HealthCheck: Sendable {
    case command(String)
    case qemu(architectures: URL, initramfs: URL?, timeoutSeconds: Int)

    /// Whether the new kernel is healthy, and the output's last lines.
    func run(slot: KernelSlot, in layout: SlotLayout, order: DeploymentOrder, provenance: ArtifactProvenance) async throws
        -> (healthy: Bool, tail: [String]) {
        let directory = layout.directory(slot)
        switch self {
        case .command(let line):
            let output = OutputTail(limit: 40)
            let status = try await CommandRunner.run(Command("sh", ["-c", line], environment: [
                "KFARM_SLOT": slot.rawValue, "KFARM_SLOT_DIR": directory.path, "KFARM_KERNEL_RELEASE": order.kernelRelease,
                "KFARM_ARTIFACT_ID": order.artifact.id.lowercased, "KFARM_DEPLOYMENT_ID": order.deploymentId.lowercased,
                "KFARM_SYSTEM_ID": order.systemId.lowercased,
            ])) { output.add($0) }
            if status != 0 { output.add(["health command exited with status \(status)"]) }
            return (status == 0, output.lines)
        case .qemu(let architectures, let initramfs, let timeoutSeconds):
            guard let spec = try ArchitectureSpec.load(from: architectures).first(where: { $0.architecture == provenance.architecture }) else {
                throw AgentError.configuration("no architecture file for \(provenance.architecture.rawValue) in \(architectures.path)")
            }
            let image = directory.appendingPathComponent("boot").appendingPathComponent(URL(fileURLWithPath: spec.imagePath).lastPathComponent)
            let console = layout.root.appendingPathComponent("health-console.log")
            let marker = initramfs == nil ? "Linux version \(order.kernelRelease)" : QemuBoot.initMarker
            let output = OutputTail(limit: 40, watching: marker)
            _ = try await CommandRunner.run(QemuBoot(qemu: spec.qemu, timeoutSeconds: timeoutSeconds)
                .command(image: image, initramfs: initramfs, console: console)) { output.add($0) }
            if !output.seen { output.add(["the new kernel did not print \"\(marker)\" within \(timeoutSeconds) s"]) }
            return (output.seen, output.lines)
        }
    }
}

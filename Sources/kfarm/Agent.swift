import ArgumentParser
import FarmAgent
import Foundation
import Logging

struct Agent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a target system's deployment agent. Stops gracefully on SIGTERM or SIGINT.",
        discussion: """
            The agent speaks for one target system (--system, its id from
            POST /systems) with a system token of a release manager of the
            system's project (`kfarm admin create-token NAME --kind system`,
            passed in KFARM_SYSTEM_TOKEN); the first token it reports with is
            the only one the system answers to from then on.

            Under --root it keeps the A/B layout: slots/a, slots/b and
            `current`, a link to the active slot, switched in one rename; the
            order journal (orders/), which makes a redelivered order resume
            instead of installing twice; and downloads/. Each artifact is
            checked against its sha256 and the farm's signature before it is
            unpacked (the key: --signing-key, or the API's, pinned on the
            first start in <root>/farm-signing-key).

            With forceReboot the deployment reboots into the new kernel and
            checks it: --health-command runs a shell command (exit 0 =
            healthy; KFARM_SLOT_DIR, KFARM_SLOT, KFARM_KERNEL_RELEASE,
            KFARM_ARTIFACT_ID, KFARM_DEPLOYMENT_ID, KFARM_SYSTEM_ID in its
            environment); without it the new kernel is booted under QEMU
            (the architecture's line in --architecture-files) and must print the
            marker of --boot-initramfs's init, or without one, its own
            "Linux version <release>" banner. An unhealthy kernel is switched
            back at once and the failure reported with the output's tail.
            """)

    @Option(help: "The target system's id.")
    var system: String

    @OptionGroup(title: "Farm") var farm: MachineOptions

    @Option(help: "The agent's root: slots, current, the order journal, downloads.")
    var root: String

    @Option(help: "The farm's public signing key (base64 or PEM); default: pinned from the API on the first start.")
    var signingKey: String?

    @Option(help: "Shell command that reboots into the new kernel and exits 0 when it is healthy (default: a QEMU boot).")
    var healthCommand: String?

    @Option(help: "The folder of architecture data files (QEMU lines for the default health check).")
    var architectureFiles = "workers/architectures"

    @Option(help: "An initramfs whose init prints KFARM-BOOT-OK, for the QEMU health check.")
    var bootInitramfs: String?

    @Option(help: "Seconds the QEMU health check waits for the marker.")
    var bootTimeout = 120

    @Option(help: "Seconds between heartbeats (the API fails an order's target after --agent-silence-seconds without one).")
    var heartbeatSeconds = 10

    func validate() throws {
        guard UUID(uuidString: system) != nil else { throw ValidationError("--system must be the system's id (a UUID)") }
        guard (1...60).contains(heartbeatSeconds) else { throw ValidationError("--heartbeat-seconds must be 1 to 60") }
        guard (5...3600).contains(bootTimeout) else { throw ValidationError("--boot-timeout must be 5 to 3600") }
    }

    func run() async throws {
        let connection = try farm.connection(tokenVariable: "KFARM_SYSTEM_TOKEN", kind: .system)
        let health: HealthCheck = healthCommand.map { .command($0) }
            ?? .qemu(architectures: URL(fileURLWithPath: architectureFiles), initramfs: bootInitramfs.map { URL(fileURLWithPath: $0) },
                     timeoutSeconds: bootTimeout)
        let settings = AgentSettings(
            systemID: UUID(uuidString: system)!, apiURL: connection.api, token: connection.token, broker: connection.broker,
            root: URL(fileURLWithPath: root),
            signingKey: signingKey.map { URL(fileURLWithPath: $0) }, health: health, heartbeatInterval: .seconds(heartbeatSeconds))
        let logger = farm.log.logger("kfarm.agent")
        let agent = DeployAgent(settings: settings, logger: logger)
        try await MachineService.run(farm, logger: logger) { try await agent.run() }
    }
}

import Crypto
import FarmModel
@testable import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird

/// The world the authorization matrix calls into: a project with one
/// account per role, tokens of every kind and state, and the builds,
/// artifacts, systems and deployments the routes act on.
extension AuthorizationMatrixTests {
    /// A project with one account per role, and what the calls need.
    struct Scenario: Sendable {
        let fixtures: Fixtures
        let project: Project
        let configuration: ConfigurationDetail
        let accounts: [Caller: Fixtures.Account]
        let expiredToken: String
        let revokedToken: String
        let machineTokens: [TokenKind: String]
        let workerTokenID: UUID
        let shelf: ArtifactShelf

        static func make(_ fixtures: Fixtures, shelf: ArtifactShelf) async throws -> Scenario {
            var accounts: [Caller: Fixtures.Account] = [:]
            for caller in [Caller.viewer, .developer, .releaseManager, .projectAdmin, .otherProjectMember] {
                accounts[caller] = try await fixtures.account()
            }
            accounts[.farmAdmin] = try await fixtures.account(.admin)
            let project = try await fixtures.project(members: [
                (accounts[.viewer]!, .viewer), (accounts[.developer]!, .developer),
                (accounts[.releaseManager]!, .release_manager), (accounts[.projectAdmin]!, .admin),
            ])
            _ = try await fixtures.project(members: [(accounts[.otherProjectMember]!, .admin)])
            let configuration = try await fixtures.configuration(in: project, by: accounts[.developer]!,
                                                                 modules: [ModuleSpec(name: "ext4")])
            // The strongest account's tokens, expired and revoked: still 401.
            let admin = accounts[.farmAdmin]!.user
            let (expired, expiredSecret) = try await fixtures.store.users.createToken(
                for: admin.id, name: "expired", expiresAt: Date().addingTimeInterval(60), by: nil)
            try await fixtures.store.client.query("UPDATE api_tokens SET expires_at = now() WHERE id = \(expired.id)")
            let (revoked, revokedSecret) = try await fixtures.store.users.createToken(
                for: admin.id, name: "revoked", expiresAt: nil, by: nil)
            _ = try await fixtures.store.users.revokeToken(revoked.id, of: admin.id, by: nil)
            // Machine tokens made by a farm admin: they must not act as the admin.
            var machineTokens: [TokenKind: String] = [:]
            var tokenIDs: [TokenKind: UUID] = [:]
            for kind in [TokenKind.worker, .system] {
                let (token, secret) = try await fixtures.store.users.createToken(
                    for: admin.id, name: kind.rawValue, kind: kind, expiresAt: nil, by: nil)
                machineTokens[kind] = secret.value
                tokenIDs[kind] = token.id
            }
            return Scenario(fixtures: fixtures, project: project, configuration: configuration, accounts: accounts,
                            expiredToken: expiredSecret.value, revokedToken: revokedSecret.value,
                            machineTokens: machineTokens, workerTokenID: tokenIDs[.worker]!, shelf: shelf)
        }

        var projectID: String { project.id.lowercased }
        var configurationID: String { configuration.configuration.id.lowercased }
        var versionID: String { configuration.versions[0].id.lowercased }

        func authorization(_ caller: Caller) -> String? {
            switch caller {
            case .noToken: nil
            case .expiredToken: "Bearer \(expiredToken)"
            case .revokedToken: "Bearer \(revokedToken)"
            case .workerToken: "Bearer \(machineTokens[.worker]!)"
            case .systemToken: "Bearer \(machineTokens[.system]!)"
            default: accounts[caller]!.authorization
            }
        }

        /// A new queued build of the scenario's configuration.
        func queuedBuild() async throws -> BuildRecord {
            try await fixtures.store.builds.submit(
                NewBuild(configVersionId: configuration.versions[0].id), by: accounts[.developer]!.user.id)
        }

        /// A new worker registered with the scenario's worker token, serving the configuration's architecture.
        func worker() async throws -> Worker {
            try await fixtures.store.workers.register(
                WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .x86_64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096),
                token: workerTokenID)
        }

        /// A new kernel series a new worker of the scenario's worker token builds, its catalog published when asked.
        func kernelSeries(published: Bool) async throws -> String {
            let series = Fixtures.uniqueSeries()
            // Beside a worker of any version, so that one building only this series refuses no other test's submits.
            _ = try await worker()
            _ = try await fixtures.store.workers.register(
                WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .x86_64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096, kernelSeries: [series]),
                token: workerTokenID)
            if published {
                _ = try await fixtures.store.kernels.publish(.sample(series: series), sha256: String(repeating: "0", count: 64),
                                                             token: workerTokenID)
            }
            return series
        }

        /// A new build of the scenario's configuration, claimed by a new worker of the scenario's worker token.
        func claimedBuild() async throws -> (build: BuildRecord, worker: Worker) {
            let (build, worker) = (try await queuedBuild(), try await worker())
            _ = try await fixtures.store.workers.claim(build.id, BuildClaim(workerId: worker.id, attempt: 1),
                                                       token: workerTokenID, lease: 60)
            return (build, worker)
        }

        /// A stored tarball (unique bytes) and what a worker reports about it for `build`.
        /// The Debian package every scenario artifact lists (the tarball's bytes again).
        static let packageName = "linux-image-6.1.158_6.1.158-1_amd64.deb"

        func upload(for build: BuildRecord, worker: Worker) async throws -> ArtifactUpload {
            let bytes = ByteBuffer(string: Fixtures.unique("kernel"))
            let sha256 = SHA256.hash(data: Array(buffer: bytes)).map { String(format: "%02x", $0) }.joined()
            let size = try await shelf.storage.store(RequestBody(buffer: bytes), sha256: sha256, maxSize: .max)
            let metadata = ArtifactMetadata(
                buildId: build.id, buildNumber: build.buildNumber, configuration: build.config, configVersion: build.configVersion,
                architecture: build.architecture, toolchain: "gcc-12.2.0", options: build.options, baseVersion: "6.1.0",
                kernelRelease: "6.1.158", configSha256: sha256, imageSize: size, files: [],
                packages: [.init(name: Self.packageName, size: size, sha256: sha256)])
            return ArtifactUpload(workerId: worker.id, attempt: 1, sha256: sha256, size: size, inputKey: sha256, metadata: metadata,
                                  kconfig: "CONFIG_EXT4_FS=y\n")
        }

        /// A recorded artifact of a new build in the scenario's project.
        func artifact() async throws -> ArtifactRecord {
            let (build, worker) = try await claimedBuild()
            return try await fixtures.store.artifacts.record(try await upload(for: build, worker: worker), build: build.id,
                                                             token: workerTokenID, storageKey: "test", sign: shelf.signer.sign)
        }

        /// A new x86_64 target system in the scenario's project.
        func system() async throws -> TargetSystem {
            try await fixtures.store.systems.create(
                NewTargetSystem(name: Fixtures.unique("sys"), architecture: .x86_64, projectId: project.id),
                by: accounts[.farmAdmin]!.user.id)
        }

        /// A scheduled deployment of a new artifact to a new system.
        func deployment() async throws -> DeploymentRecord {
            let (artifact, system) = (try await artifact(), try await system())
            return try await fixtures.store.deployments.create(
                NewDeployment(buildArtifactId: artifact.id, targetSystems: [system.id], scheduleFor: Date().addingTimeInterval(3600)),
                by: accounts[.farmAdmin]!.user.id)
        }

        /// A deployment to a new system, started, its target installing.
        func runningDeployment() async throws -> (DeploymentRecord, UUID) {
            let deployment = try await deployment()
            try await fixtures.store.client.query("""
                UPDATE deployments SET status = 'in_progress', started_at = now() WHERE id = \(deployment.id)
                """)
            try await fixtures.store.client.query("""
                UPDATE deployment_targets SET status = 'in_progress', started_at = now() WHERE deployment_id = \(deployment.id)
                """)
            return (deployment, deployment.targetSystems[0].id)
        }

        /// The user a call acts as (the token owner for the others).
        func user(_ caller: Caller) -> User { (accounts[caller] ?? accounts[.farmAdmin]!).user }
    }
}

import FarmModel
import FarmStore
import Foundation

/// Creates users, tokens and projects with unique names, so tests can share
/// one database and run in parallel without seeing each other's rows.
public struct Fixtures: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public struct Account: Sendable {
        public let user: User
        public let token: String

        public var authorization: String { "Bearer \(token)" }
    }

    public static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().lowercased.prefix(12))"
    }

    public func account(_ role: AccountRole = .member) async throws -> Account {
        let user = try await store.users.create(NewUser(username: Self.unique("user"), role: role), by: nil)
        let (_, secret) = try await store.users.createToken(for: user.id, name: "test", expiresAt: nil, by: nil)
        return Account(user: user, token: secret.value)
    }

    /// The account with another token of `kind` (an agent's system token, say).
    public func token(of account: Account, kind: TokenKind) async throws -> Account {
        let (_, secret) = try await store.users.createToken(for: account.user.id, name: kind.rawValue, kind: kind,
                                                            expiresAt: nil, by: nil)
        return Account(user: account.user, token: secret.value)
    }

    /// A project created by a new farm admin, with the given members.
    public func project(members: [(Account, ProjectRole)] = []) async throws -> Project {
        let owner = try await account(.admin)
        let project = try await store.projects.create(NewProject(name: Self.unique("project")), creator: owner.user.id)
        for (member, role) in members {
            _ = try await store.projects.setMember(member.user.id, role: role, in: project.id, by: owner.user.id)
        }
        return project
    }

    public func configuration(
        in project: Project, by creator: Account, architecture: Architecture = .x86_64, modules: [ModuleSpec] = []
    ) async throws -> ConfigurationDetail {
        try await store.configurations.create(
            NewConfiguration(name: Self.unique("config"), baseVersion: "6.1.0", architecture: architecture.rawValue,
                             projectId: project.id, modules: modules),
            creator: creator.user.id)
    }

    /// A worker token, as `kfarm admin create-token NAME --kind worker` makes it.
    public func workerToken() async throws -> (secret: String, id: UUID) {
        let admin = try await account(.admin)
        let (token, secret) = try await store.users.createToken(
            for: admin.user.id, name: "worker", kind: .worker, expiresAt: nil, by: nil)
        return (secret.value, token.id)
    }

    /// A registered worker offering `toolchains` (and building `kernelSeries`), with its token's secret.
    public func worker(_ toolchains: [Toolchain], kernelSeries: [String]? = nil) async throws -> (worker: Worker, secret: String) {
        let (secret, tokenID) = try await workerToken()
        let worker = try await store.workers.register(
            WorkerRegistration(name: Self.unique("worker"), toolchains: toolchains, cores: 2, memoryMb: 4096,
                               kernelSeries: kernelSeries), token: tokenID)
        return (worker, secret)
    }

    /// A kernel series no other test uses (`4711.815`): catalogs are farm-wide, one per series.
    public static func uniqueSeries() -> String {
        "\(Int.random(in: 100...9999)).\(Int.random(in: 0...9999))"
    }

    /// A recorded artifact of a new build of `version`, as a worker would
    /// leave it, signed by `sign`: of the tarball `stored`, or of none
    /// (enough for what reads artifact rows).
    public func artifact(of version: UUID, by developer: Account, kernelRelease: String = "6.1.158",
                         sign: ArtifactRepository.Signer, stored: StoredBlob? = nil, kconfig: String? = nil) async throws
        -> ArtifactRecord {
        let build = try await store.builds.submit(NewBuild(configVersionId: version), by: developer.user.id)
        let (_, tokenID) = try await workerToken()
        let worker = try await store.workers.register(
            WorkerRegistration(name: Self.unique("worker"), toolchains: [Toolchain(architecture: build.architecture, compiler: "gcc-12.2.0")],
                               cores: 2, memoryMb: 4096), token: tokenID)
        _ = try await store.workers.claim(build.id, BuildClaim(workerId: worker.id, attempt: 1), token: tokenID, lease: 60)
        let sha256 = stored?.sha256
            ?? String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(32)).padding(toLength: 64, withPad: "0", startingAt: 0)
        let metadata = ArtifactMetadata(
            buildId: build.id, buildNumber: build.buildNumber, configuration: build.config, configVersion: build.configVersion,
            architecture: build.architecture, toolchain: "gcc-12.2.0", options: build.options, baseVersion: "6.1.0",
            kernelRelease: kernelRelease, configSha256: sha256, imageSize: 1, files: [])
        return try await store.artifacts.record(
            ArtifactUpload(workerId: worker.id, attempt: 1, sha256: sha256, size: stored?.size ?? 1, inputKey: nil, metadata: metadata,
                           kconfig: kconfig),
            build: build.id, token: tokenID, storageKey: "sha256/\(sha256)", sign: sign)
    }
}

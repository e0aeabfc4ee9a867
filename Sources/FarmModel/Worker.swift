import Foundation

/// A compiler a worker offers for an architecture, e.g. `gcc-12.2.0` for arm64.
public struct Toolchain: Codable, Sendable, Equatable {
    public var architecture: Architecture
    /// The compiler and its whole version, e.g. `gcc-12.2.0`, which builds' `compilerVersion` is matched against.
    public var compiler: String

    public init(architecture: Architecture, compiler: String) {
        self.architecture = architecture
        self.compiler = compiler
    }

    /// What a worker offers names a version: `gcc-12.2.0`, not `gcc`.
    static let compilerRule = FieldRule { value in
        guard let offer = CompilerRequest(value), !offer.version.isEmpty else {
            return "must be a compiler and its version such as gcc-12.2.0"
        }
        return nil
    }
}

/// A worker joining the farm (`POST /workers`, with a worker token).
public struct WorkerRegistration: Codable, Sendable, Equatable {
    public var name: String
    public var toolchains: [Toolchain]
    public var cores: Int
    public var memoryMb: Int
    /// The kernel series the worker builds, e.g. `["6.1"]`; absent: any
    /// version (a worker whose builds do not depend on it).
    public var kernelSeries: [String]?

    public init(name: String, toolchains: [Toolchain], cores: Int, memoryMb: Int, kernelSeries: [String]? = nil) {
        self.name = name
        self.toolchains = toolchains
        self.cores = cores
        self.memoryMb = memoryMb
        self.kernelSeries = kernelSeries
    }

    /// The architectures the toolchains serve.
    public var architectures: [Architecture] {
        Architecture.allCases.filter { arch in toolchains.contains { $0.architecture == arch } }
    }

    public func validate() throws(ValidationError) {
        var validator = Validator()
        validator.check("name", name, NewBuild.environmentRule)
        if toolchains.isEmpty { validator.fail("toolchains", "must list at least one toolchain") }
        if toolchains.count > 32 { validator.fail("toolchains", "must list at most 32 toolchains") }
        for (index, toolchain) in toolchains.enumerated() {
            validator.check("toolchains[\(index)].compiler", toolchain.compiler, Toolchain.compilerRule)
        }
        if !(1...4096).contains(cores) { validator.fail("cores", "must be between 1 and 4096") }
        if !(64...16_777_216).contains(memoryMb) { validator.fail("memoryMb", "must be between 64 and 16777216") }
        if let kernelSeries {
            if kernelSeries.count > 32 { validator.fail("kernelSeries", "must list at most 32 series") }
            for (index, series) in kernelSeries.enumerated() where !KernelSeries.isValid(series) {
                validator.fail("kernelSeries[\(index)]", "must be a kernel series such as 6.1")
            }
        }
        try validator.finish()
    }
}

/// A registered worker as `GET /workers` lists it. `state` is derived:
/// `busy` while it holds a build lease, `offline` when it has not
/// heartbeated within the offline threshold, else `idle`.
public struct Worker: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case idle, busy, offline
    }

    @LowercaseUUID public var id: UUID
    public var name: String
    public var architectures: [Architecture]
    public var toolchains: [Toolchain]
    public var cores: Int
    public var memoryMb: Int
    public var state: State
    public var registeredAt: Date
    public var lastHeartbeatAt: Date
    /// The kernel series it builds; null: any version.
    @ExplicitNull public var kernelSeries: [String]?
    /// The builds it holds that the viewer may see (a busy worker building
    /// for another project lists none).
    public var currentBuilds: [WorkerBuild]

    public init(
        id: UUID, name: String, architectures: [Architecture], toolchains: [Toolchain], cores: Int, memoryMb: Int,
        state: State, registeredAt: Date, lastHeartbeatAt: Date, kernelSeries: [String]? = nil,
        currentBuilds: [WorkerBuild] = []
    ) {
        self.id = id
        self.name = name
        self.architectures = architectures
        self.toolchains = toolchains
        self.cores = cores
        self.memoryMb = memoryMb
        self.state = state
        self.registeredAt = registeredAt
        self.lastHeartbeatAt = lastHeartbeatAt
        self.kernelSeries = kernelSeries
        self.currentBuilds = currentBuilds
    }
}

/// A build a worker holds, as `GET /workers` shows it.
public struct WorkerBuild: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var buildNumber: String
    public var architecture: Architecture
    @ExplicitNull public var currentStage: BuildStage?
    public var progress: Int

    public init(id: UUID, buildNumber: String, architecture: Architecture, currentStage: BuildStage?, progress: Int) {
        self.id = id
        self.buildNumber = buildNumber
        self.architecture = architecture
        self.currentStage = currentStage
        self.progress = progress
    }
}

/// A worker's claim on a build attempt (`POST /builds/{id}/claim`).
public struct BuildClaim: Codable, Sendable, Equatable {
    @LowercaseUUID public var workerId: UUID
    public var attempt: Int

    public init(workerId: UUID, attempt: Int) {
        self.workerId = workerId
        self.attempt = attempt
    }
}

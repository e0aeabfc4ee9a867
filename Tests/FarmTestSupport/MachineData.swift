import FarmMachine
import FarmModel
import Foundation

/// The repository's `workers/` data files, as tests use them.
public enum MachineData {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    public static let architectureFiles = root.appendingPathComponent("workers/architectures")
    public static let toolchainFiles = root.appendingPathComponent("workers/toolchains")

    public static func architecture(_ architecture: Architecture) throws -> ArchitectureSpec {
        guard let spec = try ArchitectureSpec.load(from: architectureFiles).first(where: { $0.architecture == architecture }) else {
            throw MachineError.configuration("no architecture file for \(architecture.rawValue)")
        }
        return spec
    }

    /// `workers/toolchains/<file>.json` for `architecture`, as found
    /// installed with `compilerVersion` (not probed: the tests that need the
    /// compiler run it through the build).
    public static func toolchain(_ architecture: Architecture, file: String = "gcc-12",
                                 compilerVersion: String = "gcc-12.2.0") throws -> InstalledToolchain {
        let toolchain = try JSONDecoder().decode(ToolchainSpec.self, from: Data(contentsOf: toolchainFiles
            .appendingPathComponent(file + ".json")))
        return InstalledToolchain(target: try Self.architecture(architecture), toolchain: toolchain, compilerVersion: compilerVersion)
    }
}

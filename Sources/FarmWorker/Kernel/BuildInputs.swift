import Crypto
import FarmModel
import Foundation

/// What a kernel artifact is made from, hashed into the build cache's key:
/// two builds with equal inputs produce interchangeable artifacts.
struct BuildInputs: Encodable {
    /// Bump when packaging changes what an artifact holds: older artifacts stop matching.
    let schema = "kfarm.build.inputs/1"
    let source: String
    let configSha256: String
    let architecture: Architecture
    let toolchain: String
    let imageTarget: String
    let debugSymbols: Bool
    let optimizationLevel: Int?

    /// sha256 of the inputs' canonical JSON (sorted keys), hex.
    func key() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return KernelPackage.hex(SHA256.hash(data: try encoder.encode(self)))
    }
}

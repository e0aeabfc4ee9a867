import FarmStore
import Foundation
import Logging
import ServiceLifecycle

/// Removes tarballs no artifact is stored as, and partial uploads, once
/// they are older than `grace`: a worker records its artifact right after
/// the upload, so an old unreferenced tarball is one whose build failed,
/// was cancelled or lost its worker. Several replicas may sweep: removing
/// twice is harmless.
struct BlobSweeper: Service {
    let artifacts: ArtifactRepository
    let storage: any ArtifactStorage
    let logger: Logger
    var grace: TimeInterval = 6 * 3600
    var interval: Duration = .seconds(600)

    func run() async throws {
        try await repeatUntilShutdown(every: interval, logger: logger, failure: "sweeping unreferenced tarballs failed") {
            let swept = try await sweep(now: Date())
            if swept > 0 { logger.info("unreferenced tarballs removed", metadata: ["count": "\(swept)"]) }
        }
    }

    /// One pass; returns how many files it removed.
    func sweep(now: Date) async throws -> Int {
        let (blobs, partial) = try await storage.written(before: now.addingTimeInterval(-grace))
        let kept = try await artifacts.referenced(blobs)
        let unreferenced = blobs.filter { !kept.contains($0) }
        for sha256 in unreferenced { try await storage.remove(sha256) }
        for name in partial { try await storage.removePartial(name) }
        return unreferenced.count + partial.count
    }
}

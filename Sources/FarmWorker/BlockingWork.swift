import Foundation

/// Synchronous work that takes seconds — reading a kernel tree's Kconfig
/// and Makefiles, packing an artifact — on a thread of its own, so the
/// concurrency pool (two threads on two cores) keeps serving heartbeats,
/// events and other builds meanwhile.
enum BlockingWork {
    static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = name
            thread.start()
        }
    }
}

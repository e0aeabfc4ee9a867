import FarmModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A system's A/B kernel layout under the agent's root: `slots/a`,
/// `slots/b`, and `current`, a symbolic link to the active slot. A new
/// kernel is unpacked beside the inactive slot and renamed into it, and
/// `current` is switched by renaming a fresh link over it: at every
/// instant `current` names one complete slot (or none, before the first
/// install), whatever moment the agent dies at.
public struct SlotLayout: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public var current: URL { root.appendingPathComponent("current") }

    public func directory(_ slot: KernelSlot) -> URL {
        root.appendingPathComponent("slots").appendingPathComponent(slot.rawValue)
    }

    /// The slot `current` points at; nil before the first install.
    public func active() -> KernelSlot? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current.path) else { return nil }
        return KernelSlot(rawValue: URL(fileURLWithPath: target).lastPathComponent)
    }

    /// Replaces `slot`'s contents with what `fill` puts into an empty
    /// directory; the slot changes only once `fill` has succeeded.
    public func replace(_ slot: KernelSlot, fill: (URL) async throws -> Void) async throws {
        let manager = FileManager.default
        let final = directory(slot)
        let staging = final.deletingLastPathComponent().appendingPathComponent(".\(slot.rawValue).new")
        try? manager.removeItem(at: staging)
        try manager.createDirectory(at: staging, withIntermediateDirectories: true)
        try await fill(staging)
        try? manager.removeItem(at: final)
        try manager.moveItem(at: staging, to: final)
    }

    /// Points `current` at `slot` (removes it for nil) in one rename.
    public func switchTo(_ slot: KernelSlot?) throws {
        guard let slot else {
            if unlink(current.path) != 0 && errno != ENOENT { throw AgentError.install("cannot remove \(current.path): errno \(errno)") }
            return
        }
        let fresh = root.appendingPathComponent(".current.new")
        unlink(fresh.path)
        guard symlink("slots/\(slot.rawValue)", fresh.path) == 0 else {
            throw AgentError.install("cannot create a link at \(fresh.path): errno \(errno)")
        }
        guard rename(fresh.path, current.path) == 0 else {
            throw AgentError.install("cannot switch \(current.path) to slot \(slot.rawValue): errno \(errno)")
        }
    }
}

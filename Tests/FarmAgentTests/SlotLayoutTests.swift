@testable import FarmAgent
import FarmModel
import Foundation
import Testing

@Suite struct SlotLayoutTests {
    private func layout() throws -> SlotLayout {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-slots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return SlotLayout(root: root)
    }

    private func read(_ layout: SlotLayout, _ path: String) -> String? {
        try? String(contentsOf: layout.current.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func slotsFillAsideAndCurrentSwitchesInOneRename() async throws {
        let layout = try layout()
        #expect(layout.active() == nil)
        try await layout.replace(.a) { try "one".write(to: $0.appendingPathComponent("image"), atomically: true, encoding: .utf8) }
        #expect(layout.active() == nil, "filling a slot does not switch")
        try layout.switchTo(.a)
        #expect(layout.active() == .a && read(layout, "image") == "one")
        try await layout.replace(.b) { try "two".write(to: $0.appendingPathComponent("image"), atomically: true, encoding: .utf8) }
        try layout.switchTo(.b)
        #expect(layout.active() == .b && read(layout, "image") == "two")
        try layout.switchTo(.a)
        #expect(read(layout, "image") == "one", "the previous slot is kept")
        try layout.switchTo(nil)
        #expect(layout.active() == nil)
    }

    @Test func aFailedFillLeavesTheSlotAsItWas() async throws {
        let layout = try layout()
        try await layout.replace(.a) { try "good".write(to: $0.appendingPathComponent("image"), atomically: true, encoding: .utf8) }
        try layout.switchTo(.a)
        struct Broken: Error {}
        await #expect(throws: Broken.self) {
            try await layout.replace(.a) { _ in throw Broken() }
        }
        #expect(read(layout, "image") == "good")
    }
}

import FarmMachine
import Foundation
import Testing
import Zstd

/// Streaming zstd over Debian's libzstd, checked against itself and the
/// `zstd` command line tool.
@Suite struct ZstdTests {
    /// Half repetitive text, half noise: compressible, but not trivially.
    static func sample(bytes: Int) -> [UInt8] {
        let text = Array("CONFIG_EXT4_FS=y\nCONFIG_MODULES=y\n# CONFIG_DEBUG_INFO is not set\n".utf8)
        var noise: UInt64 = 0x9E37_79B9_7F4A_7C15
        var data = [UInt8](repeating: 0, count: bytes)
        for index in 0..<bytes {
            if (index / 4096) % 2 == 0 {
                data[index] = text[index % text.count]
            } else {
                noise = noise &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                data[index] = UInt8(truncatingIfNeeded: noise >> 33)
            }
        }
        return data
    }

    static func compress(_ data: [UInt8], chunk: Int, _ options: ZstdCompressor.Options = .init()) throws -> [UInt8] {
        let compressor = try ZstdCompressor(options)
        var out: [UInt8] = []
        for start in stride(from: 0, to: data.count, by: chunk) {
            try data[start..<min(start + chunk, data.count)].withUnsafeBytes { input in
                try compressor.compress(input) { out += $0 }
            }
        }
        try compressor.finish { out += $0 }
        return out
    }

    static func decompress(_ data: [UInt8], chunk: Int) throws -> [UInt8] {
        let decompressor = try ZstdDecompressor()
        var out: [UInt8] = []
        for start in stride(from: 0, to: data.count, by: chunk) {
            try data[start..<min(start + chunk, data.count)].withUnsafeBytes { input in
                try decompressor.decompress(input) { out += $0 }
            }
        }
        try decompressor.finish()
        return out
    }

    @Test(arguments: [(Int32(1), Int32(0)), (3, 2), (19, 0)])
    func roundTripsInOddChunksAtEveryLevelAndWithWorkers(level: Int32, workers: Int32) throws {
        let data = Self.sample(bytes: 3 * 1024 * 1024 + 17)
        let compressed = try Self.compress(data, chunk: 65_537, .init(level: level, workers: workers))
        #expect(compressed.count < data.count * 3 / 4, "the repetitive half compresses")
        #expect(try Self.decompress(compressed, chunk: 4_093) == data)
    }

    /// A frame whose end fills the output buffer exactly (content a multiple
    /// of libzstd's 128 KiB output size, the stream given in 1 MiB pieces as
    /// `kfarm bench zstd` reads files) is complete, not cut short.
    @Test func aFrameEndingOnTheOutputBuffersEdgeIsComplete() throws {
        let data = [UInt8](repeating: 0x41, count: 8 << 20)
        let compressed = try Self.compress(data, chunk: 1 << 20)
        #expect(try Self.decompress(compressed, chunk: 1 << 20) == data)
    }

    @Test func emptyInputIsAValidFrameOfNothing() throws {
        let compressed = try Self.compress([], chunk: 1)
        #expect(!compressed.isEmpty)
        #expect(try Self.decompress(compressed, chunk: 1).isEmpty)
    }

    @Test func aCutOrCorruptStreamIsAnError() throws {
        let compressed = try Self.compress(Self.sample(bytes: 200_000), chunk: 10_000)
        #expect(throws: ZstdError.truncated) { try Self.decompress(Array(compressed.dropLast(10)), chunk: 1000) }
        #expect(throws: ZstdError.truncated) { try Self.decompress([], chunk: 1) }
        var corrupt = compressed
        corrupt[corrupt.count / 2] ^= 0xFF
        #expect(throws: ZstdError.self) { try Self.decompress(corrupt, chunk: 1000) }
    }

    @Test func levelsOutsideZstdsRangeAreRefused() {
        #expect(throws: ZstdError.self) { try ZstdCompressor(.init(level: 99)) }
    }

    /// What the farm writes, the `zstd` tool reads, and the other way round.
    @Test func interoperatesWithTheZstdTool() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-zstd-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = Self.sample(bytes: 1_000_000)
        let ours = directory.appendingPathComponent("ours.zst")
        try Data(try Self.compress(data, chunk: 100_000, .init(level: 9, workers: 2))).write(to: ours)
        let plain = directory.appendingPathComponent("plain")
        #expect(try await CommandRunner.run(Command("zstd", ["-q", "-d", "-f", ours.path, "-o", plain.path]), onLines: { _ in }) == 0)
        #expect(Array(try Data(contentsOf: plain)) == data)

        let theirs = directory.appendingPathComponent("theirs.zst")
        #expect(try await CommandRunner.run(Command("zstd", ["-q", "-19", "-f", plain.path, "-o", theirs.path]), onLines: { _ in }) == 0)
        #expect(try Self.decompress(Array(try Data(contentsOf: theirs)), chunk: 7_777) == data)
    }
}

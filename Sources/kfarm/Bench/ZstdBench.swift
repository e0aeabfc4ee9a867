import ArgumentParser
import Crypto
import Foundation
import Zstd

/// Streams a file through the Zstd target and back, in 1 MiB chunks: the
/// throughput both ways, the ratio, and the peak memory, which stays flat
/// however large the file (scripts/bench-kernel.sh feeds it several GiB
/// and times the `zstd` CLI on the same file).
struct ZstdBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zstd", abstract: "Compress a file and decompress it again through the Zstd target, streaming.")

    @Option(help: "The file to compress.")
    var input: String

    @Option(help: "Where the compressed stream goes (default: <input>.kfarm.zst).")
    var output: String?

    @Option(help: "zstd level.")
    var level: Int32 = 3

    @Option(help: "Compression threads (0: none, compress on the calling thread; default: one per core).")
    var workers = Int32(ProcessInfo.processInfo.activeProcessorCount)

    func run() throws {
        let source = URL(fileURLWithPath: input)
        let target = URL(fileURLWithPath: output ?? input + ".kfarm.zst")
        let chunk = 1 << 20

        var inputHash = SHA256()
        var (read, written) = (0, 0)
        _ = FileManager.default.createFile(atPath: target.path, contents: nil)
        let sink = try FileHandle(forWritingTo: target)
        let compressor = try ZstdCompressor(.init(level: level, workers: workers))
        let write: (UnsafeRawBufferPointer) throws -> Void = { bytes in
            written += bytes.count
            try sink.write(contentsOf: Data(bytes))
        }
        let compressing = ContinuousClock.now
        try Self.chunks(of: source, size: chunk) { bytes in
            read += bytes.count
            inputHash.update(bufferPointer: bytes)
            try compressor.compress(bytes, into: write)
        }
        try compressor.finish(into: write)
        try sink.close()
        let compressTime = (ContinuousClock.now - compressing).inSeconds

        var outputHash = SHA256()
        var restored = 0
        let decompressor = try ZstdDecompressor()
        let decompressing = ContinuousClock.now
        try Self.chunks(of: target, size: chunk) { bytes in
            try decompressor.decompress(bytes) { plain in
                restored += plain.count
                outputHash.update(bufferPointer: plain)
            }
        }
        try decompressor.finish()
        let decompressTime = (ContinuousClock.now - decompressing).inSeconds
        guard restored == read, inputHash.finalize() == outputHash.finalize() else {
            throw ValidationError("the round trip changed the bytes: \(read) in, \(restored) back")
        }
        let mb = Double(read) / 1_000_000
        print(String(format: "zstd -%d, %d threads: %.0f MB in, %.0f MB out (ratio %.2f); compress %.1f s = %.0f MB/s, "
                     + "decompress %.1f s = %.0f MB/s; round trip identical; peak RSS %d MiB",
                     level, workers, mb, Double(written) / 1_000_000, Double(read) / Double(max(written, 1)),
                     compressTime, mb / compressTime, decompressTime, mb / decompressTime, PeakMemory.mebibytes))
        print(String(format: "BENCH zstd_compress_mb_s=%.0f zstd_decompress_mb_s=%.0f zstd_peak_rss_mib=%d",
                     mb / compressTime, mb / decompressTime, PeakMemory.mebibytes))
    }

    /// Calls `body` with each `size`-byte piece of `file`, in order.
    static func chunks(of file: URL, size: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: size), !data.isEmpty {
            try data.withUnsafeBytes(body)
        }
    }
}

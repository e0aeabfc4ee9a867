import CZstd

/// Streaming zstd decompression, chunk in and chunks out through `sink`,
/// in a fixed amount of memory. `finish()` tells a complete stream from one
/// cut short. Not shared between threads.
public final class ZstdDecompressor {
    private let context: OpaquePointer
    private var output: [UInt8]
    /// What libzstd last said it still needs: 0 at the end of a frame.
    private var pending = 0
    private var sawInput = false

    public init() throws(ZstdError) {
        guard let context = ZSTD_createDCtx() else { throw .library("cannot allocate a decompression context") }
        self.context = context
        output = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    }

    deinit {
        ZSTD_freeDCtx(context)
    }

    public func decompress(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        sawInput = sawInput || input.count > 0
        // Until the input is used up and libzstd has no more output for it.
        var full = true
        while source.pos < source.size || full {
            full = try output.withUnsafeMutableBytes { buffer in
                var target = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                let consumed = source.pos
                let hint = try ZstdError.check(ZSTD_decompressStream(context, &target, &source))
                // A call that moved nothing (the frame ended exactly as the
                // buffer filled) already waits for the next frame's header:
                // its hint says nothing about the frame that just ended.
                if target.pos > 0 || source.pos > consumed { pending = hint }
                if target.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: buffer[..<target.pos])) }
                return target.pos == target.size
            }
        }
    }

    /// Throws `truncated` when the stream stopped inside a frame (or held no frame at all).
    public func finish() throws(ZstdError) {
        if pending != 0 || !sawInput { throw .truncated }
    }
}

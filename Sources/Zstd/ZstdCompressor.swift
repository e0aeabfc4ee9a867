import CZstd

/// Streaming zstd compression: bytes go in by the chunk, compressed bytes
/// come out through `sink` by the chunk, so an artifact of any size passes
/// through a fixed amount of memory. One compressor writes one frame; not
/// shared between threads.
public final class ZstdCompressor {
    public struct Options: Sendable {
        /// 1 (fastest) to 19 (smallest); 3 is zstd's own default.
        public var level: Int32
        /// Threads compressing in the background; 0 compresses on the caller's thread.
        public var workers: Int32

        public init(level: Int32 = 3, workers: Int32 = 0) {
            self.level = level
            self.workers = workers
        }
    }

    private let context: OpaquePointer
    private var output: [UInt8]

    public init(_ options: Options = Options()) throws(ZstdError) {
        let bounds = ZSTD_cParam_getBounds(ZSTD_c_compressionLevel)
        guard (bounds.lowerBound...bounds.upperBound).contains(options.level) else {
            throw .library("level \(options.level) is outside \(bounds.lowerBound)...\(bounds.upperBound)")
        }
        guard let context = ZSTD_createCCtx() else { throw .library("cannot allocate a compression context") }
        self.context = context
        output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        // From here on a throw runs deinit, which frees the context.
        _ = try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, options.level))
        _ = try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
        if options.workers > 0 {
            _ = try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, options.workers))
        }
    }

    deinit {
        ZSTD_freeCCtx(context)
    }

    /// Compresses `input`; whatever compressed bytes are ready go to `sink`.
    public func compress(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while source.pos < source.size {
            try step(&source, ZSTD_e_continue, sink)
        }
    }

    /// Ends the frame: flushes everything still buffered to `sink`.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&source, ZSTD_e_end, sink) != 0 {}
    }

    /// One call into libzstd; returns what it says remains to flush.
    @discardableResult
    private func step(_ source: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective,
                      _ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        try output.withUnsafeMutableBytes { buffer in
            var target = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let remaining = try ZstdError.check(ZSTD_compressStream2(context, &target, &source, directive))
            if target.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: buffer[..<target.pos])) }
            return remaining
        }
    }
}

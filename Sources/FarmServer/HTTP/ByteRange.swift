/// A single-range `Range: bytes=…` request header (RFC 9110 §14.1.2):
/// `bytes=0-499`, `bytes=500-`, `bytes=-500`. Several ranges are answered
/// with the whole content, which the RFC allows.
enum ByteRange {
    enum Answer: Equatable {
        /// No usable Range header: send everything (200).
        case whole
        /// Send these bytes (206).
        case part(ClosedRange<Int>)
        /// The range lies outside the content (416).
        case unsatisfiable
    }

    static func answer(_ header: String?, size: Int) -> Answer {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .whole }
        let first = parts[0].isEmpty ? nil : Int(parts[0])
        let last = parts[1].isEmpty ? nil : Int(parts[1])
        if !parts[0].isEmpty && first == nil || !parts[1].isEmpty && last == nil { return .whole }
        switch (first, last) {
        case (let first?, let last):
            if let last, last < first { return .whole }
            guard first < size else { return .unsatisfiable }
            return .part(first...min(last ?? size - 1, size - 1))
        case (nil, let suffix?):
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .part(max(0, size - suffix)...(size - 1))
        case (nil, nil):
            return .whole
        }
    }
}

import Foundation

/// A kernel tree from git, as a configuration names it: the repository's
/// URL and a tag, branch or commit. Workers fetch it only when their
/// administrator allows the URL (`GitAllowList`) and resolve the ref to a
/// commit when the build starts.
public struct GitSource: Codable, Sendable, Equatable, Hashable {
    public var git: String
    public var ref: String

    public init(git: String, ref: String) {
        self.git = git
        self.ref = ref
    }

    /// The source a row's two nullable columns hold, nil when they hold none.
    public init?(git: String?, ref: String?) {
        guard let git, let ref else { return nil }
        self.init(git: git, ref: ref)
    }

    /// The schemes git is asked to speak; `ext::` and the like run commands.
    public static let schemes = ["https", "http", "git", "ssh", "file"]

    /// A repository URL: one of `schemes`, a host (or `file:///` and an
    /// absolute path), no `.`/`..` segments, nothing a shell or git's option
    /// parser would read as more than a URL.
    public static let urlRule = FieldRule { value in
        guard (1...500).contains(value.unicodeScalars.count) else { return "must be 1 to 500 characters" }
        let schemes = GitSource.schemes.map { "\($0)://" }.joined(separator: ", ")
        guard let separator = value.range(of: "://"), GitSource.schemes.contains(String(value[..<separator.lowerBound])) else {
            return "must be a URL starting with one of \(schemes)"
        }
        let safe = value.unicodeScalars.allSatisfy {
            $0.isASCIIAlphanumeric || "-._~/:@+%".unicodeScalars.contains($0)
        }
        if !safe { return "may contain only letters, digits and - . _ ~ / : @ + %" }
        let rest = value[separator.upperBound...]
        let path = value.hasPrefix("file://") ? rest : rest.drop { $0 != "/" }
        if value.hasPrefix("file://") ? !rest.hasPrefix("/") : rest.first == "/" || rest.isEmpty {
            return value.hasPrefix("file://") ? "must be file:// and an absolute path" : "must name a host"
        }
        if path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) || path.contains("%") {
            return "must not contain '.' or '..' segments or percent escapes in its path"
        }
        return nil
    }

    /// A tag, branch or commit: what `git check-ref-format` accepts for a
    /// branch, in a smaller alphabet, and never an option.
    public static let refRule = FieldRule { value in
        guard (1...200).contains(value.unicodeScalars.count) else { return "must be 1 to 200 characters" }
        let safe = value.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "-._/+".unicodeScalars.contains($0) }
        if !safe { return "may contain only letters, digits and - . _ / +" }
        if value.hasPrefix("-") || value.hasPrefix("/") || value.hasSuffix("/") || value.hasSuffix(".")
            || value.hasSuffix(".lock") || value.contains("..") || value.contains("//") || value.contains("/.") {
            return "must be a tag, branch or commit name (git check-ref-format)"
        }
        return nil
    }

    /// A full commit id: a ref that needs no resolving.
    public var isCommit: Bool {
        ref.count == 40 && ref.allSatisfy(\.isHexDigit) && ref == ref.lowercased()
    }

    func validate(field: String, into validator: inout Validator) {
        validator.check("\(field).git", git, Self.urlRule)
        validator.check("\(field).ref", ref, Self.refRule)
    }
}

/// The source a build was made from, as the worker reports it when the
/// build starts: the configuration's git source and the commit its ref
/// named then. `GET /builds/{id}`, the artifact's metadata and its
/// provenance carry it; a branch that moves is another commit, and another
/// build-cache key.
public struct BuildSource: Codable, Sendable, Equatable {
    public var git: String
    public var ref: String
    public var commit: String

    public init(git: String, ref: String, commit: String) {
        self.git = git
        self.ref = ref
        self.commit = commit
    }

    public static let commitRule = FieldRule { value in
        value.count == 40 && value.allSatisfy { $0.isHexDigit && !$0.isUppercase } ? nil : "must be a 40-digit lowercase commit id"
    }
}

/// A worker's report of the source it checked out (`POST /builds/{id}/source`).
public struct SourceReport: Codable, Sendable, Equatable {
    @LowercaseUUID public var workerId: UUID
    public var attempt: Int
    public var source: BuildSource

    public init(claim: BuildClaim, source: BuildSource) {
        self.workerId = claim.workerId
        self.attempt = claim.attempt
        self.source = source
    }

    public var claim: BuildClaim { BuildClaim(workerId: workerId, attempt: attempt) }

    /// A commit of the source the build's configuration names.
    public func validate(configured: GitSource?) throws(ValidationError) {
        var validator = Validator()
        validator.check("source.commit", source.commit, BuildSource.commitRule)
        if configured != GitSource(git: source.git, ref: source.ref) {
            validator.fail("source", "is not the source the build's configuration names")
        }
        try validator.finish()
    }
}

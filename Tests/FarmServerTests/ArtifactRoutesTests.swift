import Crypto
import FarmModel
@testable import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Artifacts through the real router and PostgreSQL: the worker's upload
/// (verified sha256), the signed record, the release engineers' queries,
/// downloads with ranges and ETags, and the build cache.
@Suite struct ArtifactRoutesTests {
    /// A developer's running build, claimed by a registered worker.
    struct ClaimedBuild {
        var developer: Fixtures.Account
        var build: BuildRecord
        var workerID: UUID
        var workerAuth: HTTPFields
    }

    /// A build of `version` (of a new configuration when nil) by `developer` (a new one when nil).
    private func claimedBuild(_ fixtures: Fixtures, developer: Fixtures.Account? = nil, version: UUID? = nil,
                              options: BuildOptions? = nil) async throws -> ClaimedBuild {
        var account = developer
        if account == nil { account = try await fixtures.account() }
        let developer = account!
        var versionID = version
        if versionID == nil {
            let project = try await fixtures.project(members: [(developer, .developer)])
            versionID = try await fixtures.configuration(in: project, by: developer).versions[0].id
        }
        let build = try await fixtures.store.builds.submit(NewBuild(configVersionId: versionID!, options: options),
                                                           by: developer.user.id)
        let (secret, tokenID) = try await fixtures.workerToken()
        let worker = try await fixtures.store.workers.register(
            WorkerRegistration(name: Fixtures.unique("worker"), toolchains: [Toolchain(architecture: .x86_64, compiler: "gcc-12.2.0")],
                               cores: 2, memoryMb: 4096), token: tokenID)
        _ = try await fixtures.store.workers.claim(build.id, BuildClaim(workerId: worker.id, attempt: 1), token: tokenID, lease: 60)
        return ClaimedBuild(developer: developer, build: build, workerID: worker.id,
                            workerAuth: [.authorization: "Bearer \(secret)", .contentType: "application/json"])
    }

    private func metadata(of build: BuildRecord) -> ArtifactMetadata {
        ArtifactMetadata(buildId: build.id, buildNumber: build.buildNumber, configuration: build.config,
                         configVersion: build.configVersion, architecture: build.architecture, toolchain: "gcc-12.2.0",
                         options: build.options, baseVersion: "6.1.0", kernelRelease: "6.1.158",
                         configSha256: String(repeating: "c", count: 64), imageSize: 1234,
                         files: [.init(path: "boot/bzImage", size: 1234, sha256: String(repeating: "a", count: 64))])
    }

    private func base64(_ value: Any?) throws -> Data {
        try #require((value as? String).flatMap { Data(base64Encoded: $0) })
    }

    private func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    private func upload(_ bytes: [UInt8], as sha256: String, _ api: API, _ claimed: ClaimedBuild,
                        attempt: Int = 1) async throws -> HTTPResponse.Status {
        let holder = "build=\(claimed.build.id.lowercased)&workerId=\(claimed.workerID.lowercased)&attempt=\(attempt)"
        return try await api.client.execute(uri: "/artifact-blobs/\(sha256)?\(holder)", method: .put,
                                            headers: [.authorization: claimed.workerAuth[.authorization]!],
                                            body: ByteBuffer(bytes: bytes)).status
    }

    private func record(_ claimed: ClaimedBuild, sha256: String, size: Int, inputKey: String?, planKey: String? = nil,
                        packages: [ArtifactMetadata.Package]? = nil, _ api: API) async throws -> Reply {
        var metadata = metadata(of: claimed.build)
        metadata.packages = packages
        let body = ArtifactUpload(workerId: claimed.workerID, attempt: 1, sha256: sha256, size: size, inputKey: inputKey,
                                  planKey: planKey, metadata: metadata)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return try await api.send(.post, "/builds/\(claimed.build.id.lowercased)/artifact", headers: claimed.workerAuth,
                                  body: String(decoding: try encoder.encode(body), as: UTF8.self))
    }

    @Test func anUploadIsVerifiedSignedListedAndDownloadable() async throws {
        try await withAPI { api, fixtures in
            let claimed = try await claimedBuild(fixtures)
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
            let sha256 = hex(bytes)

            // Bytes that do not hash to the name they are sent under are refused, and nothing is stored.
            #expect(try await upload(bytes + [1], as: sha256, api, claimed) == .badRequest)
            let early = try await record(claimed, sha256: sha256, size: bytes.count, inputKey: nil, api)
            #expect(early.status == .badRequest && early.invalidFields["sha256"] != nil)

            #expect(try await upload(bytes, as: sha256, api, claimed) == .created)
            let wrongSize = try await record(claimed, sha256: sha256, size: 5, inputKey: nil, api)
            #expect(wrongSize.invalidFields["size"] != nil)
            let recorded = try await record(claimed, sha256: sha256, size: bytes.count, inputKey: String(repeating: "1", count: 64), api)
            #expect(recorded.status == .created)
            let id = try #require(recorded.data["id"] as? String)
            #expect(recorded.data["name"] as? String == "linux-6.1.158-\(claimed.build.config.name.lowercased())-x86_64.tar.zst")
            let again = try await record(claimed, sha256: sha256, size: bytes.count, inputKey: nil, api)
            #expect(again.status == .created && again.data["id"] as? String == id, "reporting the same tarball again is harmless")

            // The signature verifies with the farm's public key, over a statement naming these bytes and this build.
            let key = try await api.send(.get, "/signing-key", headers: [:])
            let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: try base64(key.data["publicKey"]))
            let signature = try #require(recorded.data["signature"] as? [String: Any])
            let statement = try base64(signature["statement"])
            let value = try base64(signature["value"])
            #expect(publicKey.isValidSignature(value, for: statement))
            var tampered = statement
            tampered[tampered.startIndex + 10] ^= 1
            #expect(!publicKey.isValidSignature(value, for: tampered))
            let provenance = try JSONDecoder.iso8601.decode(ArtifactProvenance.self, from: statement)
            #expect(provenance.sha256 == sha256 && provenance.size == bytes.count && provenance.build.id == claimed.build.id)
            #expect(signature["keyId"] as? String == key.data["keyId"] as? String)

            // The developer finds it from the build, by filters, and by id with its provenance.
            let developer = claimed.developer
            let build = try await api.send(.get, "/builds/\(claimed.build.id.lowercased)", as: developer)
            #expect(build.data["artifactId"] as? String == id)
            let byBuild = try await api.send(.get, "/artifacts?build=\(claimed.build.id.lowercased)&arch=x86_64&kernelRelease=6.1.158",
                                             as: developer)
            #expect((byBuild.data["artifacts"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            for query in ["arch=arm64", "kernelRelease=6.1.1", "createdAfter=2999-01-01T00:00:00Z",
                          "initiator=\(UUID().uuidString)"] {
                let none = try await api.send(.get, "/artifacts?build=\(claimed.build.id.lowercased)&\(query)", as: developer)
                #expect((none.data["artifacts"] as? [Any])?.isEmpty == true, "\(query)")
            }
            let bad = try await api.send(.get, "/artifacts?createdAfter=yesterday", as: developer)
            #expect(bad.invalidFields["createdAfter"] != nil)
            let detail = try await api.send(.get, "/artifacts/\(id)", as: developer)
            #expect((detail.data["configVersion"] as? [String: Any])?["id"] as? String == claimed.build.configVersion.id.lowercased)
            #expect((detail.data["metadata"] as? [String: Any])?["kernelRelease"] as? String == "6.1.158")
            #expect((detail.data["build"] as? [String: Any])?["buildNumber"] as? String == claimed.build.buildNumber)
            let stranger = try await fixtures.account()
            #expect(try await api.send(.get, "/artifacts/\(id)", as: stranger).status == .notFound)
            #expect(try await api.send(.get, "/artifacts/\(id)/download", as: stranger).status == .notFound)
            let strangersList = try await api.send(.get, "/artifacts?build=\(claimed.build.id.lowercased)", as: stranger)
            #expect((strangersList.data["artifacts"] as? [Any])?.isEmpty == true)

            // Downloads: whole, ranges, conditional.
            let auth: HTTPFields = [.authorization: developer.authorization]
            let whole = try await api.client.execute(uri: "/artifacts/\(id)/download", method: .get, headers: auth)
            #expect(whole.status == .ok && Array(buffer: whole.body) == bytes)
            #expect(whole.headers[.contentLength] == String(bytes.count) && whole.headers[.eTag] == "\"\(sha256)\"")
            for (range, expected) in [("bytes=0-9", 0...9), ("bytes=299990-", 299_990...299_999), ("bytes=-5", 299_995...299_999),
                                      ("bytes=100-5000000", 100...299_999)] {
                var headers = auth
                headers[.range] = range
                let part = try await api.client.execute(uri: "/artifacts/\(id)/download", method: .get, headers: headers)
                #expect(part.status == .partialContent, "\(range)")
                #expect(Array(buffer: part.body) == Array(bytes[expected]), "\(range)")
                #expect(part.headers[.contentRange] == "bytes \(expected.lowerBound)-\(expected.upperBound)/\(bytes.count)")
            }
            var outside = auth
            outside[.range] = "bytes=300000-"
            let unsatisfiable = try await api.client.execute(uri: "/artifacts/\(id)/download", method: .get, headers: outside)
            #expect(unsatisfiable.status == .rangeNotSatisfiable && unsatisfiable.headers[.contentRange] == "bytes */300000")
            var conditional = auth
            conditional[.ifNoneMatch] = "\"\(sha256)\""
            let unchanged = try await api.client.execute(uri: "/artifacts/\(id)/download", method: .get, headers: conditional)
            #expect(unchanged.status == .notModified && unchanged.body.readableBytes == 0)
        }
    }

    /// Over a real connection: a small artifact, with and without a usable Range header.
    @Test func smallArtifactsDownloadWholeOverTheWire() async throws {
        try await withAPI(.live) { api, fixtures in
            let claimed = try await claimedBuild(fixtures)
            let bytes = Array("nineteen bytes long".utf8)
            #expect(try await upload(bytes, as: hex(bytes), api, claimed) == .created)
            let id = try #require(try await record(claimed, sha256: hex(bytes), size: bytes.count, inputKey: nil, api)
                .data["id"] as? String)
            for range in [nil, "", "bytes=", "pages=1-2", "bytes=0-1,4-5"] {
                var headers: HTTPFields = [.authorization: claimed.developer.authorization]
                if let range { headers[.range] = range }
                let whole = try await api.client.execute(uri: "/artifacts/\(id)/download", method: .get, headers: headers)
                #expect(whole.status == .ok && Array(buffer: whole.body) == bytes, "Range: \(range ?? "none")")
            }
            // An artifact whose tarball is not in this store (recorded by another server's): a clear 404, not a broken stream.
            let elsewhere = try await fixtures.artifact(of: claimed.build.configVersion.id, by: claimed.developer,
                                                        sign: try ArtifactShelf.forTests().signer.sign)
            let missing = try await api.send(.get, "/artifacts/\(elsewhere.id.lowercased)/download", as: claimed.developer)
            #expect(missing.status == .notFound && missing.errorDetails["resourceType"] as? String == "artifactContent")
        }
    }

    @Test func aBuildOfTheSameInputsReusesTheArtifactUnlessItAsksForNoCache() async throws {
        try await withAPI { api, fixtures in
            let first = try await claimedBuild(fixtures)
            let bytes = Array("a kernel".utf8)
            let key = String(repeating: "7", count: 64)
            #expect(try await upload(bytes, as: hex(bytes), api, first) == .created)
            let plan = String(repeating: "9", count: 64)
            let artifact = try await record(first, sha256: hex(bytes), size: bytes.count, inputKey: key, planKey: plan, api)
            let artifactID = try #require(artifact.data["id"] as? String)
            let version = first.build.configVersion.id

            func lookup(_ claimed: ClaimedBuild, _ key: String) async throws -> Reply {
                try await api.send(.post, "/builds/\(claimed.build.id.lowercased)/cache-hit", headers: claimed.workerAuth,
                                   body: json(["workerId": claimed.workerID.lowercased, "attempt": 1, "inputKey": key]))
            }
            let second = try await claimedBuild(fixtures, developer: first.developer, version: version)
            #expect(try await lookup(second, String(repeating: "8", count: 64)).status == .notFound)
            #expect(try await lookup(second, "not a key").invalidFields["inputKey"] != nil)
            let hit = try await lookup(second, key)
            #expect(hit.status == .ok && hit.data["id"] as? String == artifactID)
            let reused = try #require(try await fixtures.store.builds.find(id: second.build.id))
            #expect(reused.status == .completed && reused.progress == 100)
            #expect(reused.artifactId == artifactID && reused.cachedFrom == first.build.id.lowercased)
            #expect(reused.stages.map(\.status) == [.completed, .skipped, .skipped, .skipped, .skipped])
            #expect(try await lookup(second, key).status == .conflict, "a finished build is no longer the worker's")
            let listed = try await api.send(.get, "/artifacts?build=\(second.build.id.lowercased)", as: first.developer)
            #expect((listed.data["artifacts"] as? [[String: Any]])?.map { $0["id"] as? String } == [artifactID])

            // The plan key answers too (a repeated submit, before Kconfig has run).
            let third = try await claimedBuild(fixtures, developer: first.developer, version: version)
            #expect(try await lookup(third, plan).data["id"] as? String == artifactID)

            let forced = try await claimedBuild(fixtures, developer: first.developer, version: version,
                                                options: BuildOptions(noCache: true))
            #expect(try await lookup(forced, key).status == .notFound)
            #expect(try await fixtures.store.builds.find(id: forced.build.id)?.status == .in_progress)
        }
    }
}

extension ArtifactRoutesTests {
    @Test func anUploadIsTakenOnlyFromTheWorkerHoldingTheAttemptAndOnlyUpToTheCap() async throws {
        let shelf = try ArtifactShelf.forTests()
        let limits = RequestLimits(maxBlobSize: 1000)
        try await withAPI(shelf: shelf, requestLimits: limits) { api, fixtures in
            let claimed = try await claimedBuild(fixtures)
            let other = try await claimedBuild(fixtures)
            let bytes = Array("a kernel".utf8)
            // Another worker's token, a wrong attempt, a build not claimed: refused, nothing stored.
            var stranger = claimed
            stranger.workerAuth = other.workerAuth
            #expect(try await upload(bytes, as: hex(bytes), api, stranger) == .badRequest, "workerId of another token")
            #expect(try await upload(bytes, as: hex(bytes), api, claimed, attempt: 2) == .conflict)
            let noHolder = try await api.client.execute(uri: "/artifact-blobs/\(hex(bytes))", method: .put,
                                                        headers: [.authorization: claimed.workerAuth[.authorization]!],
                                                        body: ByteBuffer(bytes: bytes))
            #expect(noHolder.status == .badRequest)
            #expect(try await shelf.storage.size(of: hex(bytes)) == nil)

            let large = [UInt8](repeating: 7, count: 1001)
            #expect(try await upload(large, as: hex(large), api, claimed) == .contentTooLarge)
            #expect(try await shelf.storage.size(of: hex(large)) == nil)
            #expect(try await upload(bytes, as: hex(bytes), api, claimed) == .created)
        }
    }

    @Test func theBuildCacheAnswersOnlyWithinTheBuildsProject() async throws {
        try await withAPI { api, fixtures in
            let first = try await claimedBuild(fixtures)
            let bytes = Array("a kernel of project A".utf8)
            let key = String(repeating: "5", count: 64)
            #expect(try await upload(bytes, as: hex(bytes), api, first) == .created)
            #expect(try await record(first, sha256: hex(bytes), size: bytes.count, inputKey: key, api).status == .created)
            // Another project, the same inputs: a miss, and its build goes on.
            let elsewhere = try await claimedBuild(fixtures)
            let lookup = try await api.send(.post, "/builds/\(elsewhere.build.id.lowercased)/cache-hit", headers: elsewhere.workerAuth,
                                            body: json(["workerId": elsewhere.workerID.lowercased, "attempt": 1, "inputKey": key]))
            #expect(lookup.status == .notFound)
            #expect(try await fixtures.store.builds.find(id: elsewhere.build.id)?.status == .in_progress)
        }
    }

    @Test func workerMetadataIsValidatedBeforeItIsSigned() async throws {
        try await withAPI { api, fixtures in
            let claimed = try await claimedBuild(fixtures)
            let bytes = Array("a kernel".utf8)
            #expect(try await upload(bytes, as: hex(bytes), api, claimed) == .created)
            let good = metadata(of: claimed.build)
            let attempts: [(String, (inout ArtifactMetadata) -> Void)] = [
                ("metadata.files[0].path", { $0.files[0].path = "../../etc/shadow" }),
                ("metadata.files[0].path", { $0.files[0].path = "/boot/bzImage" }),
                ("metadata.files[0].path", { $0.files[0].path = "boot/a\r\nb" }),
                ("metadata.files[0].path", { $0.files[0].path = "boot/<script>" }),
                ("metadata.files[0].size", { $0.files[0].size = -1 }),
                ("metadata.toolchain", { $0.toolchain = "gcc\r\nX-Evil: 1" }),
                ("metadata.imageSize", { $0.imageSize = -5 }),
            ]
            for (field, change) in attempts {
                var metadata = good
                change(&metadata)
                let body = ArtifactUpload(workerId: claimed.workerID, attempt: 1, sha256: hex(bytes), size: bytes.count,
                                          inputKey: nil, metadata: metadata)
                let reply = try await api.send(.post, "/builds/\(claimed.build.id.lowercased)/artifact", headers: claimed.workerAuth,
                                               body: String(decoding: try JSONEncoder().encode(body), as: UTF8.self))
                #expect(reply.status == .badRequest && reply.invalidFields[field] != nil, "\(field): \(reply.invalidFields)")
            }
            #expect(try await fixtures.store.builds.find(id: claimed.build.id)?.artifactId == nil)
            #expect(try await record(claimed, sha256: hex(bytes), size: bytes.count, inputKey: nil, api).status == .created)
        }
    }

    @Test func debianPackagesAreCheckedSignedDownloadableAndKeptFromTheSweep() async throws {
        let shelf = try ArtifactShelf.forTests()
        try await withAPI(shelf: shelf) { api, fixtures in
            let claimed = try await claimedBuild(fixtures, options: BuildOptions(packages: [.deb]))
            #expect(claimed.build.options.packages == [.deb])
            let tarball = Array("the tarball".utf8), deb = Array("!<arch>\ndebian-binary".utf8)
            let package = ArtifactMetadata.Package(name: "linux-image-6.1.158_6.1.158-1_amd64.deb", size: deb.count, sha256: hex(deb))
            #expect(try await upload(tarball, as: hex(tarball), api, claimed) == .created)
            let missing = try await record(claimed, sha256: hex(tarball), size: tarball.count, inputKey: nil, packages: [package], api)
            #expect(missing.status == .badRequest && missing.invalidFields["metadata.packages[0].sha256"] != nil, "\(missing.data)")
            #expect(try await upload(deb, as: hex(deb), api, claimed) == .created)
            for name in ["../linux-image.deb", "linux-image.tar", "linux/image.deb"] {
                var renamed = package
                renamed.name = name
                let refused = try await record(claimed, sha256: hex(tarball), size: tarball.count, inputKey: nil, packages: [renamed], api)
                #expect(refused.invalidFields["metadata.packages[0].name"] != nil, "\(name)")
            }
            let recorded = try await record(claimed, sha256: hex(tarball), size: tarball.count, inputKey: nil, packages: [package], api)
            #expect(recorded.status == .created, "\(recorded.data)")
            let id = try #require(recorded.data["id"] as? String)
            let signature = try #require(recorded.data["signature"] as? [String: Any])
            let provenance = try JSONDecoder.iso8601.decode(ArtifactProvenance.self, from: try base64(signature["statement"]))
            #expect(provenance.packages == [package], "the signed statement names the package and its sha256")

            let auth: HTTPFields = [.authorization: claimed.developer.authorization]
            let download = try await api.client.execute(uri: "/artifacts/\(id)/packages/\(package.name)", method: .get, headers: auth)
            #expect(download.status == .ok && Array(buffer: download.body) == deb)
            #expect(download.headers[.contentType] == "application/vnd.debian.binary-package")
            #expect(download.headers[.contentDisposition] == "attachment; filename=\"\(package.name)\"")
            let unknown = try await api.send(.get, "/artifacts/\(id)/packages/linux-headers-6.1.158_6.1.158-1_amd64.deb",
                                             as: claimed.developer)
            #expect(unknown.status == .notFound && unknown.errorCode == "RESOURCE_NOT_FOUND")
            let stranger = try await fixtures.account()
            #expect(try await api.send(.get, "/artifacts/\(id)/packages/\(package.name)", as: stranger).status == .notFound)

            let sweeper = BlobSweeper(artifacts: fixtures.store.artifacts, storage: shelf.storage, logger: TestDatabase.logger)
            #expect(try await sweeper.sweep(now: Date().addingTimeInterval(sweeper.grace + 60)) == 0, "a package is referenced")
            #expect(try await shelf.storage.size(of: hex(deb)) == deb.count)
        }
    }

    @Test func unreferencedTarballsAreSweptAfterTheirGrace() async throws {
        let shelf = try ArtifactShelf.forTests()
        try await withAPI(shelf: shelf) { api, fixtures in
            let claimed = try await claimedBuild(fixtures)
            let kept = Array("recorded".utf8), dropped = Array("never recorded".utf8)
            #expect(try await upload(kept, as: hex(kept), api, claimed) == .created)
            #expect(try await upload(dropped, as: hex(dropped), api, claimed) == .created)
            #expect(try await record(claimed, sha256: hex(kept), size: kept.count, inputKey: nil, api).status == .created)
            let sweeper = BlobSweeper(artifacts: fixtures.store.artifacts, storage: shelf.storage, logger: TestDatabase.logger)
            #expect(try await sweeper.sweep(now: Date()) == 0, "both are within their grace")
            #expect(try await sweeper.sweep(now: Date().addingTimeInterval(sweeper.grace + 60)) == 1)
            #expect(try await shelf.storage.size(of: hex(kept)) == kept.count)
            #expect(try await shelf.storage.size(of: hex(dropped)) == nil)
        }
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

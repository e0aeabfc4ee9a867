import FarmModel
@testable import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 14's bounds on what one client may take of the server: event
/// streams, unfinished headers, broken framing, PostgreSQL away; and what
/// tenants may see of each other.
@Suite struct ServerBoundsTests {
    private func queuedBuild(_ fixtures: Fixtures, members: [(Fixtures.Account, ProjectRole)]) async throws -> BuildRecord {
        let project = try await fixtures.project(members: members)
        let version = try await fixtures.configuration(in: project, by: members[0].0).versions[0].id
        return try await fixtures.store.builds.submit(NewBuild(configVersionId: version), by: members[0].0.user.id)
    }

    /// Opens `GET /builds/{id}/events` on a socket of its own; returns it with what came back first.
    private func follow(_ build: BuildRecord, as account: Fixtures.Account, port: Int) async throws -> (RawConnection, String) {
        let connection = try RawConnection(port: port)
        connection.send("GET /builds/\(build.id.lowercased)/events HTTP/1.1\r\nHost: kfarm\r\n"
                        + "Authorization: \(account.authorization)\r\n\r\n")
        return (connection, await connection.read(until: ": keep-alive\n\n"))
    }

    /// What came back first once a stream could be opened again (a slot is
    /// given back when its stream notices its end), or the last refusal.
    private func followOnceFree(_ build: BuildRecord, as account: Fixtures.Account, port: Int) async throws -> String {
        var answer = ""
        for _ in 0..<20 where !answer.hasPrefix("HTTP/1.1 200") {
            try await Task.sleep(for: .milliseconds(250))
            answer = try await follow(build, as: account, port: port).1
        }
        return answer
    }

    @Test func theEleventhFollowerOfOneUserIsRefusedAndIdleStreamsKeepAlive() async throws {
        let limits = RequestLimits(followersPerUser: 10, followersPerFarm: 200, keepAlive: .milliseconds(200))
        try await withAPI(.live, requestLimits: limits) { api, fixtures in
            let port = try #require(api.client.port)
            let (developer, viewer) = (try await fixtures.account(), try await fixtures.account())
            let build = try await queuedBuild(fixtures, members: [(developer, .developer), (viewer, .viewer)])
            var open: [RawConnection] = []
            for _ in 0..<10 {
                let (connection, first) = try await follow(build, as: developer, port: port)
                #expect(first.hasPrefix("HTTP/1.1 200") && first.contains(": keep-alive\n\n"), "\(first)")
                open.append(connection)
            }
            let refused = try await api.send(.get, "/builds/\(build.id.lowercased)/events", as: developer)
            #expect(refused.status == .tooManyRequests && refused.errorCode == "RATE_LIMITED")
            #expect(refused.headers[.retryAfter] != nil)
            let (_, otherUser) = try await follow(build, as: viewer, port: port)
            #expect(otherUser.hasPrefix("HTTP/1.1 200"), "the bound is per user")
            // A stream whose client left gives its slot back at its next keep-alive.
            open.removeFirst()
            let again = try await followOnceFree(build, as: developer, port: port)
            #expect(again.hasPrefix("HTTP/1.1 200"), "\(again)")
        }
    }

    @Test func aStreamOfABuildThatNeverRunsEndsAfterItsLifetimeSayingWhereToResume() async throws {
        let limits = RequestLimits(followersPerUser: 1, keepAlive: .milliseconds(100), streamLifetime: .milliseconds(500))
        try await withAPI(.live, requestLimits: limits) { api, fixtures in
            let port = try #require(api.client.port)
            let developer = try await fixtures.account()
            let build = try await queuedBuild(fixtures, members: [(developer, .developer)])
            let (connection, first) = try await follow(build, as: developer, port: port)
            // On a loaded machine the first read may already hold the end of the stream.
            let resume = "event: resume\ndata: {\"after\":0}\n\n"
            let rest = first.contains(resume) ? first : first + (await connection.read(until: resume))
            #expect(rest.contains(resume), "\(rest)")
            // Its slot is given back: the user's one stream may open again.
            let again = try await followOnceFree(build, as: developer, port: port)
            #expect(again.hasPrefix("HTTP/1.1 200"), "\(again)")
        }
    }

    @Test func theFarmWideFollowerBoundHolds() async throws {
        let limits = RequestLimits(followersPerUser: 2, followersPerFarm: 3, keepAlive: .milliseconds(200))
        try await withAPI(.live, requestLimits: limits) { api, fixtures in
            let port = try #require(api.client.port)
            let (first, second) = (try await fixtures.account(), try await fixtures.account())
            let build = try await queuedBuild(fixtures, members: [(first, .developer), (second, .viewer)])
            var held: [(RawConnection, String)] = []
            for account in [first, first, second] { held.append(try await follow(build, as: account, port: port)) }
            #expect(held.allSatisfy { $0.1.hasPrefix("HTTP/1.1 200") })
            #expect(try await api.send(.get, "/builds/\(build.id.lowercased)/events", as: second).status == .tooManyRequests)
        }
    }

    @Test func brokenChunkedFramingIsA400InTheErrorEnvelope() async throws {
        try await withAPI(.live) { api, fixtures in
            let port = try #require(api.client.port)
            let developer = try await fixtures.account()
            let connection = try RawConnection(port: port)
            connection.send("POST /configurations HTTP/1.1\r\nHost: kfarm\r\nAuthorization: \(developer.authorization)\r\n"
                            + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n")
            let answer = await connection.read(until: "}}")
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(answer.contains(#""code":"VALIDATION_ERROR""#) && answer.contains(#""status":"error""#), "\(answer)")
            #expect(try await api.send(.get, "/health").status == .ok)
        }
    }

    @Test func aConnectionThatNeverFinishesItsHeadersIsClosed() async throws {
        try await withAPI(.live, requestLimits: RequestLimits(idleTimeout: .seconds(1))) { api, _ in
            let port = try #require(api.client.port)
            let slow = try RawConnection(port: port, timeout: 8)
            slow.send("GET /health HTTP/1.1\r\nHo")
            #expect(await slow.isClosedByPeer())
            let silent = try RawConnection(port: port, timeout: 8)
            #expect(await silent.isClosedByPeer())
        }
    }

    @Test func withPostgreSQLAwayARequestIsA503WithinFiveSeconds() async throws {
        // A token of the real farm, presented to a server whose PostgreSQL is a closed port.
        let token = try await TestDatabase.withStore { store in try await Fixtures(store: store).account() }
        let closedPort = try TestPorts.unused()
        let store = Store(settings: DatabaseSettings(host: "127.0.0.1", port: closedPort, username: "kfarm", password: nil,
                                                     database: "kfarm"), logger: TestDatabase.logger)
        let app = Application(router: buildRouter(store: store, shelf: try ArtifactShelf.forTests()), logger: TestDatabase.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.client.run() }
            try await app.test(.router) { client in
                let api = API(client: client)
                for _ in 0..<2 {
                    let clock = ContinuousClock()
                    let started = clock.now
                    let reply = try await api.send(.post, "/builds", as: token, json: json(["configVersionId": UUID().lowercased]))
                    let elapsed = clock.now - started
                    #expect(reply.status == .serviceUnavailable && reply.errorCode == "SERVICE_UNAVAILABLE")
                    #expect(reply.headers[.retryAfter] == "5")
                    #expect(elapsed < .seconds(5), "answered after \(elapsed)")
                }
                #expect(try await api.send(.get, "/health").status == .ok)
                #expect(try await api.send(.get, "/ready").status == .serviceUnavailable)
            }
            group.cancelAll()
        }
    }

    /// NIO says only "Address already in use"; the farm says which of its listeners, and which option sets it.
    @Test func aBrokerAuthPortInUseIsNamed() async throws {
        let held = try LoopbackListener()
        defer { held.close() }
        let port = Int(held.port)
        let store = Store(settings: try TestDatabase.settings(), logger: TestDatabase.logger)
        let listener = NamedListener(app: BrokerAuthService.application(accounts: store.brokerAccounts, host: "127.0.0.1", port: port,
                                                                        logger: TestDatabase.logger),
                                     option: "--broker-auth-port", host: "127.0.0.1", port: port)
        let error = await #expect(throws: ListenFailure.self) { try await listener.run() }
        #expect(error?.description == "cannot listen on 127.0.0.1:\(port) (--broker-auth-port): Address already in use")
    }

    @Test func headIsAnsweredForGetRoutes() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let build = try await queuedBuild(fixtures, members: [(developer, .developer)])
            for path in ["/health", "/users/me", "/builds", "/builds/\(build.id.lowercased)", "/signing-key"] {
                let reply = try await api.send(.head, path, as: developer)
                #expect(reply.status == .ok && reply.json == nil, "HEAD \(path): \(reply.status)")
            }
            #expect(try await api.send(.head, "/builds/\(UUID().lowercased)", as: developer).status == .notFound)
            let postOnly = try await api.send(.head, "/builds/\(build.id.lowercased)/cancel", as: developer)
            #expect(postOnly.status == .methodNotAllowed && postOnly.headers[.allow] == "POST")
            let allowed = try await api.send(.delete, "/builds/\(build.id.lowercased)", as: developer)
            #expect(allowed.headers[.allow] == "GET, HEAD")
        }
    }

    @Test func tokensInQueryStringsAreRedactedFromTheRequestLog() {
        let redacted = { (uri: String) in RequestLogMiddleware<FarmRequestContext>.redacted(uri) }
        #expect(redacted("/builds?token=kfarm_abc&page=2") == "/builds?token=REDACTED&page=2")
        #expect(redacted("/builds?access_token=x&status=queued") == "/builds?access_token=REDACTED&status=queued")
        #expect(redacted("/artifacts?q=kfarm_SECRET") == "/artifacts?q=REDACTED")
        #expect(redacted("/builds?page=2&limit=5") == "/builds?page=2&limit=5")
        #expect(redacted("/builds") == "/builds")
    }

    @Test func systemNamesAreUniqueWithinAProjectNotAcrossTheFarm() async throws {
        try await withAPI { api, fixtures in
            let (first, second) = (try await fixtures.account(), try await fixtures.account())
            let projectA = try await fixtures.project(members: [(first, .release_manager)])
            let projectB = try await fixtures.project(members: [(second, .release_manager)])
            let name = Fixtures.unique("db")
            func create(_ account: Fixtures.Account, _ project: Project) async throws -> Reply {
                try await api.send(.post, "/systems", as: account, json: json([
                    "name": name, "architecture": "x86_64", "projectId": project.id.lowercased,
                ]))
            }
            #expect(try await create(first, projectA).status == .created)
            #expect(try await create(second, projectB).status == .created, "another project's name is no conflict")
            #expect(try await create(first, projectA).status == .conflict)
        }
    }
}

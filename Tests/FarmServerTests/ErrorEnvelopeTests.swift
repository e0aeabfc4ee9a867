@testable import FarmServer
import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

@Suite struct ErrorEnvelopeTests {
    struct Leaky: Error, CustomStringConvertible {
        var description: String { "SELECT password FROM users -- at Foo.swift:12" }
    }

    @Test func unexpectedErrorsNeverLeakTheirText() {
        let error = ErrorMiddleware<FarmRequestContext>.translate(Leaky())
        #expect(error.status == .internalServerError)
        #expect(error.code == .internalError)
        #expect(!error.message.contains("SELECT"))
        #expect(error.details.isEmpty)
    }

    @Test func storeErrorsMapToSeedCodes() {
        let notFound = ErrorMiddleware<FarmRequestContext>.translate(StoreError.notFound(resource: "configuration", id: "x"))
        #expect(notFound.status == .notFound)
        #expect(notFound.code == .resourceNotFound)
        #expect(notFound.details == ["resourceType": .string("configuration"), "resourceId": .string("x")])
        let conflict = ErrorMiddleware<FarmRequestContext>.translate(StoreError.conflict("locked"))
        #expect(conflict.status == .conflict && conflict.code == .conflict)
        let invalid = ErrorMiddleware<FarmRequestContext>.translate(ValidationError(field: "name", "bad"))
        #expect(invalid.status == .badRequest && invalid.details == ["fields": .fields(["name": "bad"])])
    }

    @Test func unknownRoutesAndOversizedBodiesUseTheEnvelope() async throws {
        try await withAPI { api, fixtures in
            let account = try await fixtures.account()
            let missing = try await api.send(.get, "/no/such/thing", as: account)
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "RESOURCE_NOT_FOUND")
            let huge = "{\"name\":\"" + String(repeating: "x", count: 2 << 20) + "\"}"
            let tooLarge = try await api.send(.post, "/configurations", as: account, json: huge)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.errorCode == "PAYLOAD_TOO_LARGE")
        }
    }
}

@Suite struct MethodNotAllowedTests {
    @Test func knownPathWithAnotherMethodIs405WithAllow() async throws {
        try await withAPI { api, _ in
            let reply = try await api.send(.delete, "/configurations")
            #expect(reply.status == .methodNotAllowed)
            #expect(reply.errorCode == "METHOD_NOT_ALLOWED")
            #expect(reply.headers[.allow] == "GET, HEAD, POST")
            let withParameter = try await api.send(.put, "/configurations/\(UUID().lowercased)/versions")
            #expect(withParameter.headers[.allow] == "POST")
            #expect(try await api.send(.delete, "/nowhere").status == .notFound)
        }
    }
}

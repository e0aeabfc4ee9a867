import FarmModel
import Foundation
import Testing

@Suite struct BusMessageTests {
    @Test func eachMessageIsPublishedWhereItsConsumerListens() {
        let build = UUID()
        let dispatch = BuildDispatch(buildId: build, attempt: 2, architecture: .riscv64, priority: .critical)
        #expect(dispatch.exchange == BusNames.buildsExchange && dispatch.routingKey == "riscv64")
        #expect(dispatch.amqpPriority == BuildPriority.critical.amqpPriority && dispatch.amqpPriority > 0)
        let control = BuildControl(buildId: build, attempt: 2, action: .cancel)
        #expect(control.exchange == BusNames.controlExchange && control.routingKey == "build.\(build.lowercased).cancel")
        #expect(control.amqpPriority == 0)
        let worker = UUID()
        let events = BuildEventBatch(buildId: build, attempt: 2, workerId: worker, events: [])
        // Under the worker's own prefix, which the broker's topic permission holds it to.
        #expect(events.exchange == BusNames.eventsExchange
                && events.routingKey == "worker.\(worker.lowercased).build.\(build.lowercased).events")
        let system = UUID()
        let order = DeploymentOrder(deploymentId: UUID(), systemId: system, action: .install,
                                    artifact: ArtifactRef(id: UUID(), name: "kernel.tar.zst"), sha256: "ab", size: 1,
                                    kernelRelease: "6.1.0", signature: ProvenanceSignature(keyId: "k", statement: Data("s".utf8),
                                                                                             value: Data([1, 2])),
                                    forceReboot: false)
        #expect(order.exchange == BusNames.deployExchange && order.routingKey == system.lowercased)
        #expect(DeploymentOrder.decode(try! order.body()) == order)
    }

    @Test func aMessageDecodesOnlyAsItsOwnSchema() throws {
        let dispatch = BuildDispatch(buildId: UUID(), attempt: 1, architecture: .arm64, priority: .normal)
        let body = try dispatch.body()
        #expect(BuildDispatch.decode(body) == dispatch)
        // Another type with the same fields is not taken for it.
        #expect(BuildControl.decode(body) == nil)
        var renamed = dispatch
        renamed.schema = "kfarm.build.dispatch/2"
        #expect(BuildDispatch.decode(try renamed.body()) == nil)
        #expect(BuildDispatch.decode(Array("not json".utf8)) == nil)
        #expect(BuildDispatch.decode([]) == nil)
    }

    @Test func aBatchThatIsNotWellFormedDoesNotDecode() throws {
        let batch = BuildEventBatch(buildId: UUID(), attempt: 1, workerId: UUID(), events: [.log(first: 1, lines: ["a"])])
        #expect(BuildEventBatch.decode(try batch.body()) == batch)
        let overflowing = BuildEventBatch(buildId: UUID(), attempt: 1, workerId: UUID(),
                                          events: [.log(first: Int.max, lines: ["a", "b"])])
        #expect(BuildEventBatch.decode(try overflowing.body()) == nil)
    }

    @Test func theEnvelopeReadsWhatItWrites() throws {
        let success = try JSONEncoder().encode(APIEnvelope(data: ["name": "kernel"]))
        #expect(try JSONSerialization.jsonObject(with: success) as? NSDictionary == ["status": "success", "data": ["name": "kernel"]])
        #expect(try JSONDecoder().decode(APIEnvelope<[String: String]>.self, from: success).data == ["name": "kernel"])
        let problem = APIProblem(code: "VALIDATION_ERROR", message: "bad", details: ["fields": .fields(["name": "required"])])
        let failure = try JSONEncoder().encode(APIEnvelope(error: problem))
        let object = try JSONSerialization.jsonObject(with: failure) as? NSDictionary
        #expect(object?["status"] as? String == "error" && object?["data"] == nil)
        #expect(try JSONDecoder().decode(APIEnvelope<Never>.self, from: failure).error == problem)
    }
}

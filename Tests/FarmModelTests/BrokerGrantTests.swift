import FarmModel
import Foundation
import Testing

/// What machines may do on the broker, question by question, as RabbitMQ asks.
@Suite struct BrokerGrantTests {
    let workerID = UUID()
    let systemID = UUID()
    var worker: BrokerMachine {
        .worker(id: workerID, architectures: [.x86_64, .riscv64],
                toolchains: [Toolchain(architecture: .x86_64, compiler: "clang-16.0.6"), Toolchain(architecture: .x86_64, compiler: "gcc-12.2.0")])
    }
    var agent: BrokerMachine { .agent(systemID: systemID) }
    var control: String { BusNames.workerControlQueue(workerID.lowercased) }

    @Test func aWorkerReadsItsArchitecturesAndOwnsItsControlQueue() {
        for architecture in [Architecture.x86_64, .riscv64] {
            #expect(BrokerGrant.allows(worker, .resource(isQueue: true, name: BusNames.buildQueue(architecture), .read)))
        }
        for permission in [BrokerQuestion.Permission.configure, .write, .read] {
            #expect(BrokerGrant.allows(worker, .resource(isQueue: true, name: control, permission)))
        }
        #expect(BrokerGrant.allows(worker, .resource(isQueue: false, name: BusNames.controlExchange, .read)), "to bind its control queue")
        #expect(BrokerGrant.allows(worker, .resource(isQueue: false, name: BusNames.eventsExchange, .write)))
        let own = BusNames.workerEventsPrefix(workerID.lowercased) + "build.\(UUID().lowercased).events"
        #expect(BrokerGrant.allows(worker, .topic(exchange: BusNames.eventsExchange, .write, routingKey: own)))
        #expect(BrokerGrant.allows(worker, .vhost("/")))
    }

    /// A worker reads the queues of the toolchains it registered, and only
    /// reads them: the farm declares and binds them, so a worker can neither
    /// delete one nor redeclare it with other arguments.
    @Test func aWorkerReadsOnlyItsOwnToolchainsQueues() {
        let clang = BusNames.buildQueue(.x86_64, toolchain: "clang-16.0.6")
        #expect(clang == "kfarm.builds.x86_64.clang-16.0.6")
        #expect(BrokerGrant.allows(worker, .resource(isQueue: true, name: clang, .read)))
        let refused: [BrokerQuestion] = [
            .resource(isQueue: true, name: clang, .configure),
            .resource(isQueue: true, name: clang, .write),
            .resource(isQueue: true, name: BusNames.buildQueue(.x86_64, toolchain: "gcc-11.3.0"), .read),
            .resource(isQueue: true, name: BusNames.buildQueue(.riscv64, toolchain: "clang-16.0.6"), .read),
            .resource(isQueue: true, name: BusNames.buildQueue(.arm64, toolchain: "clang-16.0.6"), .read),
            .resource(isQueue: true, name: "kfarm.builds.x86_64.evil", .configure),
        ]
        for question in refused {
            #expect(!BrokerGrant.allows(worker, question), "\(question)")
        }
    }

    @Test func aWorkerIsRefusedEverythingElse() {
        let refused: [BrokerQuestion] = [
            .resource(isQueue: true, name: BusNames.buildQueue(.arm64), .read),
            .resource(isQueue: true, name: BusNames.buildQueue(.x86_64), .configure),
            .resource(isQueue: true, name: BusNames.buildQueue(.x86_64), .write),
            .resource(isQueue: true, name: BusNames.workerControlQueue(UUID().lowercased), .read),
            .resource(isQueue: true, name: BusNames.systemDeployQueue(systemID.lowercased), .read),
            .resource(isQueue: true, name: BusNames.recorderQueue, .read),
            .resource(isQueue: true, name: BusNames.deadQueue, .read),
            .resource(isQueue: true, name: "kfarm.evil", .configure),
            .resource(isQueue: false, name: BusNames.buildsExchange, .read),
            .resource(isQueue: false, name: BusNames.buildsExchange, .write),
            .resource(isQueue: false, name: BusNames.deployExchange, .read),
            .resource(isQueue: false, name: BusNames.eventsExchange, .read),
            .resource(isQueue: false, name: BusNames.eventsExchange, .configure),
            .resource(isQueue: false, name: BusNames.controlExchange, .write),
            .resource(isQueue: false, name: "amq.topic", .write),
            .topic(exchange: BusNames.eventsExchange, .write, routingKey: "worker.\(UUID().lowercased).build.x.events"),
            // A prefix that only starts like its own id is another worker's.
            .topic(exchange: BusNames.eventsExchange, .write, routingKey: "worker.\(workerID.lowercased)0.build.x.events"),
            .topic(exchange: BusNames.eventsExchange, .write, routingKey: "build.x.events"),
            .topic(exchange: BusNames.controlExchange, .read, routingKey: "#"),
            .vhost("other"),
        ]
        for question in refused {
            #expect(!BrokerGrant.allows(worker, question), "\(question)")
        }
    }

    @Test func anAgentReadsItsOrdersAndNothingElse() {
        let orders = BusNames.systemDeployQueue(systemID.lowercased)
        #expect(BrokerGrant.allows(agent, .resource(isQueue: true, name: orders, .read)))
        let refused: [BrokerQuestion] = [
            .resource(isQueue: true, name: orders, .configure),
            .resource(isQueue: true, name: orders, .write),
            .resource(isQueue: true, name: BusNames.systemDeployQueue(UUID().lowercased), .read),
            .resource(isQueue: true, name: BusNames.buildQueue(.x86_64), .read),
            .resource(isQueue: false, name: BusNames.deployExchange, .read),
            .resource(isQueue: false, name: BusNames.eventsExchange, .write),
            .topic(exchange: BusNames.eventsExchange, .write, routingKey: "worker.\(systemID.lowercased).build.x.events"),
        ]
        for question in refused {
            #expect(!BrokerGrant.allows(agent, question), "\(question)")
        }
    }
}

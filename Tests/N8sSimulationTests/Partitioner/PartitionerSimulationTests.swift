import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import Logging
import N8sCore
import N8sServices
import N8sSimulation
import ServiceLifecycle
import Testing

/// The GPU partitioner and real MIG agents (`n8s mig-agent` code, NVML on simulated GPUs, the
/// PodResources gRPC API on unix sockets) on simulated nodes in KubeSim over HTTP, one ScaledClock
/// for all. The test plays kube-scheduler: it binds a pod where allocatable has room, and otherwise
/// reports it `Unschedulable` with kube-scheduler's message.
@Suite("GPU partitioner with MIG agents on simulated nodes")
struct PartitionerSimulationTests {
    static let catalog = try! MIGCatalog.bundled()
    static let a100 = catalog.model(id: "a100-40gb")!

    struct Cluster: Sendable {
        let sim: KubeSim
        let nodes: [SimulatedNode]
        let clock: any KubeClock

        func pod(_ name: String) -> Pod? { try? sim.get(Pod.self, namespace: "default", name: name) }

        func events(_ name: String) -> [Event] {
            ((try? sim.list(Event.self, namespace: "default")) ?? []).filter { $0.involvedObject.name == name }
        }

        /// A pod asking for MIG devices, reported unschedulable as kube-scheduler would.
        func submit(_ name: String, _ devices: [String: Int], selector: [String: String]? = nil, message: String? = nil) throws {
            var limits: [String: Quantity] = ["cpu": Quantity(1)]
            for (p, n) in devices { limits["nvidia.com/mig-\(p)"] = Quantity(n) }
            var c = Container(name: "main", limits: limits)
            c.unknownFields["image"] = "cuda"
            var spec = PodSpec(containers: [c])
            spec.nodeSelector = selector
            var pod = try sim.create(Pod.self, Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec))
            let text = message ?? "0/\(nodes.count) nodes are available: \(nodes.count) Insufficient nvidia.com/mig-\(devices.keys.sorted()[0]). preemption: 0/\(nodes.count) nodes are available: \(nodes.count) No preemption victims found for incoming pod."
            pod.status = PodStatus(phase: "Pending", conditions: [PodCondition(type: "PodScheduled", status: "False", reason: "Unschedulable", message: text)])
            _ = try sim.update(pod, subresource: "status")
        }

        /// kube-scheduler's part: binds each pending pod of `names` to the first node whose
        /// allocatable MIG devices, less those requested by pods already bound there, cover it.
        func schedule(_ names: [String]) throws {
            for name in names {
                guard let pod = pod(name), pod.spec.nodeName == nil else { continue }
                let wanted = try PodRequests(pod.spec).migDevices()
                for node in nodes.map(\.name).sorted() {
                    let object = try sim.get(Node.self, name: node)
                    if let selector = pod.spec.nodeSelector, !selector.allSatisfy({ object.metadata.labels?[$0.key] == $0.value }) { continue }
                    var free = DevicePluginController.migAllocatable(object)
                    for other in try sim.list(Pod.self) where other.spec.nodeName == node && !(other.status?.isTerminal ?? false) {
                        for (profile, n) in try PodRequests(other.spec).migDevices() { free["nvidia.com/mig-\(profile)", default: 0] -= n }
                    }
                    guard wanted.allSatisfy({ (free["nvidia.com/mig-\($0.key)"] ?? 0) >= $0.value }) else { continue }
                    try sim.bind(namespace: "default", name: name, ["target": ["kind": "Node", "name": .string(node)]])
                    break
                }
            }
        }

        /// Waits (bounded, on the shared clock) until `condition` holds. At 50× a loaded machine
        /// stretches clock time, so the bound is generous (a minute of real time); a pass takes seconds.
        func waitFor(_ what: String, timeout: Duration = .seconds(3000), _ condition: () throws -> Bool) async throws -> Bool {
            let start = clock.now
            while !(try condition()) {
                if clock.elapsed(since: start) > timeout {
                    Issue.record("timed out waiting until \(what)")
                    return false
                }
                try await clock.sleep(for: .seconds(2))
            }
            return true
        }
    }

    static var quiet: Logger {
        var l = Logger(label: "n8s.test")
        l.logLevel = .critical
        return l
    }

    @Test("pods requesting MIG devices become schedulable without any used device destroyed; others are left alone or told why")
    func endToEnd() async throws {
        let clock = ScaledClock(speed: 50)
        let sim = KubeSim(clock: clock)
        var nodes: [SimulatedNode] = []
        for name in ["gpu-a", "gpu-b"] {
            // Coarse steps: 50× real time must not starve the suites running beside this one.
            var settings = SimulatedNode.Settings()
            settings.tick = .seconds(1)
            let node = SimulatedNode(name: name, sim: sim, nvml: SimulatedNVML(model: Self.a100, count: 1), settings: settings)
            try node.install()
            nodes.append(node)
        }
        // C31 on gpu-b: an admin made a 3g.20gb at slice 4 and a pod uses it.
        try nodes[1].nvml.seed(gpu: 0, PlacedInstance("3g.20gb", at: 4))
        var holder = Container(name: "main", limits: ["nvidia.com/mig-3g.20gb": Quantity(1)])
        holder.unknownFields["image"] = "cuda"
        _ = try sim.create(Pod.self, Pod(metadata: ObjectMeta(name: "holder", namespace: "default"), spec: PodSpec(containers: [holder], nodeName: "gpu-b")))
        let cluster = Cluster(sim: sim, nodes: nodes, clock: clock)
        let sockets = nodes.map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("n8s-pt-\(UUID().uuidString.prefix(8)).sock").path }
        let runNodes = nodes
        try await sim.withServer { url in
            try await PodResourcesServer(node: runNodes[0], socketPath: sockets[0]).withRunning {
                try await PodResourcesServer(node: runNodes[1], socketPath: sockets[1]).withRunning {
                    try await KubeClient.withHTTP(config: ClusterConfig(server: url), qps: nil, clock: clock, logger: Self.quiet) { client in
                        try await Self.scenario(cluster, client: client, sockets: sockets)
                    }
                }
            }
        }
    }

    static func scenario(_ cluster: Cluster, client: KubeClient, sockets: [String]) async throws {
        let clock = cluster.clock
        var services: [any Service] = []
        for (node, socket) in zip(cluster.nodes, sockets) {
            var config = MIGAgentConfig(nodeName: node.name)
            config.podResourcesSocket = socket
            config.pollInterval = .seconds(1)
            config.retryInitial = .seconds(5)
            // Upper bounds only: under load, 50× turns short real stalls into long clock waits.
            config.pauseTimeout = .seconds(900)
            config.resumeTimeout = .seconds(900)
            config.lockFile = FileManager.default.temporaryDirectory.appendingPathComponent("n8s-lock-\(UUID().uuidString.prefix(8))").path
            let agent = MIGAgent(
                config: config, client: client, nvml: node.nvml, podResources: PodResourcesClient(socketPath: socket),
                catalog: catalog, clock: clock, logger: quiet)
            services.append(try agent.controller())
        }
        var settings = PartitionerConfig()
        settings.batchWindowIdleSeconds = 5
        settings.batchWindowTimeoutSeconds = 20
        // At 50× real time a loaded machine stretches simulated time: keep reservations and
        // acknowledgements from expiring because of the machine, so "planned at most once" holds.
        settings.planAckTimeoutSeconds = 7200
        settings.plannedPodTTLSeconds = 7200
        let partitioner = GPUPartitioner(
            client: client, nodes: Store<Node>(), pods: Store<Pod>(), config: settings, catalog: catalog,
            recorder: EventRecorder(client: client, component: "n8s-gpu-partitioner", clock: clock, logger: quiet),
            clock: clock, logger: quiet)
        services.append(GPUPartitionerService(partitioner: partitioner, logger: quiet))
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: quiet))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for node in cluster.nodes { tasks.addTask { try? await node.run() } }
            tasks.addTask { try await group.run() }
            _ = try await cluster.waitFor("the holder runs on gpu-b") { cluster.pod("holder")?.status?.phase == "Running" }

            let mig = ["train": ["4g.20gb": 1], "infer": ["1g.5gb": 2], "tune": ["3g.20gb": 1], "small": ["2g.10gb": 1]]
            for (name, devices) in mig.sorted(by: { $0.key < $1.key }) { try cluster.submit(name, devices) }
            // Two full GPUs in one pod: no node has two GPUs.
            try cluster.submit("huge", ["7g.40gb": 2])
            // Pending for another reason: a node selector no node matches.
            try cluster.submit(
                "elsewhere", ["1g.5gb": 1], selector: ["pool": "nowhere"],
                message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
            let names = mig.keys.sorted()
            let scheduled = try await cluster.waitFor("every MIG pod runs") {
                try cluster.schedule(names + ["elsewhere", "huge"])
                return names.allSatisfy { cluster.pod($0)?.status?.phase == "Running" }
            }
            #expect(scheduled)
            if !scheduled {
                for name in names + ["huge"] {
                    Issue.record("\(name): node \(cluster.pod(name)?.spec.nodeName ?? "-") phase \(cluster.pod(name)?.status?.phase ?? "-") events \(cluster.events(name).map { "\($0.reason ?? ""): \($0.message ?? "") x\($0.count ?? 1)" })")
                }
                for node in cluster.nodes {
                    let n = try cluster.sim.get(Node.self, name: node.name)
                    Issue.record("\(node.name): \((n.metadata.annotations ?? [:]).filter { $0.key.hasPrefix("n8s") }.sorted { $0.key < $1.key }.map { "\($0.key.dropFirst(14))=\($0.value)" }) alloc \(DevicePluginController.migAllocatable(n)) conditions \(n.status?.conditions?.map { "\($0.type)=\($0.status) \($0.reason ?? "") \($0.message ?? "")" } ?? [])")
                }
            }
            for name in names {
                let node = try #require(cluster.pod(name)?.spec.nodeName)
                let sim = cluster.nodes.first { $0.name == node }
                #expect(sim?.assignments["default/\(name)"]?.values.flatMap { $0 }.count == mig[name]?.values.reduce(0, +), "\(name) got its devices")
                #expect(cluster.events(name).filter { $0.reason == "MigPlanned" }.map { $0.count ?? 1 }.reduce(0, +) <= 1, "\(name) planned at most once")
            }
            #expect(cluster.pod("holder")?.status?.phase == "Running")
            // The partitioner planned both nodes (gpu-b adopted first, C31) and the agents applied and echoed.
            let echoed = try await cluster.waitFor("both agents echo the last plan") {
                try cluster.nodes.allSatisfy { node in
                    let annotations = try cluster.sim.get(Node.self, name: node.name).metadata.annotations ?? [:]
                    return annotations[MIGAnnotations.specPartitioningPlan] != nil
                        && annotations[MIGAnnotations.specPartitioningPlan] == annotations[MIGAnnotations.statusPartitioningPlan]
                }
            }
            #expect(echoed)
            let b = NodeMIGAnnotations(parsing: try cluster.sim.get(Node.self, name: "gpu-b").metadata.annotations ?? [:])
            #expect(b.status[0]?.instances?.contains(InstanceState(PlacedInstance("3g.20gb", at: 4), isUsed: true)) == true, "the admin's device in use is still there")
            #expect(names.filter { n in cluster.events(n).contains { $0.reason == "MigPlanned" } }.count >= 3, "the partitioner made the room")
            for node in cluster.nodes { #expect(node.violations.isEmpty, "\(node.name): \(node.violations)") }
            #expect(cluster.pod("elsewhere")?.spec.nodeName == nil)
            #expect(!cluster.events("elsewhere").contains { $0.reason?.hasPrefix("Mig") == true }, "never planned for")
            let told = try await cluster.waitFor("the huge pod is told why") { cluster.events("huge").contains { $0.reason == "MigUnplaceable" } }
            #expect(told)
            #expect(!cluster.events("huge").contains { $0.reason == "MigPlanned" })
            await group.triggerGracefulShutdown()
            try await tasks.next()
            tasks.cancelAll()
        }
    }
}

import Foundation
import Synchronization
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import N8sCore
import N8sServices
import N8sSimulation

/// KubeSim over HTTP + one simulated node (kubelet, device plugin, GPUs) + its PodResources gRPC
/// server on a unix socket + a MIG agent using the real HTTP client and the real gRPC client.
/// One ScaledClock (50× real time) drives KubeSim, the node and the agent.
struct AgentHarness: Sendable {
    static let catalog = try! MIGCatalog.bundled()
    static let a100 = catalog.model(id: "a100-40gb")!
    static let nodeName = "gpu-node-1"

    let sim: KubeSim
    let node: SimulatedNode
    let nvml: SimulatedNVML
    let client: KubeClient
    let agent: MIGAgent
    let clock: any KubeClock

    /// Runs `body` with a started harness; the node steps in the background until `body` returns.
    static func run(
        gpus: Int = 2,
        settings: (inout SimulatedNode.Settings) -> Void = { _ in },
        configure: (inout MIGAgentConfig) -> Void = { _ in },
        seed: (SimulatedNVML) throws -> Void = { _ in },
        labels: [String: String] = [:],
        _ body: @Sendable (AgentHarness) async throws -> Void
    ) async throws {
        let clock = ScaledClock(speed: 50)
        let sim = KubeSim(clock: clock)
        let nvml = SimulatedNVML(model: a100, count: gpus)
        try seed(nvml)
        var s = SimulatedNode.Settings()
        settings(&s)
        let node = SimulatedNode(name: nodeName, sim: sim, nvml: nvml, settings: s)
        try node.install(labels: labels)
        let socket = FileManager.default.temporaryDirectory.appendingPathComponent("n8s-pr-\(UUID().uuidString.prefix(8)).sock").path
        var config = MIGAgentConfig(nodeName: nodeName)
        config.podResourcesSocket = socket
        config.pollInterval = .milliseconds(500)
        config.pauseTimeout = .seconds(30)
        config.resumeTimeout = .seconds(60)
        config.retryInitial = .seconds(5)
        config.lockFile = FileManager.default.temporaryDirectory.appendingPathComponent("n8s-lock-\(UUID().uuidString.prefix(8))").path
        configure(&config)
        let agentConfig = config
        try await sim.withServer { url in
            try await PodResourcesServer(node: node, socketPath: socket).withRunning {
                let cluster = try Kubeconfig(yaml: """
                    current-context: sim
                    clusters: [{name: sim, cluster: {server: "\(url.absoluteString)"}}]
                    users: [{name: u, user: {token: t}}]
                    contexts: [{name: sim, context: {cluster: sim, user: u}}]
                    """).resolve()
                try await KubeClient.withHTTP(config: cluster, qps: nil, clock: clock) { client in
                    let events = EventRecorder(client: client, component: "n8s-mig-agent", instance: nodeName, clock: clock)
                    let agent = MIGAgent(
                        config: agentConfig, client: client, nvml: nvml, podResources: PodResourcesClient(socketPath: socket),
                        catalog: catalog, clock: clock, events: events)
                    let h = AgentHarness(sim: sim, node: node, nvml: nvml, client: client, agent: agent, clock: clock)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try? await node.run() }
                        defer { group.cancelAll() }
                        try await h.waitFor("the device plugin registers") { node.isPluginRegistered }
                        try await body(h)
                    }
                }
            }
        }
    }

    /// Waits (bounded, on the shared clock) until `condition` holds. The bound is 30 s of real
    /// time at the harness's 50× clock: generous, because the whole test run shares two cores.
    func waitFor(_ what: String, timeout: Duration = .seconds(1500), _ condition: () async throws -> Bool) async throws {
        let start = clock.now
        while !(try await condition()) {
            if clock.elapsed(since: start) > timeout { throw HarnessError(message: "timed out waiting until \(what)") }
            try await clock.sleep(for: .milliseconds(200))
        }
    }

    struct HarnessError: Error, CustomStringConvertible { var message: String; var description: String { message } }

    func currentNode() throws -> Node { try sim.get(Node.self, name: Self.nodeName) }

    /// One agent pass on the current node.
    @discardableResult
    func pass() async throws -> Node {
        _ = try await agent.reconcile(try currentNode())
        return try currentNode()
    }

    /// The agent with an actuator that binds pod `name` (asking for `requests`) at its first NVML
    /// mutation: a scheduler binding while a GPU changes.
    func agentBindingAtFirstMutation(_ name: String, _ requests: [String: Int]) -> MIGAgent {
        let bound = Mutex(false)
        var agent = self.agent
        agent.actuator = GPUActuator(beforeMutation: {
            guard bound.withLock({ b in defer { b = true }; return !b }) else { return }
            try bindPod(name, requests)
        })
        return agent
    }

    /// Writes spec annotations as the partitioner would: placements per GPU and a plan id.
    func writeSpec(_ layouts: [Int: String], plan: String) throws {
        var node = try currentNode()
        var annotations = (node.metadata.annotations ?? [:]).filter { !$0.key.hasPrefix("n8s.nebuly.ai/spec-") }
        let specs = layouts.map { GPUSpec(index: $0.key, layout: Self.placed($0.value)) }
        annotations.merge(NodeMIGAnnotations.specAnnotations(specs, planID: plan)) { _, new in new }
        node.metadata.annotations = annotations
        _ = try sim.update(node)
    }

    static func placed(_ text: String) -> [PlacedInstance] {
        text.isEmpty ? [] : text.split(separator: ",").map { item in
            let parts = item.split(separator: "@")
            return PlacedInstance(String(parts[0]), at: Int(parts[1])!)
        }
    }

    /// A pod bound to the node asking for MIG devices (limits only, as users write them).
    func bindPod(_ name: String, _ requests: [String: Int]) throws {
        var limits: [String: Quantity] = [:]
        for (profile, n) in requests { limits["nvidia.com/mig-\(profile)"] = Quantity(n) }
        var c = Container(name: "main", limits: limits)
        c.unknownFields["image"] = "cuda"
        _ = try sim.create(Pod.self, Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: PodSpec(containers: [c], nodeName: Self.nodeName)))
    }

    /// Events recorded on the node (namespace `default`).
    var nodeEvents: [Event] { ((try? sim.list(Event.self, namespace: "default")) ?? []).filter { $0.involvedObject.name == Self.nodeName } }
    var condition: NodeCondition? { (try? currentNode())?.status?.condition(MIGAgentNames.conditionType) }
    var annotations: [String: String] { ((try? currentNode())?.metadata.annotations) ?? [:] }
    var allocatable: [String: Int] { (try? currentNode()).map(DevicePluginController.migAllocatable) ?? [:] }
}

import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import Logging
import MetricsTestKit
import N8sCore
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import N8sServices

/// The shared bounded wait with a 300 µs pause. The 30 s bound is far above what any condition
/// needs alone (under a second) because the whole test run shares the machine's cores; a wait
/// that holds returns at once, so the bound costs nothing when the tests pass.
func eventually(timeout: Duration = .seconds(30), _ condition: @Sendable () async -> Bool) async -> Bool {
    await TestSupport.eventually(timeout: timeout, every: .microseconds(300), condition)
}

/// Moves `clock` forward `step` at a time until `condition` holds (bounded by `limit` of clock
/// time); between steps the tasks get a short real-time chance to progress.
func advance(
    _ clock: ManualClock, step: Duration = .seconds(1), limit: Duration = .seconds(400), until condition: @Sendable () async -> Bool
) async -> Bool {
    var elapsed = Duration.zero
    while elapsed <= limit {
        if await eventually(timeout: .milliseconds(25), condition) { return true }
        clock.advance(by: step)
        elapsed += step
    }
    return await condition()
}

/// Lets `duration` of clock time pass, `step` at a time, giving tasks real time to progress between steps.
func pass(_ clock: ManualClock, _ duration: Duration, step: Duration = .seconds(1)) async {
    var elapsed = Duration.zero
    while elapsed < duration {
        await settle()
        clock.advance(by: step)
        elapsed += step
    }
}

/// Gives other tasks `real` time to progress (a bounded wait on nothing in particular).
func settle(_ real: Duration = .milliseconds(25)) async {
    let deadline = ContinuousClock.now + real
    while ContinuousClock.now < deadline {
        await Task.yield()
        try? await Task.sleep(for: .microseconds(300))
    }
}

var quietLogger: Logger {
    var l = Logger(label: "n8s.gpu-partitioner.test")
    l.logLevel = .critical
    return l
}

/// One partitioner replica against a KubeSim over HTTP.
struct Replica: Sendable {
    let partitioner: GPUPartitioner
    let service: GPUPartitionerService
    let metrics: TestMetrics

    init(client: KubeClient, clock: ManualClock, config: PartitionerConfig = PartitionerConfig(), leadership: Leadership? = nil, name: String = "r") {
        metrics = TestMetrics()
        let recorder = EventRecorder(client: client, component: "n8s-gpu-partitioner", instance: name, clock: clock, logger: quietLogger)
        let counter = PlanIDs(prefix: name)
        partitioner = GPUPartitioner(
            client: client, nodes: Store<Node>(), pods: Store<Pod>(), config: config, catalog: PFixtures.catalog, recorder: recorder,
            metrics: PartitionerMetrics(factory: metrics), clock: clock, logger: quietLogger, newPlanID: { counter.next() })
        service = GPUPartitionerService(partitioner: partitioner, leadership: leadership, logger: quietLogger)
    }

    func group(with more: [any Service] = []) -> ServiceGroup {
        ServiceGroup(configuration: .init(services: ([service] + more).map { .init(service: $0) }, logger: quietLogger))
    }
}

/// Readable, unique plan ids: `<replica>-1`, `<replica>-2`, ...
final class PlanIDs: Sendable {
    let prefix: String
    private let n = Mutex(0)
    init(prefix: String) { self.prefix = prefix }
    func next() -> String { "\(prefix)-\(n.withLock { $0 += 1; return $0 })" }
}

/// Runs `body` with a KubeSim served over HTTP on loopback and a client for it.
func withSim<T: Sendable>(
    clock: ManualClock, _ body: @Sendable (KubeSim, KubeClient) async throws -> T
) async throws -> T {
    let sim = KubeSim(clock: clock)
    return try await sim.withServer { url in
        try await KubeClient.withHTTP(
            config: ClusterConfig(server: url), qps: nil, retry: RetryPolicy(maxAttempts: 1), clock: clock, logger: quietLogger
        ) { client in
            let result = try await body(sim, client)
            // Let the server end its watch responses before it is torn down: cancelling a response
            // in the middle of a write trips NIO's "Deinited NIOAsyncWriter without calling finish()".
            _ = await eventually { sim.openWatchCount == 0 }
            await settle(.milliseconds(20))
            return result
        }
    }
}

extension KubeSim {
    func node(_ name: String) -> Node? { try? get(Node.self, name: name) }

    /// Creates a pod and sets its status (the create call resets status, as the API server does).
    func submit(_ pod: Pod) throws {
        var created = try create(Pod.self, Pod(metadata: pod.metadata, spec: pod.spec))
        created.status = pod.status
        _ = try update(created, subresource: "status")
    }

    /// Spec annotations of `node` (spec-gpu-*, spec-partitioning-plan).
    func spec(of node: String) -> [String: String] {
        (self.node(node)?.metadata.annotations ?? [:]).filter { $0.key.hasPrefix("n8s.nebuly.ai/spec-") }
    }

    func events(for name: String, namespace: String = "default") -> [Event] {
        ((try? list(Event.self, namespace: namespace)) ?? []).filter { $0.involvedObject.name == name }
    }

    /// Binds `pod` to `node` as the scheduler would.
    func bindPod(_ name: String, to node: String) throws {
        try bind(namespace: "default", name: name, ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": .string(name)], "target": ["kind": "Node", "name": .string(node)]])
    }
}

/// Plays the MIG agent's part on a simulated node (until the simulated node of issue 5 is merged):
/// reads spec and plan id from one version of the node, "applies" the spec (instances at the spec
/// placements; an instance stays used where a bound pod holds its profile), then writes the status
/// annotations, the echo and the advertised devices, as the agent does in one patch.
struct ScriptedAgent {
    let sim: KubeSim

    /// - Returns: `false` when there was nothing to apply.
    @discardableResult
    func echo(_ name: String, outcome: PartitioningOutcome = .applied) throws -> Bool {
        try retryingConflicts {
            guard let node = sim.node(name) else { return false }
            let parsed = NodeMIGAnnotations(parsing: node.metadata.annotations ?? [:])
            guard let plan = parsed.specPlanID, plan != parsed.statusPlanID else { return false }
            try report(node, plan: plan, outcome: outcome, applying: outcome == .applied ? parsed.spec : [:])
            return true
        }
    }

    /// Re-reports used and free devices (as the agent does when pods get their devices).
    func refresh(_ name: String) throws {
        try retryingConflicts {
            guard let node = sim.node(name) else { return }
            let parsed = NodeMIGAnnotations(parsing: node.metadata.annotations ?? [:])
            try report(node, plan: parsed.statusPlanID, outcome: parsed.outcome, applying: [:])
        }
    }

    /// Reads and writes again when another writer (the partitioner's condition) came in between.
    private func retryingConflicts<T>(_ body: () throws -> T) throws -> T {
        for _ in 0..<4 {
            do { return try body() } catch let status as APIStatus where status.code == 409 { continue }
        }
        return try body()
    }

    private func report(_ node: Node, plan: String?, outcome: PartitioningOutcome?, applying spec: [Int: GPUSpec]) throws {
        var node = node
        let parsed = NodeMIGAnnotations(parsing: node.metadata.annotations ?? [:])
        var annotations = (node.metadata.annotations ?? [:]).filter { !$0.key.hasPrefix("n8s.nebuly.ai/status-") }
        // A device stays used where it is while bound pods need its profile; bound pods without
        // a used device of their profile take a free one; devices of finished pods become free.
        var remaining = try boundDevices(on: node.name)
        var reports: [GPUStatusReport] = []
        var layouts: [(Int, GPUStatusReport, [InstanceState])] = []
        for (index, old) in parsed.status.sorted(by: { $0.key < $1.key }) {
            let usedNow = Set((old.instances ?? []).filter(\.isUsed).map(\.placed))
            var instances = old.instances ?? []
            if let target = spec[index]?.placements {
                #expect(usedNow.isSubset(of: Set(target)), "a plan never destroys a used device: \(usedNow) -> \(target)")
                instances = target.map { InstanceState($0, isUsed: usedNow.contains($0)) }
            }
            layouts.append((index, old, instances))
        }
        for pass in 0..<2 {
            for li in layouts.indices {
                layouts[li].2 = layouts[li].2.map { i in
                    var i = i
                    if pass == 0 {
                        guard i.isUsed else { return i }
                        if (remaining[i.placed.profile] ?? 0) > 0 { remaining[i.placed.profile]! -= 1 } else { i.isUsed = false }
                    } else if !i.isUsed, (remaining[i.placed.profile] ?? 0) > 0 {
                        remaining[i.placed.profile]! -= 1
                        i.isUsed = true
                    }
                    return i
                }
            }
        }
        for (index, old, instances) in layouts {
            reports.append(GPUStatusReport(index: index, model: old.model, migMode: old.migMode, instances: instances))
        }
        for (k, v) in NodeMIGAnnotations.statusAnnotations(reports) { annotations[k] = v }
        annotations[MIGAnnotations.statusPartitioningPlan] = plan
        annotations[MIGAnnotations.statusPartitioningOutcome] = outcome?.rawValue
        node.metadata.annotations = annotations
        node = try sim.update(node)
        var allocatable = (node.status?.allocatable ?? [:]).filter { !$0.key.hasPrefix("nvidia.com/mig-") }
        for (resource, n) in PFixtures.advertised(reports.map { $0.instances ?? [] }) { allocatable[resource] = Quantity(n) }
        node.status?.allocatable = allocatable
        node.status?.capacity = allocatable
        _ = try sim.update(node, subresource: "status")
    }

    /// MIG devices (NVIDIA profile names) requested by non-terminal pods bound to `node`.
    func boundDevices(on node: String) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for pod in try sim.list(Pod.self) where pod.spec.nodeName == node && !(pod.status?.isTerminal ?? false) {
            for (profile, n) in try PodRequests(pod.spec).migDevices() {
                out[MIGAnnotations.nvidiaName(fromResourceForm: profile), default: 0] += n
            }
        }
        return out
    }
}

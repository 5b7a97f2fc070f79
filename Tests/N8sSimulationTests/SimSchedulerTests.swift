import Foundation
import Hummingbird
import KubeClient
import KubeCore
import KubeSim
import N8sCore
import NIOCore
import Synchronization
import Testing

@testable import N8sSimulation

@Suite("SimScheduler against KubeSim over HTTP")
struct SimSchedulerTests {
    @Test("binds a pod that fits, to the node with the resource")
    func bindsFittingPod() async throws {
        let sim = KubeSim(clock: ManualClock())
        _ = try sim.create(Node.self, gpuNode("a"))
        _ = try sim.create(Node.self, gpuNode("b", mig: ["1g.10gb": 1]))
        _ = try sim.create(Pod.self, migPod("p"))
        try await withScheduler(sim) { _ in
            #expect(await eventually { sim.pod("p")?.spec.nodeName == "b" })
        }
        #expect(sim.pod("p")?.status?.condition("PodScheduled")?.status == "True")
    }

    @Test("a binding answered 409 is not taken for bound: the pod stays queued and is bound on a later pass")
    func conflictOnBindingRequeues() async throws {
        let clock = ManualClock()
        let sim = KubeSim(clock: clock)
        _ = try sim.create(Node.self, gpuNode("b", mig: ["1g.10gb": 1]))
        _ = try sim.create(Pod.self, migPod("p"))
        sim.failNext(1, verb: "create", resource: "pods/binding", with: .conflict("pods", "p"))
        try await withScheduler(sim) { _ in
            // The first pass meets the 409; the periodic retry (flushInterval, 30 s) binds it.
            #expect(await eventually {
                clock.advance(by: .seconds(31))
                return sim.pod("p")?.spec.nodeName == "b"
            }, "the pod whose first binding met a 409 is bound on a later pass")
        }
    }

    @Test("a pod that fits nowhere gets Unschedulable with kube-scheduler's message, reasons counted per node")
    func unschedulableMessage() async throws {
        let sim = KubeSim(clock: ManualClock())
        for name in ["g1", "g2", "g3"] { _ = try sim.create(Node.self, gpuNode(name, mig: ["2g.20gb": 1], labels: ["pool": "gpu"])) }
        for name in ["c1", "c2"] { _ = try sim.create(Node.self, gpuNode(name, mig: ["1g.10gb": 4])) }
        _ = try sim.create(Pod.self, migPod("p", nodeSelector: ["pool": "gpu"]))
        let expected = "0/5 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 3 Insufficient nvidia.com/mig-1g.10gb."
            + " preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod."
        try await withScheduler(sim) { _ in
            #expect(await eventually { sim.pod("p")?.status?.condition("PodScheduled")?.reason == "Unschedulable" })
        }
        let condition = try #require(sim.pod("p")?.status?.condition("PodScheduled"))
        #expect(condition.status == "False")
        #expect(condition.message == expected)
        #expect(sim.pod("p")?.spec.nodeName == nil)
    }

    @Test("higher priority first, then earlier arrival")
    func priorityOrder() async throws {
        let clock = ManualClock()
        let sim = KubeSim(clock: clock)
        _ = try sim.create(Node.self, gpuNode("n", mig: ["1g.10gb": 2]))
        _ = try sim.create(Pod.self, migPod("first-low", priority: 0))
        clock.advance(by: .seconds(1))
        _ = try sim.create(Pod.self, migPod("second-high", priority: 100))
        clock.advance(by: .seconds(1))
        _ = try sim.create(Pod.self, migPod("third-low", priority: 0))
        clock.advance(by: .seconds(1))
        _ = try sim.create(Pod.self, migPod("fourth-high", priority: 100))
        try await withScheduler(sim) { _ in
            #expect(await eventually {
                sim.pod("first-low")?.status?.condition("PodScheduled")?.reason == "Unschedulable"
                    && sim.pod("third-low")?.status?.condition("PodScheduled")?.reason == "Unschedulable"
            })
        }
        #expect(sim.pod("second-high")?.spec.nodeName == "n")
        #expect(sim.pod("fourth-high")?.spec.nodeName == "n")
        #expect(sim.pod("first-low")?.spec.nodeName == nil)
        #expect(SimScheduler.precedes(try #require(sim.pod("first-low")), try #require(sim.pod("third-low"))))
    }

    @Test("each pod is placed against the nodes as they are now, not as they were when the pass began (kube-scheduler snapshots per cycle)")
    func nodesReadPerPod() async throws {
        let clock = ManualClock()
        let sim = KubeSim(clock: clock)
        _ = try sim.create(Node.self, gpuNode("n", mig: ["1g.10gb": 2]))
        _ = try sim.create(Pod.self, migPod("first", priority: 100))
        _ = try sim.create(Pod.self, migPod("second", priority: 0))
        // While the first pod is filtered, the node's MIG devices go (a device plugin paused for a
        // MIG change): the second pod, later in the same pass, must not be bound to them.
        let changed = Mutex(false)
        let router = Router()
        router.post("/scheduler/filter") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let args = try KubeJSON.decode(ExtenderArgs.self, from: Data(String(buffer: bytes).utf8))
            if changed.withLock({ c in defer { c = true }; return !c }) {
                var node = try sim.get(Node.self, name: "n")
                node.status?.allocatable?["nvidia.com/mig-1g.10gb"] = Quantity(0)
                _ = try sim.update(node, subresource: "status")
                try await Task.sleep(for: .milliseconds(500))  // the scheduler's node store sees it
            }
            let result = ExtenderFilterResult(nodeNames: args.nodeNames ?? [], failedNodes: [:], failedAndUnresolvableNodes: [:])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try KubeJSON.encode(result))))
        }
        try await withRouter(router) { url in
            let extender = ExtenderConfig(urlPrefix: url + "/scheduler", filterVerb: "filter", nodeCacheCapable: true, httpTimeout: .seconds(5))
            try await withScheduler(sim, SimScheduler.Configuration(extenders: [extender])) { _ in
                #expect(await eventually {
                    sim.pod("first")?.spec.nodeName == "n" && sim.pod("second")?.status?.condition("PodScheduled")?.reason == "Unschedulable"
                })
            }
        }
        #expect(sim.pod("second")?.spec.nodeName == nil, "bound to devices the node no longer advertised")
    }

    @Test("a pending pod is bound once the node's allocatable grows; bound pods count against it")
    func retriesWhenNodeGrows() async throws {
        let sim = KubeSim(clock: ManualClock())
        _ = try sim.create(Node.self, gpuNode("n", mig: ["1g.10gb": 1]))
        var running = migPod("running")
        running.spec.nodeName = "n"
        _ = try sim.create(Pod.self, running)
        _ = try sim.create(Pod.self, migPod("waiting"))
        try await withScheduler(sim) { _ in
            #expect(await eventually { sim.pod("waiting")?.status?.condition("PodScheduled")?.reason == "Unschedulable" })
            #expect(sim.pod("waiting")?.status?.condition("PodScheduled")?.message?.hasPrefix("0/1 nodes are available: 1 Insufficient nvidia.com/mig-1g.10gb.") == true)
            var node = try sim.get(Node.self, name: "n")
            node.status?.allocatable?["nvidia.com/mig-1g.10gb"] = Quantity(2)
            _ = try sim.update(node, subresource: "status")
            #expect(await eventually { sim.pod("waiting")?.spec.nodeName == "n" })
        }
    }

    @Test("an extender's filter is honoured: only the nodes it passes are used, with NodeNames when nodeCacheCapable")
    func extenderFilter() async throws {
        let sim = KubeSim(clock: ManualClock())
        for name in ["a", "b", "c"] { _ = try sim.create(Node.self, gpuNode(name, mig: ["1g.10gb": 1])) }
        _ = try sim.create(Pod.self, migPod("p"))
        _ = try sim.create(Pod.self, migPod("q"))
        let seen = TestExtenderState()
        try await withExtender(seen) { url in
            let extender = ExtenderConfig(urlPrefix: url + "/scheduler/", filterVerb: "filter", nodeCacheCapable: true, httpTimeout: .seconds(5))
            try await withScheduler(sim, SimScheduler.Configuration(extenders: [extender])) { _ in
                #expect(await eventually { sim.pod("p")?.spec.nodeName != nil && sim.pod("q")?.status?.condition("PodScheduled")?.reason == "Unschedulable" })
            }
        }
        #expect(sim.pod("p")?.spec.nodeName == "c", "the extender passes only c")
        let message = sim.pod("q")?.status?.condition("PodScheduled")?.message ?? ""
        #expect(message.hasPrefix("0/3 nodes are available: 1 Insufficient nvidia.com/mig-1g.10gb, 1 node is full of quota, 1 node(s) are reserved."), "\(message)")
        #expect(seen.calls.first == ["a", "b", "c"])
    }

    @Test("an extender with bindVerb binds the pod itself, with ExtenderBindingArgs")
    func extenderBind() async throws {
        let sim = KubeSim(clock: ManualClock())
        _ = try sim.create(Node.self, gpuNode("c", mig: ["1g.10gb": 1]))
        let pod = try sim.create(Pod.self, migPod("p"))
        let state = TestExtenderState()
        try await withExtender(state, sim: sim) { url in
            let extender = ExtenderConfig(urlPrefix: url + "/scheduler", filterVerb: "filter", bindVerb: "bind", nodeCacheCapable: true, httpTimeout: .seconds(5))
            try await withScheduler(sim, SimScheduler.Configuration(extenders: [extender])) { _ in
                #expect(await eventually { sim.pod("p")?.spec.nodeName == "c" })
            }
        }
        #expect(state.bindings == [ExtenderBindingArgs(podName: "p", podNamespace: "default", podUID: pod.metadata.uid ?? "?", node: "c")])
    }

    @Test("a pod failed by an extender outage is retried by the periodic flush on the injected clock")
    func flushRetries() async throws {
        let clock = ManualClock()
        let sim = KubeSim(clock: clock)
        _ = try sim.create(Node.self, gpuNode("c", mig: ["1g.10gb": 1]))
        _ = try sim.create(Pod.self, migPod("p"))
        let state = TestExtenderState()
        state.isDown = true
        try await withExtender(state) { url in
            let extender = ExtenderConfig(urlPrefix: url + "/scheduler", filterVerb: "filter", nodeCacheCapable: true, httpTimeout: .seconds(5))
            let configuration = SimScheduler.Configuration(flushInterval: .seconds(30), extenders: [extender])
            try await withScheduler(sim, configuration) { _ in
                #expect(await eventually { sim.pod("p")?.status?.condition("PodScheduled")?.reason == "SchedulerError" })
                #expect(sim.pod("p")?.status?.condition("PodScheduled")?.message?.contains("code 500") == true)
                state.isDown = false
                clock.advance(by: .seconds(29))
                #expect(sim.pod("p")?.spec.nodeName == nil)
                clock.advance(by: .seconds(1))
                #expect(await eventually { sim.pod("p")?.spec.nodeName == "c" })
            }
        }
    }

    @Test("a failing extender leaves the pod pending with SchedulerError unless it is ignorable")
    func failingExtender() async throws {
        let sim = KubeSim(clock: ManualClock())
        _ = try sim.create(Node.self, gpuNode("n", mig: ["1g.10gb": 2]))
        _ = try sim.create(Pod.self, migPod("p"))
        let down = ExtenderConfig(urlPrefix: "http://127.0.0.1:1/scheduler", filterVerb: "filter", nodeCacheCapable: true, httpTimeout: .milliseconds(300))
        try await withScheduler(sim, SimScheduler.Configuration(extenders: [down])) { _ in
            #expect(await eventually { sim.pod("p")?.status?.condition("PodScheduled")?.reason == "SchedulerError" })
        }
        #expect(sim.pod("p")?.spec.nodeName == nil)
        #expect(sim.pod("p")?.status?.condition("PodScheduled")?.message?.contains("127.0.0.1:1/scheduler/filter") == true)
        var ignorable = down
        ignorable.ignorable = true
        try await withScheduler(sim, SimScheduler.Configuration(extenders: [ignorable])) { _ in
            #expect(await eventually { sim.pod("p")?.spec.nodeName == "n" })
        }
    }
}

/// A scheduler extender on loopback: `filter` passes only node `c`, fails `a` (resolvable) and
/// `b` (unresolvable), or answers 500 while `state.isDown`; `bind` binds in `sim` itself.
func withExtender(_ state: TestExtenderState, sim: KubeSim? = nil, _ body: @Sendable (String) async throws -> Void) async throws {
    let router = Router()
    router.post("/scheduler/filter") { request, _ -> Response in
        if state.isDown { return Response(status: .internalServerError) }
        let bytes = try await request.body.collect(upTo: 1 << 20)
        let args = try KubeJSON.decode(ExtenderArgs.self, from: Data(String(buffer: bytes).utf8))
        state.record(args.nodeNames ?? [])
        let names = args.nodeNames ?? []
        let result = ExtenderFilterResult(
            nodeNames: names.filter { $0 == "c" },
            failedNodes: names.contains("a") ? ["a": "node is full of quota"] : [:],
            failedAndUnresolvableNodes: names.contains("b") ? ["b": "node(s) are reserved"] : [:]
        )
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try KubeJSON.encode(result))))
    }
    router.post("/scheduler/bind") { request, _ -> Response in
        let bytes = try await request.body.collect(upTo: 1 << 20)
        let args = try KubeJSON.decode(ExtenderBindingArgs.self, from: Data(String(buffer: bytes).utf8))
        state.record(binding: args)
        var result = ExtenderBindingResult()
        do {
            try sim?.bind(namespace: args.podNamespace, name: args.podName, ["target": ["kind": "Node", "name": .string(args.node)]])
        } catch {
            result.error = "\(error)"
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try KubeJSON.encode(result))))
    }
    try await withRouter(router, body)
}

/// Serves `router` on loopback for `body`, which gets the base URL.
func withRouter(_ router: Router<BasicRequestContext>, _ body: @Sendable (String) async throws -> Void) async throws {
    let (ports, sink) = AsyncStream.makeStream(of: Int.self)
    let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { channel in sink.yield(channel.localAddress?.port ?? 0); sink.finish() })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        try await body("http://127.0.0.1:\(port)")
        group.cancelAll()
    }
}

/// What the test extender was sent, and whether it is failing.
final class TestExtenderState: Sendable {
    private let state = Mutex<(calls: [[String]], bindings: [ExtenderBindingArgs], isDown: Bool)>(([], [], false))
    func record(_ names: [String]) { state.withLock { $0.calls.append(names) } }
    func record(binding: ExtenderBindingArgs) { state.withLock { $0.bindings.append(binding) } }
    var calls: [[String]] { state.withLock { $0.calls } }
    var bindings: [ExtenderBindingArgs] { state.withLock { $0.bindings } }
    var isDown: Bool {
        get { state.withLock { $0.isDown } }
        set { state.withLock { $0.isDown = newValue } }
    }
}

@Suite("SimScheduler's assumed pods")
struct AssumedPodsTests {
    @Test("an assumed pod is judged against the pass's own pod list, so its request counts exactly once")
    func judgedAgainstThePassList() {
        let assumed = AssumedPods()
        var pod = migPod("p")
        pod.metadata.uid = "u"
        assumed.assume(pod.key, on: "n", requests: PodRequests(pod.spec))
        // The pass's list still shows it unbound: it stays assumed (the list's usage lacks it),
        // even if the store has seen the binding since.
        #expect(assumed.pending(in: [pod]).keys.contains(pod.key))
        var bound = pod
        bound.spec.nodeName = "n"
        // The pass's list shows it bound: the usage has it, so it is no longer assumed.
        #expect(assumed.pending(in: [bound]).isEmpty)
    }
}

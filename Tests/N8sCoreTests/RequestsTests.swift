import KubeCore
import Testing
@testable import N8sCore

@Suite("Pod requests and fit predicates")
struct RequestsTests {
    @Test("C34: init containers, overhead and the gpu-memory value follow Kubernetes' rule")
    func c34() throws {
        var spec = PodSpec(containers: [
            Container(name: "a", limits: ["nvidia.com/mig-1g.5gb": Quantity(1), "cpu": Quantity(1)]),
            Container(name: "b", requests: ["cpu": Quantity(milli: 500)], limits: ["nvidia.com/mig-1g.5gb": Quantity(1)]),
        ])
        spec.initContainers = [Container(name: "init", limits: ["nvidia.com/mig-3g.20gb": Quantity(1), "cpu": Quantity(2)])]
        spec.overhead = ["cpu": Quantity(milli: 250), "memory": Quantity(bytes: 64 << 20)]
        let r = PodRequests(spec)
        #expect(r["cpu"] == Quantity(milli: 2250))  // max(2, 1.5) + 0.25
        #expect(r["memory"] == Quantity(bytes: 64 << 20))
        #expect(try r.migDevices() == ["1g.5gb": 2, "3g.20gb": 1])
        #expect(try r.gpuMemoryGB() == 30)
    }

    @Test("native sidecars add to app containers and to later init containers")
    func sidecars() {
        var spec = PodSpec(containers: [Container(name: "app", requests: ["cpu": Quantity(1)])])
        var sidecar = Container(name: "proxy", requests: ["cpu": Quantity(milli: 500)])
        sidecar.restartPolicy = "Always"
        spec.initContainers = [sidecar, Container(name: "late-init", requests: ["cpu": Quantity(2)])]
        #expect(PodRequests(spec)["cpu"] == Quantity(milli: 2500))  // max(1 + 0.5, 0.5 + 2)
    }

    @Test("real pods: limits-only requests, two profiles in one container, init + sidecar")
    func realPods() throws {
        let kubeflow = try Fixtures.decode(Pod.self, "pods/running-kubeflow-notebook-init-istio-mig-1g10gb.json")
        let r = PodRequests(kubeflow.spec)
        #expect(try r.migDevices() == ["1g.10gb": 1])
        #expect(r["cpu"] == Quantity(milli: 510))
        let two = try Fixtures.decode(Pod.self, "pods/running-one-container-two-mig-profiles.json")
        #expect(try PodRequests(two.spec).migDevices() == ["1g.10gb": 1, "1g.20gb": 2])
        let pending = try Fixtures.decode(Pod.self, "pods/pending-49-nodes-mig-2g20gb-taints-selectors.json")
        #expect(PendingPod.notCandidateReason(pending) == nil)
        #expect(try PendingPod(pending).devices == ["2g.20gb": 1])
        let single = try Fixtures.decode(Pod.self, "pods/pending-h100-pcie-single-8th-of-7-slices.json")
        #expect(PendingPod.notCandidateReason(single) != nil)
        let daemon = try Fixtures.decode(Pod.self, "pods/gpu-operator-device-plugin-daemonset-pod.json")
        #expect(PendingPod.notCandidateReason(daemon) != nil)
    }

    @Test("every real pod parses")
    func allPodsParse() throws {
        let files = Fixtures.files("pods")
        #expect(files.count == 8)
        for f in files { _ = PodRequests(try Fixtures.decode(Pod.self, "pods/\(f)").spec) }
    }

    @Test("a fractional device count is an error, never zero")
    func fractional() {
        let r = PodRequests(resources: ["nvidia.com/mig-1g.5gb": Quantity(milli: 500)])
        #expect(throws: RequestError.self) { try r.migDevices() }
    }

    @Test("required node affinity with matchFields metadata.name, taints and tolerations")
    func predicates() throws {
        let daemon = try Fixtures.decode(Pod.self, "pods/gpu-operator-device-plugin-daemonset-pod.json")
        var node = Node(metadata: ObjectMeta(name: "node-h20-4", labels: ["nvidia.com/gpu.deploy.device-plugin": "true"]))
        #expect(NodeFit.staticFailure(of: daemon.spec, on: node) == nil)
        node.metadata.name = "other"
        #expect(NodeFit.staticFailure(of: daemon.spec, on: node) == .nodeAffinityMismatch)
        node.metadata.name = "node-h20-4"
        node.spec = NodeSpec(unschedulable: true, taints: [Taint(key: "nvidia.com/gpu", effect: "NoSchedule")])
        #expect(NodeFit.staticFailure(of: daemon.spec, on: node) == nil)  // tolerates both
        let pending = try Fixtures.decode(Pod.self, "pods/pending-49-nodes-mig-2g20gb-taints-selectors.json")
        let gpuNode = Node(metadata: ObjectMeta(name: "g", labels: ["workload": "training"]), spec: NodeSpec(taints: [Taint(key: "role", value: "training-gpu", effect: "NoSchedule")]))
        #expect(NodeFit.staticFailure(of: pending.spec, on: gpuNode) == .untoleratedTaint(key: "role", value: "training-gpu", effect: "NoSchedule"))
        #expect(NodeFit.staticFailure(of: pending.spec, on: Node(metadata: ObjectMeta(name: "x"))) == .nodeSelectorMismatch(key: "workload"))
        let r = PodRequests(pending.spec)
        #expect(NodeFit.resourceFailure(r, free: ["cpu": Quantity(8), "memory": Quantity(bytes: 1 << 40)], freePods: 3) == .insufficient(resource: "cpu"))
    }
}

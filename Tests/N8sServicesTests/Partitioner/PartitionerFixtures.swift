import Foundation
import KubeCore
import N8sCore

/// Nodes, pods and scheduler messages for the partitioner suites.
enum PFixtures {
    static let catalog: MIGCatalog = {
        do { return try MIGCatalog.bundled() } catch { fatalError("bundled catalog: \(error)") }
    }()

    static let a100 = "NVIDIA-A100-SXM4-40GB"

    /// kube-scheduler 1.30's message for a pod lacking a MIG profile, with the preemption clause.
    static func insufficient(_ profile: String, nodes: Int = 2) -> String {
        "0/\(nodes) nodes are available: \(nodes) Insufficient nvidia.com/mig-\(profile). preemption: 0/\(nodes) nodes are available: \(nodes) No preemption victims found for incoming pod."
    }

    static func used(_ p: String, _ s: Int) -> InstanceState { InstanceState(PlacedInstance(p, at: s), isUsed: true) }
    static func free(_ p: String, _ s: Int) -> InstanceState { InstanceState(PlacedInstance(p, at: s), isUsed: false) }

    /// A labelled, Ready node whose agent reports `gpus` (index → layout with used flags), with
    /// allocatable MIG devices as the device plugin would advertise them.
    static func node(
        _ name: String, product: String = a100, gpus: [[InstanceState]], labels: [String: String] = [:],
        annotations: [String: String] = [:], labelled: Bool = true, ready: Bool = true
    ) -> Node {
        let reports = gpus.enumerated().map { i, inst in GPUStatusReport(index: i, model: product, migMode: .enabled, instances: inst) }
        var allLabels = labels
        if labelled { allLabels[MIGAnnotations.autoMIGEnabled] = "true" }
        allLabels[MIGAnnotations.gpuProductLabel] = product
        allLabels[MIGAnnotations.migStrategyLabel] = "mixed"
        allLabels["kubernetes.io/hostname"] = name
        var all = NodeMIGAnnotations.statusAnnotations(reports)
        all["node.alpha.kubernetes.io/ttl"] = "0"
        for (k, v) in annotations { all[k] = v }
        var allocatable: [String: Quantity] = ["cpu": Quantity(64), "memory": Quantity(bytes: 256 << 30), "pods": Quantity(110)]
        for (resource, n) in advertised(gpus) { allocatable[resource] = Quantity(n) }
        return Node(
            metadata: ObjectMeta(name: name, labels: allLabels, annotations: all),
            spec: NodeSpec(),
            status: NodeStatus(
                capacity: allocatable, allocatable: allocatable,
                conditions: [NodeCondition(type: "Ready", status: ready ? "True" : "False", reason: "KubeletReady")]))
    }

    /// `nvidia.com/mig-<profile>` to count over all instances (used and free), as the plugin advertises.
    static func advertised(_ gpus: [[InstanceState]]) -> [String: Int] {
        var out: [String: Int] = [:]
        for g in gpus { for i in g { out[MIGProfile.resourcePrefix + MIGProfile.resourceForm(of: i.placed.profile), default: 0] += 1 } }
        return out
    }

    /// A pod the scheduler reported unschedulable with `message` (default: lacking its first profile).
    static func pendingPod(
        _ name: String, _ devices: [String: Int], namespace: String = "default", message: String? = nil,
        selector: [String: String]? = nil, uid: String? = nil, priority: Int32? = nil
    ) -> Pod {
        var limits: [String: Quantity] = ["cpu": Quantity(1)]
        for (p, n) in devices { limits["nvidia.com/mig-\(p)"] = Quantity(n) }
        var spec = PodSpec(containers: [Container(name: "main", limits: limits)])
        spec.nodeSelector = selector
        spec.priority = priority
        var status = PodStatus(phase: "Pending")
        let text = message ?? insufficient(devices.keys.sorted().first ?? "1g.5gb")
        status.conditions = [PodCondition(type: "PodScheduled", status: "False", reason: "Unschedulable", message: text)]
        var meta = ObjectMeta(name: name, namespace: namespace)
        meta.uid = uid ?? "uid-\(name)"
        return Pod(metadata: meta, spec: spec, status: status)
    }

    /// A pod bound to `node` and running.
    static func boundPod(_ name: String, _ devices: [String: Int], node: String) -> Pod {
        var limits: [String: Quantity] = ["cpu": Quantity(1)]
        for (p, n) in devices { limits["nvidia.com/mig-\(p)"] = Quantity(n) }
        var spec = PodSpec(containers: [Container(name: "main", limits: limits)])
        spec.nodeName = node
        var status = PodStatus(phase: "Running")
        status.conditions = [PodCondition(type: "PodScheduled", status: "True")]
        var meta = ObjectMeta(name: name, namespace: "default")
        meta.uid = "uid-\(name)"
        return Pod(metadata: meta, spec: spec, status: status)
    }
}

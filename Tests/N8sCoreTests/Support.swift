import Foundation
import KubeCore
@testable import N8sCore

/// Shared helpers for the N8sCore suites.
enum Fixtures {
    static let catalog: MIGCatalog = {
        do { return try MIGCatalog.bundled() } catch { fatalError("bundled catalog: \(error)") }
    }()

    static func space(_ id: String) -> LayoutSpace {
        guard let m = catalog.model(id: id), let s = try? LayoutSpace(m) else { fatalError("no model \(id)") }
        return s
    }

    static func url(_ path: String) -> URL {
        guard let base = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { fatalError("no fixtures") }
        return base.appendingPathComponent(path)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        try KubeJSON.decode(type, from: Data(contentsOf: url(path)))
    }

    static func files(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url(dir).path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// A labelled, Ready node whose agent reports `gpus` (index → layout with used flags).
    ///
    /// The node advertises every reported instance (`nvidia.com/mig-<profile>` allocatable), as a
    /// healthy device plugin does, unless `advertised` says otherwise (profile in resource form).
    static func node(
        _ name: String, product: String = "NVIDIA-A100-SXM4-40GB", gpus: [[InstanceState]],
        labels: [String: String] = [:], taints: [Taint]? = nil, cpu: Int = 64, extra: [String: Quantity] = [:],
        advertised: [String: Int]? = nil
    ) -> Node {
        let reports = gpus.enumerated().map { i, inst in
            GPUStatusReport(index: i, model: product, migMode: .enabled, instances: inst)
        }
        var allLabels = labels
        allLabels[MIGAnnotations.autoMIGEnabled] = "true"
        allLabels[MIGAnnotations.gpuProductLabel] = product
        var allocatable: [String: Quantity] = ["cpu": Quantity(cpu), "memory": Quantity(bytes: 256 << 30), "pods": Quantity(110)]
        for (k, q) in extra { allocatable[k] = q }
        var devices: [String: Int] = [:]
        for i in gpus.joined() { devices[MIGProfile.resourceForm(of: i.placed.profile), default: 0] += 1 }
        for (p, n) in advertised ?? devices { allocatable["nvidia.com/mig-\(p)"] = Quantity(n) }
        return Node(
            metadata: ObjectMeta(name: name, labels: allLabels, annotations: NodeMIGAnnotations.statusAnnotations(reports)),
            spec: NodeSpec(taints: taints),
            status: NodeStatus(allocatable: allocatable, conditions: [NodeCondition(type: "Ready", status: "True")]))
    }

    static func used(_ p: String, _ s: Int) -> InstanceState { InstanceState(PlacedInstance(p, at: s), isUsed: true) }
    static func free(_ p: String, _ s: Int) -> InstanceState { InstanceState(PlacedInstance(p, at: s), isUsed: false) }

    static func pod(
        _ name: String, _ devices: [String: Int], priority: Int32 = 0, node: String? = nil, cpu: Int = 1,
        selector: [String: String]? = nil, extra: [String: Quantity] = [:]
    ) -> Pod {
        var limits: [String: Quantity] = ["cpu": Quantity(cpu)]
        for (k, q) in extra { limits[k] = q }
        for (p, n) in devices { limits["nvidia.com/mig-\(p)"] = Quantity(n) }
        var spec = PodSpec(containers: [Container(name: "main", limits: limits)], nodeName: node)
        spec.priority = priority
        spec.nodeSelector = selector
        return Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec, status: PodStatus(phase: node == nil ? "Pending" : "Running"))
    }

    static func pending(
        _ name: String, _ devices: [String: Int], priority: Int32 = 0, cpu: Int = 1, selector: [String: String]? = nil,
        extra: [String: Quantity] = [:]
    ) -> PendingPod {
        do { return try PendingPod(pod(name, devices, priority: priority, cpu: cpu, selector: selector, extra: extra)) } catch {
            fatalError("\(error)")
        }
    }
}

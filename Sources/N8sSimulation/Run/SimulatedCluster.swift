import Foundation
import KubeCore
import KubeSim
import N8sCore

/// The nodes of a scenario installed in a ``KubeSim``: one ``SimulatedNode`` per node, with its
/// simulated GPUs carved into their starting layout, and the workload's namespaces.
///
/// Starting layout of every GPU: the `static:` geometry in static mode, else the node group's
/// `migLayout`, else the model's full-GPU profile (a MIG-enabled GPU always has instances).
/// Node capacity (CPU, memory, pods) and the device plugin's device id strategy come from the
/// node group; the simulated kubelet's delays from ``Scenario/timing``.
struct SimulatedCluster: Sendable {
    struct Member: Sendable {
        var node: SimulatedNode
        var model: GPUModel?
    }

    let members: [Member]

    /// GPU memory of the whole cluster in GB (every GPU's full-GPU profile).
    var gpuMemoryGB: Double {
        members.reduce(0) { total, m in
            total + Double((m.model?.fullGPUProfile?.nominalMemoryGB ?? 0) * m.node.nvml.gpus.count)
        }
    }

    /// - Throws: ``SimulationError/invalidField(field:reason:)`` for a starting layout that does
    ///   not fit the GPU model; the ``APIStatus`` of a failed KubeSim write as
    ///   ``SimulationError/output(path:reason:)``.
    static func install(_ scenario: Scenario, in sim: KubeSim, tick: Duration) throws(SimulationError) -> SimulatedCluster {
        var members: [Member] = []
        for (g, group) in scenario.nodes.enumerated() {
            let layout = try startingLayout(scenario, group: group, field: "nodes[\(g)].migLayout")
            for name in group.nodeNames {
                let gpus = group.gpuModel.map { model in (0..<group.gpusPerNode).map { SimulatedGPU(model: model, index: $0) } } ?? []
                let nvml = SimulatedNVML(gpus: gpus)
                for gpu in gpus.indices {
                    for placed in layout {
                        do { try nvml.seed(gpu: gpu, placed) } catch {
                            throw .invalidField(field: "nodes[\(g)].migLayout", reason: "cannot create \(placed.profile) at \(placed.start): \(error)")
                        }
                    }
                }
                var settings = SimulatedNode.Settings()
                settings.podStartDelay = scenario.timing.kubeletStatusDelay
                settings.pluginStartDelay = scenario.timing.devicePluginRestart
                settings.migReconfiguration = scenario.timing.migReconfiguration
                settings.deviceIDStrategy = group.deviceIDStrategy
                settings.pluginCrashShare = scenario.faults.devicePluginCrashShare
                settings.pluginCrashSeed = scenario.faults.seed &+ 0x5043_5241 &+ UInt64(members.count) &* 0x9E37_79B9
                settings.tick = tick
                let node = SimulatedNode(name: name, sim: sim, nvml: nvml, settings: settings)
                do {
                    try node.install(labels: gpus.isEmpty ? [MIGAnnotations.autoMIGEnabled: "false"] : [:])
                    var object = try sim.get(Node.self, name: name)
                    var status = object.status ?? NodeStatus()
                    for key in ["cpu", "memory", "pods"] {
                        let value = key == "cpu" ? group.cpu : key == "memory" ? group.memory : Quantity(group.maxPods)
                        status.capacity?[key] = value
                        status.allocatable?[key] = value
                    }
                    object.status = status
                    _ = try sim.update(object, subresource: "status")
                } catch {
                    throw .output(path: "node \(name)", reason: "KubeSim refused it: \(error)")
                }
                members.append(Member(node: node, model: group.gpuModel))
            }
        }
        for namespace in Set(scenario.workload.map(\.namespace)).sorted() where (try? sim.get(Namespace.self, name: namespace)) == nil {
            do { _ = try sim.create(Namespace.self, Namespace(metadata: ObjectMeta(name: namespace))) } catch {
                throw .output(path: "namespace \(namespace)", reason: "KubeSim refused it: \(error)")
            }
        }
        return SimulatedCluster(members: members)
    }

    /// The instances every GPU of `group` starts with (empty for CPU-only groups).
    static func startingLayout(_ scenario: Scenario, group: Scenario.NodeGroup, field: String) throws(SimulationError) -> [PlacedInstance] {
        guard let model = group.gpuModel, group.gpusPerNode > 0 else { return [] }
        let geometry: Geometry
        var field = field
        switch scenario.partitioning {
        case .fixed(let fixed):
            geometry = fixed
            field = "partitioning"
        case .dynamic:
            if let start = group.startingGeometry {
                geometry = start
            } else if let full = model.fullGPUProfile {
                geometry = [full.name: 1]
            } else {
                throw .invalidField(field: field, reason: "\(model.id) has no full-GPU profile; give a starting layout")
            }
        }
        let space: LayoutSpace
        do { space = try LayoutSpace(model) } catch { throw .invalidField(field: field, reason: "\(error)") }
        guard let layout = space.layout(for: geometry, keeping: []) else {
            throw .invalidField(field: field, reason: "\(GeometryText.format(geometry)) does not fit one \(model.id)")
        }
        return layout
    }
}

import Foundation
import KubeCore
import N8sCore

/// Texts of the Events the partitioner records, and the GPU each planned device is meant for.
///
/// The planner says which node a pod fits; the GPU is derived here from the node's new layout:
/// each device of the pod takes a free instance of its profile on the lowest-indexed GPU that
/// still has one after the instances in use and those of pods noted before it. The device plugin
/// and kubelet choose the real device; the GPU in the Event says where the plan made room.
public enum PlanNotes {
    /// Event reasons.
    public static let plannedReason = "MigPlanned"
    public static let unplaceableReason = "MigUnplaceable"
    public static let leftAloneReason = "MigPlanningGivenUp"
    public static let stalledReason = "Stalled"
    public static let recoveredReason = "PlanEchoed"
    /// The agent reports more free MIG instances than the node advertises (``Plan/Disagreement``).
    public static let notAdvertisedReason = "MigDevicesNotAdvertised"

    /// Per pod (in `pods` order): `(resource name, GPU index)` for each device, e.g.
    /// `("nvidia.com/mig-3g.40gb", 1)`; the GPU is `nil` when the layout shows no free instance left.
    ///
    /// - Parameters:
    ///   - layout: the node's GPUs after the plan: index to instances, with used ones marked.
    ///   - pods: the pods fitted onto the node, each with its devices (profile in resource form to count).
    public static func gpus(
        layout: [Int: [InstanceState]], pods: [[String: Int]]
    ) -> [[(resource: String, gpu: Int?)]] {
        var free: [Int: [String: Int]] = [:]
        for (index, instances) in layout {
            for i in instances where !i.isUsed { free[index, default: [:]][MIGProfile.resourceForm(of: i.placed.profile), default: 0] += 1 }
        }
        var out: [[(resource: String, gpu: Int?)]] = []
        for devices in pods {
            var notes: [(resource: String, gpu: Int?)] = []
            for (profile, count) in devices.sorted(by: { $0.key < $1.key }) {
                for _ in 0..<count {
                    let gpu = free.keys.sorted().first { (free[$0]?[profile] ?? 0) > 0 }
                    if let gpu { free[gpu]?[profile]! -= 1 }
                    notes.append((MIGProfile.resourcePrefix + profile, gpu))
                }
            }
            out.append(notes)
        }
        return out
    }

    /// "planned nvidia.com/mig-3g.40gb on node X GPU 1" (devices joined with "; ").
    public static func plannedMessage(node: String, devices: [(resource: String, gpu: Int?)], planID: String) -> String {
        let parts = devices.map { d in "planned \(d.resource) on node \(node)" + (d.gpu.map { " GPU \($0)" } ?? "") }
        return parts.joined(separator: "; ") + " (plan \(planID))"
    }

    /// A low-cardinality label for `n8s_partitioner_pods_unplaceable_total{reason}`.
    public static func reasonLabel(_ reason: String) -> String {
        if reason.hasPrefix("no plannable node passes") || reason.hasPrefix("0/") { return "predicates" }
        if reason.hasPrefix("no plannable node") { return "no_plannable_node" }
        if reason.hasPrefix("no layout") { return "no_layout" }
        if reason.hasPrefix("resource '") { return "invalid_request" }
        return "other"
    }
}

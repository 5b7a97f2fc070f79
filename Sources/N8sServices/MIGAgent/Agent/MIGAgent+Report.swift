import Foundation
import KubeClient
import KubeCore
import N8sCore

extension MIGAgent {
    /// Writes the pass to the node: one merge patch with the status annotations (stale ones
    /// removed) and, when there is an outcome, the plan echo, outcome and spec hash; then the
    /// `N8sMigAgent` condition (status subresource) and an Event after a change or a
    /// `DeviceIDMismatch`. A pass that could not read the GPUs (NVML unavailable, PodResources
    /// unreadable, device ids that do not match) removes every per-GPU status annotation: the
    /// partitioner then sees no placement report (`NoPlacementReport`) rather than stale facts.
    func report(_ pass: inout PassResult, node: Node) async throws {
        let current = node.metadata.annotations ?? [:]
        var wanted = pass.gpus.isEmpty ? [:] : NodeMIGAnnotations.statusAnnotations(pass.gpus.map(\.statusReport))
        let annotations = NodeMIGAnnotations(parsing: current)
        if let outcome = pass.outcome, let plan = annotations.specPlanID {
            wanted[MIGAnnotations.statusPartitioningPlan] = plan
            wanted[MIGAnnotations.statusPartitioningOutcome] = outcome.rawValue
            wanted[MIGAnnotations.statusPartitioningSpecHash] = NodeMIGAnnotations.specHash(of: current)
        }
        var patch: JSONObject = [:]
        for (key, value) in wanted where current[key] != value { patch[key] = .string(value) }
        for key in current.keys where key.hasPrefix(MIGAnnotations.prefix + "status-gpu-") && wanted[key] == nil { patch[key] = .null }
        if !patch.isEmpty {
            _ = try await client.resource(Node.self).patch(config.nodeName, .merge(["metadata": ["annotations": .object(patch)]]))
        }
        try await writeCondition(condition(pass))
        if pass.acted, let outcome = pass.outcome, let events {
            let message = "plan \(annotations.specPlanID ?? "-"): \(outcome.rawValue)" + (conditionDetails(pass).map { ": \($0)" } ?? "")
            await events.record(node, type: outcome == .applied ? .normal : .warning, reason: "MIGLayout\(outcome.rawValue)", message: message)
        }
        if let events, let mismatch = pass.problems.first(where: { $0.reason == MIGAgentNames.deviceIDMismatch }) {
            // Aggregated by the recorder: one Event whose count grows while the mismatch lasts.
            await events.record(node, type: .warning, reason: MIGAgentNames.deviceIDMismatch, message: mismatch.message)
        }
    }

    /// The condition for a pass: False with the first problem's reason; False with a GPU's reason
    /// when a spec could not be reached; True (`Applied`) when the GPUs equal the spec.
    func condition(_ pass: PassResult) -> NodeCondition {
        let details = conditionDetails(pass)
        if let first = pass.problems.first {
            return NodeCondition(type: MIGAgentNames.conditionType, status: "False", reason: first.reason, message: details)
        }
        let gpuReasons = gpuProblems(pass)
        if let first = gpuReasons.first {
            return NodeCondition(type: MIGAgentNames.conditionType, status: "False", reason: first.reason, message: details)
        }
        let note = pass.notes.isEmpty ? "" : " (" + pass.notes.joined(separator: "; ") + ")"
        return NodeCondition(type: MIGAgentNames.conditionType, status: "True", reason: MIGAgentNames.applied, message: "MIG devices match the spec" + note)
    }

    func gpuProblems(_ pass: PassResult) -> [(reason: String, message: String)] {
        var out: [(String, String)] = []
        for plan in pass.plans {
            if let r = pass.results.first(where: { $0.gpu == plan.gpu }), let reason = r.reason, let message = r.message {
                out.append((reason, message))
            } else if let block = plan.blocked {
                out.append((block.reason, "GPU \(plan.gpu): \(block)"))
            }
        }
        for gpu in pass.gpus where gpu.migMode == .pending && !out.contains(where: { $0.0 == MIGAgentNames.migModePendingReset }) {
            out.append((MIGAgentNames.migModePendingReset, "GPU \(gpu.index): MIG mode change is pending a GPU reset"))
        }
        return out
    }

    func conditionDetails(_ pass: PassResult) -> String? {
        let lines = pass.problems.map(\.message) + gpuProblems(pass).map(\.message) + pass.notes
        return lines.isEmpty ? nil : lines.joined(separator: "; ")
    }

    /// Sets the condition with a read-modify-write of `status` (kubelet's conditions kept);
    /// `lastTransitionTime` changes only when the status does.
    func writeCondition(_ condition: NodeCondition) async throws {
        let nodes = client.resource(Node.self)
        try await retryOnConflict {
            var node = try await nodes.get(config.nodeName)
            var status = node.status ?? NodeStatus()
            let old = status.condition(MIGAgentNames.conditionType)
            if old?.status == condition.status, old?.reason == condition.reason, old?.message == condition.message { return }
            var c = condition
            c.lastTransitionTime = old?.status == condition.status ? old?.lastTransitionTime : clock.now
            c.lastHeartbeatTime = clock.now
            status.setCondition(c)
            node.status = status
            _ = try await nodes.updateStatus(node)
        }
    }
}

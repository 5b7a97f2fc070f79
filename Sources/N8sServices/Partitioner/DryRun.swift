import Foundation
import KubeClient
import KubeCore
import N8sCore

/// `n8s plan`: the partitioner's planning step without the write, from a snapshot file or a live
/// cluster. Both inputs go through ``PlanningSnapshot`` (the partitioner's rule) and the same
/// rendering, so the same objects print the same plan.
public enum DryRun {
    /// What `n8s plan` prints for one set of objects.
    public struct Report: Sendable {
        public var plan: Plan
        public var snapshot: PlanningSnapshot
        /// Candidates (planned for, or rejected for their requests).
        public var candidates: Int
        /// Lines for standard error: an empty snapshot, no pods, no candidates.
        public var warnings: [String]
    }

    /// Plans `nodes` and `pods` as the partitioner would (no stalled nodes, no reservations: a dry
    /// run has no in-flight plans).
    public static func report(nodes: [Node], pods: [Pod], catalog: MIGCatalog, planID: String) -> Report {
        let snapshot = PlanningSnapshot(nodes: nodes, pods: pods)
        var pending: [PendingPod] = []
        var rejected: [Plan.PodOutcome] = []
        for pod in snapshot.candidates {
            do { pending.append(try PendingPod(pod)) } catch {
                rejected.append(.init(
                    namespace: pod.metadata.namespace ?? "", name: pod.metadata.name ?? "", fits: false, node: nil,
                    fitsWithoutChange: false, reason: error.description))
            }
        }
        var plan = PartitionPlanner(catalog: catalog).plan(nodes: snapshot.nodes, pods: snapshot.pods, pending: pending, planID: planID)
        plan.pods += rejected
        var warnings: [String] = []
        if nodes.isEmpty && pods.isEmpty {
            warnings.append("warning: the snapshot is empty (no nodes, no pods): nothing to plan")
        } else if nodes.isEmpty {
            warnings.append("warning: the snapshot has no nodes: nothing can be planned")
        } else if pods.isEmpty {
            warnings.append("warning: the snapshot has no pods: nothing to plan for")
        } else if snapshot.candidates.isEmpty {
            warnings.append("warning: no pod is a candidate (unbound, Pending, reported unschedulable for lack of nvidia.com/mig-* devices)")
        }
        if snapshot.nodes.isEmpty && !nodes.isEmpty {
            warnings.append("warning: no node is labelled \(MIGAnnotations.autoMIGEnabled)=true, Ready and uncordoned")
        }
        return Report(plan: plan, snapshot: snapshot, candidates: pending.count + rejected.count, warnings: warnings)
    }

    /// Lists every node and pod of the cluster behind `client` (all namespaces).
    /// - Throws: ``KubeClientError`` from the API server.
    public static func objects(from client: KubeClient) async throws -> (nodes: [Node], pods: [Pod]) {
        let nodes = try await client.resource(Node.self).list().items
        let pods = try await client.resource(Pod.self).list().items
        return (nodes, pods)
    }

    /// The human-readable table.
    public static func table(_ report: Report) -> String {
        let plan = report.plan
        var lines: [String] = []
        lines.append(
            "plan \(plan.planID): \(plan.score.fitted) of \(report.candidates) pending MIG pods fit; "
                + "\(plan.score.gpusChanged) GPU(s) change, \(plan.score.freeInstancesDestroyed) free instance(s) destroyed")
        lines.append("")
        lines.append(pad("NODE", 24) + pad("GPU", 5) + pad("FROM", 36) + pad("TO", 36) + "PLACEMENTS")
        for n in plan.nodes {
            for g in n.gpus {
                lines.append(
                    pad(n.name, 24) + pad("\(g.index)", 5) + pad(Geometries.describe(g.from), 36) + pad(Geometries.describe(g.to), 36)
                        + g.placements.map(\.description).joined(separator: ","))
            }
        }
        lines.append("")
        lines.append(pad("POD", 48) + pad("FITS", 6) + pad("NODE", 24) + "REASON")
        for p in plan.pods {
            lines.append(
                pad("\(p.namespace)/\(p.name)", 48) + pad(p.fits ? "yes" : "no", 6) + pad(p.node ?? "-", 24)
                    + (p.reason ?? (p.fitsWithoutChange ? "fits without a change" : "")))
        }
        if !report.snapshot.notConsidered.isEmpty {
            lines.append("")
            lines.append("pods not considered:")
            for (key, reason) in report.snapshot.notConsidered { lines.append("  \(key): \(reason)") }
        }
        let wholeNodes = plan.skippedNodes.filter { !$0.isPlanned }
        let gpus = plan.skippedNodes.filter(\.isPlanned)
        if !wholeNodes.isEmpty || !report.snapshot.nodesNotConsidered.isEmpty {
            lines.append("")
            lines.append("skipped nodes:")
            for (name, reason) in report.snapshot.nodesNotConsidered { lines.append("  \(name): \(reason)") }
            for s in wholeNodes { lines.append("  \(s.name): " + s.reasons.map(\.description).joined(separator: "; ")) }
        }
        if !gpus.isEmpty {
            lines.append("")
            lines.append("GPUs not planned (their nodes are):")
            for s in gpus { lines.append("  \(s.name): " + s.reasons.map(\.description).joined(separator: "; ")) }
        }
        if !plan.disagreements.isEmpty {
            lines.append("")
            lines.append("agent and node disagree:")
            for d in plan.disagreements { lines.append("  \(d.node): \(d)") }
        }
        return lines.joined(separator: "\n")
    }

    /// The plan as JSON (sorted keys).
    public static func json(_ report: Report) throws -> String {
        let plan = report.plan
        let object: [String: Any] = [
            "planId": plan.planID,
            "nodes": plan.nodes.map { n in
                [
                    "name": n.name,
                    "gpus": n.gpus.map { g in
                        ["index": g.index, "from": g.from, "to": g.to, "placements": g.placements.map(\.description)] as [String: Any]
                    },
                ] as [String: Any]
            },
            "pods": plan.pods.map { p in
                var o: [String: Any] = ["namespace": p.namespace, "name": p.name, "fits": p.fits]
                if let n = p.node { o["node"] = n }
                if let r = p.reason { o["reason"] = r } else if p.fitsWithoutChange { o["reason"] = "fits without a change" }
                return o
            },
            "podsNotConsidered": report.snapshot.notConsidered.map { ["pod": $0.pod.description, "reason": $0.reason] },
            "skippedNodes": report.snapshot.nodesNotConsidered.map { ["name": $0.node, "reasons": [$0.reason]] as [String: Any] }
                + plan.skippedNodes.filter { !$0.isPlanned }.map { ["name": $0.name, "reasons": $0.reasons.map(\.description)] as [String: Any] },
            "unplannedGPUs": plan.skippedNodes.filter(\.isPlanned).map { ["node": $0.name, "reasons": $0.reasons.map(\.description)] as [String: Any] },
            "disagreements": plan.disagreements.map {
                ["node": $0.node, "profile": $0.profile, "reportedFree": $0.reportedFree, "advertisedFree": $0.advertisedFree] as [String: Any]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

/// Reads `kubectl get nodes,pods -A -o json` (a `v1 List` of mixed kinds), or a NodeList / PodList.
public enum SnapshotReader {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    public static func read(_ data: Data) throws -> ([Node], [Pod]) {
        let root = try KubeJSON.decode(JSONValue.self, from: data)
        guard let items = root["items"]?.arrayValue else {
            throw Failure(description: "snapshot: field 'items' is missing; expected the v1 List of `kubectl get nodes,pods -A -o json`")
        }
        let listKind = root["kind"]?.stringValue ?? ""
        var nodes: [Node] = []
        var pods: [Pod] = []
        for (i, item) in items.enumerated() {
            let kind = item["kind"]?.stringValue ?? (listKind == "NodeList" ? "Node" : listKind == "PodList" ? "Pod" : "")
            do {
                switch kind {
                case "Node": nodes.append(try KubeJSON.typed(Node.self, from: item))
                case "Pod": pods.append(try KubeJSON.typed(Pod.self, from: item))
                default: continue
                }
            } catch {
                throw Failure(description: "snapshot: items[\(i)] (\(kind) \(item["metadata"]?["name"]?.stringValue ?? "?")) is malformed: \(error)")
            }
        }
        return (nodes, pods)
    }
}

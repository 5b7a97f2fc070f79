import ArgumentParser
import Foundation
import KubeCore
import N8sCore

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dry run: print the MIG plan the partitioner would apply (nothing is written)."
    )

    @Option(help: "Cluster snapshot: the output of `kubectl get nodes,pods -A -o json` (a v1 List).")
    var snapshot: String?

    @Option(help: "Plan against a live cluster through this kubeconfig (not available yet).")
    var kubeconfig: String?

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    @Option(help: "MIG catalog override file (same schema as mig-profiles.yaml).")
    var catalog: String?

    @Option(help: "Plan id to print (default: a new UUID).")
    var planID: String?

    func validate() throws {
        if kubeconfig != nil {
            throw ValidationError("--kubeconfig is not available yet: this build has no Kubernetes client; use --snapshot <file> with `kubectl get nodes,pods -A -o json`")
        }
        if snapshot == nil { throw ValidationError("give --snapshot <file>") }
    }

    func run() async throws {
        guard let snapshot else { return }
        let data = try InputFile.data(snapshot, role: "snapshot")
        let (nodes, pods): ([Node], [Pod])
        do { (nodes, pods) = try SnapshotReader.read(data) } catch let error as DecodingError {
            throw CLIError("the snapshot '\(snapshot)' is not JSON of `kubectl get nodes,pods -A -o json` (YAML is not accepted): \(Self.describe(error))")
        }
        let cat = try loadCatalog(catalog)
        var pending: [PendingPod] = []
        var rejected: [N8sCore.Plan.PodOutcome] = []
        for pod in pods where PendingPod.notCandidateReason(pod) == nil {
            do { pending.append(try PendingPod(pod)) } catch {
                rejected.append(.init(namespace: pod.metadata.namespace ?? "", name: pod.metadata.name ?? "", fits: false, node: nil, fitsWithoutChange: false, reason: error.description))
            }
        }
        var plan = PartitionPlanner(catalog: cat).plan(nodes: nodes, pods: pods, pending: pending, planID: planID ?? UUID().uuidString.lowercased())
        plan.pods += rejected
        switch output {
        case .json: print(try PlanJSON.render(plan))
        case .table: PlanTable.print(plan, candidates: pending.count + rejected.count)
        }
    }
}

extension Plan {
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let c):
            let detail = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return detail ?? c.debugDescription
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c):
            return "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// Reads `kubectl get nodes,pods -A -o json` (a `v1 List` of mixed kinds), or a NodeList / PodList.
enum SnapshotReader {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func read(_ data: Data) throws -> ([Node], [Pod]) {
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

enum PlanJSON {
    static func render(_ plan: N8sCore.Plan) throws -> String {
        let object: [String: Any] = [
            "planId": plan.planID,
            "nodes": plan.nodes.map { n in
                ["name": n.name, "gpus": n.gpus.map { g in
                    ["index": g.index, "from": g.from, "to": g.to, "placements": g.placements.map(\.description)] as [String: Any]
                }] as [String: Any]
            },
            "pods": plan.pods.map { p in
                var o: [String: Any] = ["namespace": p.namespace, "name": p.name, "fits": p.fits]
                if let n = p.node { o["node"] = n }
                if let r = p.reason { o["reason"] = r } else if p.fitsWithoutChange { o["reason"] = "fits without a change" }
                return o
            },
            "skippedNodes": plan.skippedNodes.map { ["name": $0.name, "reasons": $0.reasons.map(\.description)] as [String: Any] },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

enum PlanTable {
    static func print(_ plan: N8sCore.Plan, candidates: Int) {
        Swift.print("plan \(plan.planID): \(plan.score.fitted) of \(candidates) pending MIG pods fit; \(plan.score.gpusChanged) GPU(s) change, \(plan.score.freeInstancesDestroyed) free instance(s) destroyed")
        Swift.print("")
        Swift.print(pad("NODE", 24) + pad("GPU", 5) + pad("FROM", 36) + pad("TO", 36) + "PLACEMENTS")
        for n in plan.nodes {
            for g in n.gpus {
                Swift.print(pad(n.name, 24) + pad("\(g.index)", 5) + pad(N8sCore.Geometries.describe(g.from), 36) + pad(N8sCore.Geometries.describe(g.to), 36)
                    + g.placements.map(\.description).joined(separator: ","))
            }
        }
        Swift.print("")
        Swift.print(pad("POD", 48) + pad("FITS", 6) + pad("NODE", 24) + "REASON")
        for p in plan.pods {
            Swift.print(pad("\(p.namespace)/\(p.name)", 48) + pad(p.fits ? "yes" : "no", 6) + pad(p.node ?? "-", 24)
                + (p.reason ?? (p.fitsWithoutChange ? "fits without a change" : "")))
        }
        if !plan.skippedNodes.isEmpty {
            Swift.print("")
            Swift.print("skipped nodes:")
            for s in plan.skippedNodes { Swift.print("  \(s.name): " + s.reasons.map(\.description).joined(separator: "; ")) }
        }
    }
}

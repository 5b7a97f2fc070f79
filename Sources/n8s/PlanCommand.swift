import ArgumentParser
import Foundation
import KubeCore
import KubeClient
import N8sCore
import N8sServices

/// `n8s plan`: the partitioner's planning step as a dry run (nothing is written).
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Dry run: print the MIG plan the partitioner would apply (nothing is written).",
        discussion: """
            Reads a snapshot file, or lists nodes and pods of a live cluster (--kubeconfig, KUBECONFIG,
            the in-cluster config, then ~/.kube/config). Both go through the partitioner's snapshot
            rule and print the same plan for the same objects. RBAC for a live cluster: list nodes
            and pods in all namespaces. Warnings (an empty snapshot, no candidate pods) go to stderr.
            """
    )

    @Option(help: "Cluster snapshot: the output of `kubectl get nodes,pods -A -o json` (a v1 List).")
    var snapshot: String?

    @Option(help: "Plan against a live cluster through this kubeconfig (without --snapshot, the default chain is used).")
    var kubeconfig: String?

    @Option(help: "kubeconfig context (default: the current one).")
    var context: String?

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    @Option(help: "MIG catalog override file (same schema as mig-profiles.yaml).")
    var catalog: String?

    @Option(help: "Plan id to print (default: a new UUID).")
    var planID: String?

    func validate() throws {
        if snapshot != nil && (kubeconfig != nil || context != nil) {
            throw ValidationError("give either --snapshot <file> or a live cluster (--kubeconfig, --context), not both")
        }
    }

    func run() async throws {
        let (nodes, pods): ([Node], [Pod])
        if let snapshot {
            let data = try InputFile.data(snapshot, role: "snapshot")
            do { (nodes, pods) = try SnapshotReader.read(data) } catch let error as DecodingError {
                throw CLIError("the snapshot '\(snapshot)' is not JSON of `kubectl get nodes,pods -A -o json` (YAML is not accepted): \(Self.describe(error))")
            }
        } else {
            let cluster: ClusterConfig
            do { cluster = try ClusterConfig.load(kubeconfig: kubeconfig, context: context) } catch {
                throw CLIError("cannot reach a cluster (give --snapshot <file> to plan offline): \(error)")
            }
            (nodes, pods) = try await KubeClient.withHTTP(config: cluster) { try await DryRun.objects(from: $0) }
        }
        let report = DryRun.report(nodes: nodes, pods: pods, catalog: try loadCatalog(catalog), planID: planID ?? UUID().uuidString.lowercased())
        for warning in report.warnings { Console.error(warning) }
        switch output {
        case .json: print(try DryRun.json(report))
        case .table: print(DryRun.table(report))
        }
    }
}

extension PlanCommand {
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


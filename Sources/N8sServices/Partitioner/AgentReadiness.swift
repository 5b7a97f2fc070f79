import Foundation
import KubeCore

/// Whether a node's MIG agent can act on a plan, read from its node condition `N8sMigAgent`
/// (design.md section 3). Pure.
///
/// The partitioner plans a node only while its agent can act. The condition's reason decides:
///
/// - **True**, or **absent** (an agent that has not written it yet; its placement report, or the
///   lack of one, decides): plannable.
/// - **False** with a reason in ``transientReasons``: plannable. These describe one plan or one GPU,
///   not the node: `Applying` (a change is under way), `ApplyFailed` and `Unreachable` (the last
///   plan failed; the partitioner backs off per node on the `Failed` echo instead), `MigDisabled`
///   and `MigModePendingReset` (per GPU: the agent's `status-gpu-<i>-mig-mode` report already keeps
///   exactly those GPUs out of planning, and the node's other GPUs stay plannable).
/// - **False** (or **Unknown**) with any other reason: **not planned** until the condition changes.
///   The known ones need a person: `NVMLUnavailable` (no driver library, or the agent cannot
///   open it), `PodResourcesUnavailable` (the kubelet socket is not mounted or not answering: the
///   agent cannot see which devices are in use), `ForeignManager` (NVIDIA's MIG Manager runs on
///   the node), `WrongMigStrategy` (the device plugin does not run `mixed`), `CatalogMismatch` (the
///   MIG catalog the partitioner plans with disagrees with NVML), `DeviceIDMismatch` (the kubelet
///   reports device IDs that are no NVML MIG UUIDs, e.g. `deviceIDStrategy=index`) and `DryRun`
///   (the agent never acts). A reason this partitioner does not know is treated the same way:
///   when it cannot be sure the agent can act, it plans nothing there (fail closed).
public enum AgentReadiness {
    /// The agent's condition type.
    public static let conditionType = "N8sMigAgent"

    /// Reasons of a False `N8sMigAgent` that do not stop planning the node (see the type's documentation).
    public static let transientReasons: Set<String> = ["Applying", "ApplyFailed", "Unreachable", "MigDisabled", "MigModePendingReset"]

    /// Why the agent cannot act: its condition's reason and message.
    public struct Block: Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var message: String

        public var description: String {
            "the MIG agent reports \(AgentReadiness.conditionType)=False (\(reason))" + (message.isEmpty ? "" : ": \(message)")
        }
    }

    /// `nil` when `node`'s agent can act (or has not said otherwise); else its reason and message.
    public static func block(of node: Node) -> Block? {
        guard let c = node.status?.condition(conditionType), c.status != "True" else { return nil }
        let reason = c.reason ?? "Unknown"
        if c.status == "False", transientReasons.contains(reason) { return nil }
        return Block(reason: reason, message: c.message ?? "")
    }
}

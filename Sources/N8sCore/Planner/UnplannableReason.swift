/// Why a node, or one GPU of it, is left out of planning. ``conditionReason`` is the reason of
/// the node condition `N8sMigPlanner` (design.md section 3).
public enum UnplannableReason: Sendable, Hashable, CustomStringConvertible {
    case notLabelled
    case notReady
    case cordoned
    /// The agent wrote no `status-gpu-<i>-placements` for any GPU.
    case noPlacementReport
    case unknownModel(product: String)
    /// `gpu.product` ends in `-MIG-<profile>`: the device plugin runs the `single` strategy.
    case singleStrategy(product: String)
    /// The node is labelled `nvidia.com/mig.strategy` with another value than `mixed`.
    case strategyLabel(String)
    /// The catalog lacks the placement grid of the model.
    case modelWithoutPlacements(model: String)
    case migDisabled(gpu: Int)
    case migModePending(gpu: Int)
    case malformedAnnotations(String)
    /// The GPU's reported layout breaks the model's rules (e.g. overlapping instances).
    case invalidLayout(gpu: Int, String)

    public var conditionReason: String {
        switch self {
        case .notLabelled: "NotLabelled"
        case .notReady: "NotReady"
        case .cordoned: "Cordoned"
        case .noPlacementReport: "NoPlacementReport"
        case .unknownModel, .modelWithoutPlacements: "UnknownModel"
        case .singleStrategy, .strategyLabel: "WrongMigStrategy"
        case .migDisabled: "MigDisabled"
        case .migModePending: "MigModePendingReset"
        case .malformedAnnotations: "MalformedAnnotations"
        case .invalidLayout: "InvalidLayout"
        }
    }

    public var description: String {
        switch self {
        case .notLabelled: "node is not labelled \(MIGAnnotations.autoMIGEnabled)=true"
        case .notReady: "node is not Ready"
        case .cordoned: "node is cordoned (spec.unschedulable)"
        case .noPlacementReport: "the MIG agent has not reported placements (status-gpu-<index>-placements)"
        case .unknownModel(let p): "GPU model '\(p)' is not in the MIG catalog"
        case .singleStrategy(let p): "GPU product '\(p)' shows the device plugin's 'single' MIG strategy; n8s requires 'mixed'"
        case .strategyLabel(let v):
            "node label \(MIGAnnotations.migStrategyLabel) is '\(v)'; n8s requires 'mixed' (one resource per MIG profile)"
        case .modelWithoutPlacements(let m): "the MIG catalog does not know the placements of model '\(m)'"
        case .migDisabled(let g): "GPU \(g) has MIG disabled"
        case .migModePending(let g): "GPU \(g) has a MIG mode change pending a reset"
        case .malformedAnnotations(let m): "malformed annotations: \(m)"
        case .invalidLayout(let g, let m): "GPU \(g) reports an invalid layout: \(m)"
        }
    }
}

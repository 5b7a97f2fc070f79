/// Label and annotation keys of design.md section 3 (prefix `n8s.nebuly.ai/`), and the patterns
/// that parse them. Keys carry profiles in resource-name form (`+` → `.`), and are parsed with
/// anchored patterns, never by splitting on `-` (profiles such as `1g.24gb-me` contain dashes).
public enum MIGAnnotations {
    public static let prefix = "n8s.nebuly.ai/"
    /// Node label opting in to automatic partitioning (value `"true"`).
    public static let autoMIGEnabled = "n8s.nebuly.ai/auto-mig-enabled"
    /// Agent: id of the last plan it acted on.
    public static let statusPartitioningPlan = "n8s.nebuly.ai/status-partitioning-plan"
    /// Agent: `Applied`, `PartiallyApplied` or `Failed`.
    public static let statusPartitioningOutcome = "n8s.nebuly.ai/status-partitioning-outcome"
    /// Agent: hash of the spec annotations it acted on.
    public static let statusPartitioningSpecHash = "n8s.nebuly.ai/status-partitioning-spec-hash"
    /// Partitioner: opaque, unique id of the plan in the spec annotations.
    public static let specPartitioningPlan = "n8s.nebuly.ai/spec-partitioning-plan"
    /// GPU Feature Discovery's product label (fallback for the per-GPU model report).
    public static let gpuProductLabel = "nvidia.com/gpu.product"
    /// GPU Feature Discovery's MIG strategy label (`single` or `mixed`).
    public static let migStrategyLabel = "nvidia.com/mig.strategy"

    /// `n8s.nebuly.ai/status-gpu-<index>-<profile>-free` (profile in resource form).
    public static func statusFree(gpu: Int, profile: String) -> String {
        "\(prefix)status-gpu-\(gpu)-\(MIGProfile.resourceForm(of: profile))-free"
    }
    /// `n8s.nebuly.ai/status-gpu-<index>-<profile>-used` (profile in resource form).
    public static func statusUsed(gpu: Int, profile: String) -> String {
        "\(prefix)status-gpu-\(gpu)-\(MIGProfile.resourceForm(of: profile))-used"
    }
    /// `n8s.nebuly.ai/status-gpu-<index>-placements`: `<profile>@<start>:<used|free>,...`.
    public static func statusPlacements(gpu: Int) -> String { "\(prefix)status-gpu-\(gpu)-placements" }
    /// `n8s.nebuly.ai/status-gpu-<index>-model`: `gpu.product` form, e.g. `NVIDIA-H100-80GB-HBM3`.
    public static func statusModel(gpu: Int) -> String { "\(prefix)status-gpu-\(gpu)-model" }
    /// `n8s.nebuly.ai/status-gpu-<index>-mig-mode`: `enabled`, `disabled` or `pending`.
    public static func statusMIGMode(gpu: Int) -> String { "\(prefix)status-gpu-\(gpu)-mig-mode" }
    /// `n8s.nebuly.ai/spec-gpu-<index>-<profile>`: count (profile in resource form).
    public static func specCount(gpu: Int, profile: String) -> String {
        "\(prefix)spec-gpu-\(gpu)-\(MIGProfile.resourceForm(of: profile))"
    }
    /// `n8s.nebuly.ai/spec-gpu-<index>-placements`: `<profile>@<start>,...`.
    public static func specPlacements(gpu: Int) -> String { "\(prefix)spec-gpu-\(gpu)-placements" }

    /// `1g.10gb.me` → `1g.10gb+me`: the first `.` after `<g>g.<n>gb` becomes `+`; `-me` is kept.
    public static func nvidiaName(fromResourceForm form: String) -> String {
        guard let parsed = ProfileGrammar.parse(form[...]), parsed.suffix.first == "." else { return form }
        return String(form[..<parsed.suffix.startIndex]) + "+" + parsed.suffix.dropFirst()
    }
}

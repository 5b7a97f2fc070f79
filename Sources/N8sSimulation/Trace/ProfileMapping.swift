import N8sCore

/// How trace GPU requests become MIG requests on one GPU model.
///
/// - A GPU-sharing pod (`num_gpu` 1, `gpu_milli` 1...999) gets one device of the smallest base
///   profile whose compute share (compute slices ÷ the model's compute slices) is at least
///   `gpu_milli / 1000`, and, with ``coversMemory``, whose memory share (placement units ÷ grid
///   units) is too. "Smallest" orders by compute slices, then memory units. On H100-80GB:
///   ≤ 142 → `1g.10gb`, ≤ 285 → `2g.20gb`, ≤ 428 → `3g.40gb`, ≤ 571 → `4g.40gb`, else `7g.80gb`.
/// - An ``Override`` whose `gpu_milli` range contains the request wins over that rule.
/// - A whole-GPU pod (`num_gpu` N ≥ 1 with `gpu_milli` 1000) gets N devices of the full-GPU
///   profile (`7g.80gb`): under the device plugin's `mixed` strategy a GPU in MIG mode is
///   advertised only as MIG devices, and the full profile is the whole GPU.
/// - A CPU-only pod (`num_gpu` 0) is kept without GPU request when ``keepsCPUOnly``, else dropped.
public struct ProfileMapping: Sendable {
    /// A fixed choice for a range of `gpu_milli` (inclusive bounds).
    public struct Override: Sendable, Hashable {
        public var milli: ClosedRange<Int>
        /// NVIDIA profile name.
        public var profile: String
    }

    public let model: GPUModel
    public var coversMemory: Bool
    public var keepsCPUOnly: Bool
    public private(set) var overrides: [Override]
    /// Base placeable profiles, smallest first.
    let candidates: [MIGProfile]
    public let fullProfile: MIGProfile

    /// - Throws: ``SimulationError/invalidField(field:reason:)`` (field `mapping`) when the model
    ///   has no full-GPU profile or an override names an unknown profile.
    public init(model: GPUModel, coversMemory: Bool = false, keepsCPUOnly: Bool = false, overrides: [Override] = []) throws(SimulationError) {
        guard let full = model.fullGPUProfile, let grid = model.gridSize, grid > 0 else {
            throw .invalidField(field: "mapping", reason: "GPU model \(model.id) has no full-GPU profile in the catalog")
        }
        self.model = model
        self.coversMemory = coversMemory
        self.keepsCPUOnly = keepsCPUOnly
        self.fullProfile = full
        candidates = model.placeableProfiles().sorted { ($0.computeSlices, $0.placementSize ?? 0, $0.name) < ($1.computeSlices, $1.placementSize ?? 0, $1.name) }
        self.overrides = []
        for o in overrides {
            guard let p = model.profile(named: o.profile), p.isPlaceable else {
                throw .invalidField(field: "mapping", reason: "unknown MIG profile '\(o.profile)' for \(model.id)")
            }
            self.overrides.append(Override(milli: o.milli, profile: p.name))
        }
    }

    /// Parses overrides written `lo-hi=profile,...`, e.g. `1-250=2g.20gb,251-500=3g.40gb`.
    /// - Throws: ``SimulationError/invalidField(field:reason:)`` naming `--map`.
    public static func overrides(parsing text: String) throws(SimulationError) -> [Override] {
        var out: [Override] = []
        for part in text.split(separator: ",") {
            let sides = part.split(separator: "=")
            let bounds = sides.first?.split(separator: "-") ?? []
            guard sides.count == 2, bounds.count == 2, let lo = Int(bounds[0]), let hi = Int(bounds[1]), 0 <= lo, lo <= hi, hi <= 1000 else {
                throw .invalidField(field: "--map", reason: "'\(part)' is not lo-hi=profile with 0 ≤ lo ≤ hi ≤ 1000 (e.g. 1-250=2g.20gb)")
            }
            out.append(Override(milli: lo...hi, profile: String(sides[1])))
        }
        return out
    }

    /// The profile for a sharing request of `milli` thousandths of a GPU (1...999).
    public func profile(forMilli milli: Int) -> MIGProfile {
        if let o = overrides.first(where: { $0.milli.contains(milli) }), let p = model.profile(named: o.profile) { return p }
        let share = Double(milli) / 1000
        let grid = Double(model.gridSize ?? 1)
        return candidates.first { p in
            Double(p.computeSlices) / Double(model.computeSlices) >= share
                && (!coversMemory || Double(p.placementSize ?? 0) / grid >= share)
        } ?? fullProfile
    }

    /// The scenario request of one trace pod; `nil` when the pod is dropped (CPU-only, not kept).
    /// - Throws: ``SimulationError/invalidTrace(file:line:column:reason:)`` for a combination that
    ///   is neither CPU-only, sharing nor whole-GPU (e.g. `num_gpu` 2 with `gpu_milli` 500).
    public func request(for pod: TracePod, file: String = "pods.csv") throws(SimulationError) -> Scenario.GPURequest? {
        switch (pod.numGPU, pod.gpuMilli) {
        case (0, 0): return keepsCPUOnly ? Scenario.GPURequest.cpuOnly : nil
        case (1, 1...999): return .mig(profile: profile(forMilli: pod.gpuMilli).name, count: 1)
        case (1...64, 1000): return .wholeGPUs(count: pod.numGPU, fullProfile: fullProfile.name)
        default:
            throw .invalidTrace(file: file, line: pod.line, column: "gpu_milli",
                                reason: "num_gpu \(pod.numGPU) with gpu_milli \(pod.gpuMilli) is neither CPU-only (0, 0), sharing (1, 1...999) nor whole GPUs (1...64, 1000)")
        }
    }

    /// The rule as text, one line per profile: `gpu_milli 1-142 → 1g.10gb`, then overrides and whole GPUs.
    public var rules: [String] {
        var lines: [String] = []
        var start = 1
        var current = profile(forMilli: 1).name
        for milli in 2...1000 {
            let name = milli == 1000 ? "" : profile(forMilli: milli).name
            if name != current {
                lines.append("gpu_milli \(start)-\(milli - 1) → \(current)")
                (start, current) = (milli, name)
            }
        }
        lines.append("num_gpu N, gpu_milli 1000 → N × \(fullProfile.name)")
        lines.append("num_gpu 0 → \(keepsCPUOnly ? "kept, no GPU" : "dropped")")
        return lines
    }
}

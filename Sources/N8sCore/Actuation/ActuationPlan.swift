/// Why the agent leaves a GPU as it is (the GPU's share of the `N8sMigAgent` condition).
public enum GPUBlock: Sendable, Hashable, CustomStringConvertible {
    /// MIG is disabled: n8s never changes the mode (the admin enables it).
    case migDisabled
    /// A MIG-mode change waits for a GPU reset (C03): nothing is created until it happens.
    case migModePendingReset
    /// The GPU has no MIG support at all.
    case notMIGCapable
    /// NVML reports no placeable profile.
    case noPlacementRules
    /// The spec's layout breaks NVML's rules (placement, overlap, maximum count, compute).
    case invalidSpec(String)
    /// The spec does not keep these used or reserved instances where they are.
    case wouldDestroyUsed([PlacedInstance])

    /// The condition reason of design.md section 3.
    public var reason: String {
        switch self {
        case .migDisabled, .notMIGCapable: "MigDisabled"
        case .migModePendingReset: "MigModePendingReset"
        case .noPlacementRules, .invalidSpec, .wouldDestroyUsed: "Unreachable"
        }
    }

    public var description: String {
        switch self {
        case .migDisabled: "MIG mode is disabled"
        case .migModePendingReset: "MIG mode change is pending a GPU reset"
        case .notMIGCapable: "the GPU does not support MIG"
        case .noPlacementRules: "NVML reports no placeable MIG profile"
        case .invalidSpec(let why): "the spec is not allowed by NVML: \(why)"
        case .wouldDestroyUsed(let used): "the spec does not keep the used instances \(used.map(\.description).joined(separator: ","))"
        }
    }
}

/// One NVML mutation group of a plan.
public enum ActuationStep: Sendable, Hashable, CustomStringConvertible {
    /// Destroy a free instance (its compute instances, then the GPU instance).
    case destroy(ObservedInstance)
    /// Give an orphan GPU instance that the target keeps its compute instance.
    case completeOrphan(ObservedInstance)
    /// Create a GPU instance at an explicit placement, then its compute instance.
    case create(PlacedInstance)

    public var description: String {
        switch self {
        case .destroy(let i): "destroy \(i.placed) (GI \(i.gpuInstanceID))"
        case .completeOrphan(let i): "add a compute instance to \(i.placed) (GI \(i.gpuInstanceID))"
        case .create(let p): "create \(p)"
        }
    }
}

/// What the agent will do to one GPU.
public struct GPUActuationPlan: Sendable, Hashable {
    public var gpu: Int
    /// The layout the steps reach: the spec's, or, when blocked or without spec, the current one
    /// (orphans removed; the full-GPU profile when it would otherwise be empty).
    public var target: [PlacedInstance]
    public var steps: [ActuationStep]
    /// Set when the spec cannot be applied; the steps then only clean orphans (never a used instance).
    public var blocked: GPUBlock?
    /// `true` when a spec was given for this GPU.
    public var hasSpec: Bool

    /// `true` when nothing needs to change.
    public var isNoop: Bool { steps.isEmpty }
}

/// The pure core of the actuator: what to destroy and create on one GPU. No I/O, no clock.
public enum ActuationPlanner {
    /// Plans one GPU.
    ///
    /// Rules (design.md section 4): a GPU is changed only when the whole spec is a valid layout by
    /// NVML's rules and keeps every used instance (``ObservedInstance/isUsed``) at its start;
    /// otherwise it is left as it is (``GPUActuationPlan/blocked``). Free instances not in the
    /// target are destroyed first; missing ones are created at the spec's starts, largest first.
    /// Orphan GPU instances (no compute instance) are completed when the target has them and
    /// destroyed otherwise. A MIG-enabled GPU is never left empty: an empty spec, or an empty GPU
    /// without spec, gets the full-GPU profile. GPUs with MIG disabled or pending are never touched.
    /// - Parameter spec: the spec's placements for this GPU; `nil` when the spec has none.
    public static func plan(_ gpu: ObservedGPU, spec: [PlacedInstance]?) -> GPUActuationPlan {
        let current = gpu.layout
        func untouched(_ block: GPUBlock?) -> GPUActuationPlan {
            GPUActuationPlan(gpu: gpu.index, target: current, steps: [], blocked: block, hasSpec: spec != nil)
        }
        guard gpu.isMIGCapable else { return untouched(spec == nil ? nil : .notMIGCapable) }
        switch gpu.migMode {
        case .pending: return untouched(.migModePendingReset)
        case .disabled: return untouched(spec == nil ? nil : .migDisabled)
        case .enabled: break
        }
        guard let model = NVMLModel.model(id: "gpu-\(gpu.index)", product: gpu.product, profiles: gpu.profiles),
            let space = try? LayoutSpace(model)
        else { return untouched(.noPlacementRules) }
        let full = model.fullGPUProfile.map { [PlacedInstance($0.name, at: 0)] } ?? []
        let fallback = current.isEmpty ? full : current
        var block: GPUBlock?
        var target = fallback
        if var wanted = spec {
            if wanted.isEmpty { wanted = full }
            let used = gpu.instances.filter { $0.isUsed && !$0.isOrphan }.map(\.placed)
            var remaining = wanted
            var lost: [PlacedInstance] = []
            for u in used {
                if let i = remaining.firstIndex(of: u) { remaining.remove(at: i) } else { lost.append(u) }
            }
            do {
                try space.validate(wanted)
                if lost.isEmpty { target = wanted } else { block = .wouldDestroyUsed(lost.sorted()) }
            } catch {
                block = .invalidSpec(error.description)
            }
        }
        return GPUActuationPlan(gpu: gpu.index, target: target.sorted(), steps: steps(gpu, to: target, space: space), blocked: block, hasSpec: spec != nil)
    }

    /// Steps from the GPU's instances to `target`: destroys, orphan completions, then creates
    /// (largest placement first, then by start). Used instances are always in `target` here.
    static func steps(_ gpu: ObservedGPU, to target: [PlacedInstance], space: LayoutSpace) -> [ActuationStep] {
        var missing = target
        var destroys: [ActuationStep] = []
        var completions: [ActuationStep] = []
        // Instances with a device first, so an orphan never takes the place of a working twin.
        for instance in gpu.instances.sorted(by: { ($0.isOrphan ? 1 : 0) < ($1.isOrphan ? 1 : 0) }) {
            if let i = missing.firstIndex(of: instance.placed) {
                missing.remove(at: i)
                if instance.isOrphan { completions.append(.completeOrphan(instance)) }
            } else {
                destroys.append(.destroy(instance))
            }
        }
        let size = { (p: PlacedInstance) in space.model.profile(named: p.profile)?.placementSize ?? 0 }
        let creates = missing.sorted { (size($0), -$0.start) > (size($1), -$1.start) }.map(ActuationStep.create)
        return destroys + completions + creates
    }
}

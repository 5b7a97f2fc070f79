import N8sCore

/// What happened to one GPU.
public struct GPUActuationResult: Sendable, Hashable {
    public var gpu: Int
    public var plan: GPUActuationPlan
    /// The GPU as NVML reads back after the steps (the truth, not the calls' return codes: C02).
    public var after: ObservedGPU
    /// The first failure (an NVML error, or the read-back disagreeing with the target).
    public var failure: String?
    /// Instances the rollback removed again after a failure.
    public var rolledBack: [PlacedInstance]

    /// `true` when the read-back equals the spec (no orphans) and the GPU was not blocked.
    public var reachedSpec: Bool { plan.blocked == nil && failure == nil }
    /// The condition reason for this GPU when it did not reach its spec.
    public var reason: String? {
        if let b = plan.blocked { return b.reason }
        return failure == nil ? nil : "ApplyFailed"
    }
    public var message: String? {
        if let b = plan.blocked { return "GPU \(gpu): \(b)" }
        return failure.map { "GPU \(gpu): \($0)" }
    }
}

/// Runs a ``GPUActuationPlan`` on an open NVML session, then reads back.
///
/// On an NVML failure it stops, destroys only the instances it created in this run (C07), and
/// if that leaves the MIG-enabled GPU empty, creates the full-GPU profile (C04). It never
/// destroys an instance the plan did not list (used ones never are).
public struct GPUActuator: Sendable {
    /// Called before every NVML mutation; a throw aborts the run at once, with no rollback (the
    /// property tests use it to kill the agent at a random step; production passes nothing).
    public var beforeMutation: @Sendable () throws -> Void

    public init(beforeMutation: @escaping @Sendable () throws -> Void = {}) { self.beforeMutation = beforeMutation }

    /// - Throws: only what ``beforeMutation`` throws, and the read-back's ``NVMLError``.
    public func apply(_ plan: GPUActuationPlan, on gpu: ObservedGPU, session: any NVMLSession) throws -> GPUActuationResult {
        var created: [UInt32] = []
        var failure: String?
        let ids = Self.profileIDs(gpu)
        do {
            for step in plan.steps {
                switch step {
                case .destroy(let instance):
                    try destroy(gpu.index, instance.gpuInstanceID, computeInstances: instance.computeInstanceIDs, session)
                case .completeOrphan(let instance):
                    try beforeMutation()
                    _ = try session.createComputeInstance(gpu.index, gpuInstance: instance.gpuInstanceID)
                case .create(let placed):
                    guard let id = ids[placed.profile] else { throw NVMLError.invalidRequest("profile \(placed.profile) is unknown to NVML") }
                    try beforeMutation()
                    let gi = try session.createGPUInstance(gpu.index, profileID: id, start: placed.start)
                    created.append(gi)
                    try beforeMutation()
                    _ = try session.createComputeInstance(gpu.index, gpuInstance: gi)
                }
            }
        } catch let error as NVMLError {
            failure = error.description
        }
        var rolledBack: [PlacedInstance] = []
        if failure != nil {
            rolledBack = try rollBack(gpu.index, created: created, session)
            try keepNonEmpty(gpu, ids: ids, session)
        }
        let after = try ObservedGPU.read(gpu.index, from: session)
        if failure == nil, after.layout != plan.target || after.instances.contains(where: \.isOrphan) {
            failure = "read-back differs from the target: NVML shows [\(after.layout.map(\.description).joined(separator: ","))], expected [\(plan.target.map(\.description).joined(separator: ","))]"
        }
        return GPUActuationResult(gpu: gpu.index, plan: plan, after: after, failure: failure, rolledBack: rolledBack)
    }

    /// Runs `plan` with a check before every destroy: `beforeDestroy` gets the instance about to
    /// go and those this run already destroyed, and returns why to stop (what is used changed), or
    /// `nil` to go on. Destroys run one per NVML session so the check can wait on the kubelet and
    /// the API in between; the creates then run as in ``apply(_:on:session:)``. On a stop or an
    /// NVML failure no further instance is touched, except that a MIG-enabled GPU left empty gets
    /// the full-GPU profile (C04).
    /// - Throws: what `beforeDestroy` and ``beforeMutation`` throw, and the read-back's ``NVMLError``.
    public func apply(
        _ plan: GPUActuationPlan, on gpu: ObservedGPU, nvml: any NVMLLibrary,
        beforeDestroy: (_ instance: ObservedInstance, _ destroyed: [ObservedInstance]) async throws -> String?
    ) async throws -> GPUActuationResult {
        var destroyed: [ObservedInstance] = []
        for step in plan.steps {
            guard case .destroy(let instance) = step else { continue }
            var failure = try await beforeDestroy(instance, destroyed)
            if failure == nil {
                do {
                    try nvml.withSession { session in try destroy(gpu.index, instance.gpuInstanceID, computeInstances: instance.computeInstanceIDs, session) }
                    destroyed.append(instance)
                    continue
                } catch let error as NVMLError { failure = error.description }
            }
            return try nvml.withSession { session in
                try keepNonEmpty(gpu, ids: Self.profileIDs(gpu), session)
                let after = try ObservedGPU.read(gpu.index, from: session)
                return GPUActuationResult(gpu: gpu.index, plan: plan, after: after, failure: failure, rolledBack: [])
            }
        }
        var rest = plan
        rest.steps = plan.steps.filter { if case .destroy = $0 { false } else { true } }
        var result = try nvml.withSession { session in try apply(rest, on: gpu, session: session) }
        result.plan = plan
        return result
    }

    static func profileIDs(_ gpu: ObservedGPU) -> [String: UInt32] {
        Dictionary(gpu.profiles.map { ($0.name, $0.id) }, uniquingKeysWith: { a, _ in a })
    }

    /// Compute instances, then the GPU instance; NOT_FOUND counts as already gone.
    func destroy(_ gpu: Int, _ gi: UInt32, computeInstances: [UInt32], _ session: any NVMLSession) throws {
        for ci in computeInstances {
            try beforeMutation()
            try Self.ignoringNotFound { () throws(NVMLError) in try session.destroyComputeInstance(gpu, gpuInstance: gi, computeInstance: ci) }
        }
        try beforeMutation()
        try Self.ignoringNotFound { () throws(NVMLError) in try session.destroyGPUInstance(gpu, gpuInstance: gi) }
    }

    static func ignoringNotFound(_ body: () throws(NVMLError) -> Void) throws(NVMLError) {
        do { try body() } catch { if !error.isNotFound { throw error } }
    }

    /// Destroys the GPU instances created in this run (best effort; the next run cleans the rest).
    func rollBack(_ gpu: Int, created: [UInt32], _ session: any NVMLSession) throws -> [PlacedInstance] {
        guard !created.isEmpty else { return [] }
        let present = (try? session.gpuInstances(gpu)) ?? []
        var removed: [PlacedInstance] = []
        for id in created.reversed() {
            guard let gi = present.first(where: { $0.id == id }) else { continue }
            do {
                try destroy(gpu, id, computeInstances: gi.computeInstances.map(\.id), session)
                removed.append(PlacedInstance("GI \(id)", at: gi.start))
            } catch is NVMLError { continue }
        }
        return removed
    }

    /// C04: a MIG-enabled GPU left without instances gets the full-GPU profile.
    func keepNonEmpty(_ gpu: ObservedGPU, ids: [String: UInt32], _ session: any NVMLSession) throws {
        guard let now = try? ObservedGPU.read(gpu.index, from: session), now.migMode == .enabled else { return }
        for orphan in now.instances where orphan.isOrphan {
            try? destroy(gpu.index, orphan.gpuInstanceID, computeInstances: [], session)
        }
        guard now.instances.allSatisfy(\.isOrphan),
            let model = NVMLModel.model(id: "gpu", product: gpu.product, profiles: gpu.profiles),
            let full = model.fullGPUProfile, let id = ids[full.name]
        else { return }
        try beforeMutation()
        guard let gi = try? session.createGPUInstance(gpu.index, profileID: id, start: 0) else { return }
        try beforeMutation()
        _ = try? session.createComputeInstance(gpu.index, gpuInstance: gi)
    }
}

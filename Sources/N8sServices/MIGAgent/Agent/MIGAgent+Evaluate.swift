import Foundation
import KubeClient
import KubeCore
import N8sCore

extension MIGAgent {
    /// Observation of NVML plus what is used, with every instance's `isUsed` set.
    struct Observation {
        var gpus: [ObservedGPU]
        var usage: UsageSnapshot
        var allocatable: Set<String>?
    }

    /// Checks, reads, plans and (when needed and allowed) acts. Never throws for NVML or the
    /// kubelet: those become problems in the result.
    func evaluate(_ node: Node) async throws -> PassResult {
        var pass = PassResult(requeue: config.reportInterval)
        let annotations = NodeMIGAnnotations(parsing: node.metadata.annotations ?? [:])
        let hasPlan = annotations.specPlanID != nil
        pass.problems += try await prerequisiteProblems(node)
        let blocking = !pass.problems.isEmpty
        let observation: Observation
        do {
            observation = try await observe(specs: specs(annotations), notes: &pass.notes)
        } catch let error as NVMLError where error.isUnavailable {
            if memory.firstTime(\.saidUnavailable) {
                logger.error("NVML is unavailable; reporting only", metadata: ["error": "\(error)"])
            }
            pass.problems.insert((MIGAgentNames.nvmlUnavailable, error.description), at: 0)
            if hasPlan { pass.outcome = .failed }
            return pass
        } catch let error as MIGAgentError {
            pass.problems.append((error.conditionReason, error.description))
            if hasPlan { pass.outcome = .failed }
            if case .deviceIDMismatch = error {
                // Needs a person (the device plugin's config): retried with backoff, not every period.
                pass.requeue = recordFailure(for: Self.deviceIDRetryKey)
            }
            return pass
        } catch let error as NVMLError {
            pass.problems.append((MIGAgentNames.applyFailed, error.description))
            if hasPlan { pass.outcome = .failed }
            return pass
        }
        memory.state.withLock { _ = $0.failures.removeValue(forKey: Self.deviceIDRetryKey) }
        let mismatched = catalogMismatches(observation.gpus, problems: &pass.problems)
        let specs = specs(annotations, gpus: observation.gpus)
        pass.plans = plans(observation.gpus, specs: specs, skipping: mismatched)
        pass.gpus = observation.gpus
        let needsChange = pass.plans.contains { !$0.isNoop }
        let specHash = NodeMIGAnnotations.specHash(of: node.metadata.annotations ?? [:])

        if !needsChange || blocking {
            if DevicePluginController.isPausedByUs(node), !config.dryRun { try? await plugin.restoreLabel() }
            if hasPlan { pass.outcome = blocking ? .failed : outcome(pass.plans, results: []) }
            return pass
        }
        if config.dryRun {
            let steps = pass.plans.flatMap { p in p.steps.map { "GPU \(p.gpu): \($0)" } }
            pass.notes.append("dry run, would: " + steps.joined(separator: "; "))
            pass.problems.append((MIGAgentNames.dryRun, "dry run: \(steps.count) steps not applied"))
            return pass
        }
        if let wait = retryDelay(for: specHash) {
            // Waiting out a backoff changes nothing, so the node's devices are advertised meanwhile
            // (a pause left by a failed or killed pass would hide them until the retry).
            if DevicePluginController.isPausedByUs(node) { try? await plugin.restoreLabel() }
            pass.problems.append((MIGAgentNames.applyFailed, "the last apply of this spec failed; retrying in \(wait)"))
            pass.requeue = min(wait, config.reportInterval)
            return pass
        }
        try await act(&pass, specs: specs, mismatched: mismatched)
        if hasPlan {
            pass.outcome = pass.problems.isEmpty ? outcome(pass.plans, results: pass.results) : .failed
        }
        if pass.outcome != .applied, pass.results.contains(where: { $0.failure != nil }) || !pass.problems.isEmpty {
            pass.requeue = recordFailure(for: specHash)
        } else {
            memory.state.withLock { _ = $0.failures.removeValue(forKey: specHash) }
        }
        return pass
    }

    /// Backoff key of ``MIGAgentError/deviceIDMismatch(unmatched:)`` (spec retries use the spec hash).
    static let deviceIDRetryKey = "device-id-mismatch"

    /// Reads every GPU from NVML and marks used instances (processes, allocations, reservations).
    /// - Throws: ``MIGAgentError/deviceIDMismatch(unmatched:)`` when a device id the kubelet
    ///   reports is no MIG device UUID NVML shows (``DeviceIdentity``): without that match the
    ///   marks cannot be trusted, so no caller may act on them.
    /// - Parameter destroyed: MIG UUIDs this pass destroyed; the kubelet may still list them as
    ///   allocatable until the device plugin re-registers (an allocation of one still counts).
    func observe(specs: [Int: [PlacedInstance]], notes: inout [String], destroyed: Set<String> = []) async throws -> Observation {
        let (usage, allocatable) = try await usageReader.read()
        if allocatable == nil {
            notes.append("the kubelet does not implement GetAllocatableResources; devices are enumerated with NVML")
            if memory.firstTime(\.saidUnimplemented) {
                logger.warning("kubelet PodResources GetAllocatableResources is unimplemented; falling back to NVML enumeration")
            }
        }
        let raw = try nvml.withSession { session in
            try (0..<session.deviceCount()).map { try ObservedGPU.read($0, from: session) }
        }
        let unmatched = DeviceIdentity.unmatched(allocated: usage.allocatedDeviceIDs, allocatable: allocatable?.subtracting(destroyed), gpus: raw)
        guard unmatched.isEmpty else { throw MIGAgentError.deviceIDMismatch(unmatched: unmatched) }
        return Observation(gpus: usage.mark(raw, specs: specs), usage: usage, allocatable: allocatable)
    }

    /// The spec's placements by GPU; a GPU with counts only (the seed's format) gets a layout that
    /// keeps its used instances, when one exists.
    func specs(_ annotations: NodeMIGAnnotations, gpus: [ObservedGPU] = []) -> [Int: [PlacedInstance]] {
        var out: [Int: [PlacedInstance]] = [:]
        let bad = annotations.gpusWithErrors
        for (index, spec) in annotations.spec where !bad.contains(index) {
            if let placements = spec.placements {
                out[index] = placements
            } else if let gpu = gpus.first(where: { $0.index == index }),
                let model = NVMLModel.model(id: "gpu-\(index)", product: gpu.product, profiles: gpu.profiles),
                let space = try? LayoutSpace(model),
                let layout = space.layout(for: spec.counts, keeping: gpu.instances.filter { $0.isUsed && !$0.isOrphan }.map(\.placed))
            {
                out[index] = layout
            }
        }
        return out
    }

    func plans(_ gpus: [ObservedGPU], specs: [Int: [PlacedInstance]], skipping: Set<Int>) -> [GPUActuationPlan] {
        gpus.map { gpu in
            var plan = ActuationPlanner.plan(gpu, spec: skipping.contains(gpu.index) ? nil : specs[gpu.index])
            if skipping.contains(gpu.index), specs[gpu.index] != nil { plan.hasSpec = true; plan.blocked = plan.blocked ?? .invalidSpec("the catalog disagrees with NVML") }
            return plan
        }
    }

    /// `WrongMigStrategy` and `ForeignManager`.
    func prerequisiteProblems(_ node: Node) async throws -> [(reason: String, message: String)] {
        var out: [(String, String)] = []
        let strategy = node.metadata.labels?[MIGAnnotations.migStrategyLabel]
        if strategy != "mixed" {
            out.append((MIGAgentNames.wrongMigStrategy, "node label \(MIGAnnotations.migStrategyLabel) is \(strategy.map { "'\($0)'" } ?? "absent"); n8s needs 'mixed' (one resource per MIG profile)"))
        }
        let managers = try await client.resource(Pod.self).list(ListOptions(
            labelSelector: try LabelSelector(parsing: MIGAgentNames.migManagerSelector),
            fieldSelector: try FieldSelector(parsing: "spec.nodeName=\(config.nodeName)"))).items.filter { !($0.status?.isTerminal ?? false) }
        if let pod = managers.first {
            out.append((MIGAgentNames.foreignManager, "NVIDIA MIG Manager pod \(pod.metadata.namespace ?? "")/\(pod.name) runs on this node; disable it (nvidia.com/gpu.deploy.mig-manager=false): two managers must never change one GPU"))
        }
        return out
    }

    /// GPUs whose NVML profiles disagree with the catalog's model (`CatalogMismatch`).
    func catalogMismatches(_ gpus: [ObservedGPU], problems: inout [(reason: String, message: String)]) -> Set<Int> {
        guard let catalog else { return [] }
        var out = Set<Int>()
        for gpu in gpus where gpu.isMIGCapable && !gpu.profiles.isEmpty {
            guard let match = try? catalog.model(forProduct: gpu.name) else { continue }
            let diffs = NVMLModel.catalogMismatches(catalog: match.model, nvml: gpu.profiles)
            if !diffs.isEmpty {
                out.insert(gpu.index)
                problems.append((MIGAgentNames.catalogMismatch, "GPU \(gpu.index) (\(gpu.name)) vs catalog model \(match.model.id): " + diffs.joined(separator: "; ")))
            }
        }
        return out
    }

    /// Applied when every GPU with a spec reached it; Failed when none did; PartiallyApplied otherwise.
    func outcome(_ plans: [GPUActuationPlan], results: [GPUActuationResult]) -> PartitioningOutcome {
        let withSpec = plans.filter(\.hasSpec)
        guard !withSpec.isEmpty else { return .applied }
        let reached = withSpec.filter { p in
            p.blocked == nil && (results.first { $0.gpu == p.gpu }.map { $0.failure == nil } ?? p.isNoop)
        }.count
        if reached == withSpec.count { return .applied }
        return reached == 0 ? .failed : .partiallyApplied
    }

    func retryDelay(for specHash: String) -> Duration? {
        let now = clock.now
        return memory.state.withLock { s in
            guard let f = s.failures[specHash], f.retryAt > now else { return nil }
            return .seconds(f.retryAt.timeIntervalSince(now))
        }
    }

    /// Doubles the retry delay of this spec (C01: retried on the same spec, no external change needed).
    func recordFailure(for specHash: String) -> Duration {
        let now = clock.now
        return memory.state.withLock { s in
            let count = (s.failures[specHash]?.count ?? 0) + 1
            var delay = config.retryInitial
            for _ in 1..<count where delay < config.retryMaximum { delay = delay * 2 }
            delay = min(delay, config.retryMaximum)
            s.failures[specHash] = (count, now.addingTimeInterval(delay.seconds))
            return delay
        }
    }
}

import Foundation
import KubeClient
import KubeCore
import N8sCore

extension MIGAgent {
    /// Pause → wait for 0 → re-read what is used → change the GPUs → resume → wait for the new
    /// devices. What is used is read once more right before each GPU changes and before each
    /// further destroy on it, in every mode: a
    /// scheduler whose view of the node predates the pause (an informer that lags, a binding
    /// cycle that ends late) can still bind a pod after the post-drain reading, and that pod's
    /// reservation must stop the change of the GPU it would lose its device on (fail closed). In
    /// `delete-pod` mode (devices stay advertised) there is no wait. On any failure the plugin is
    /// resumed before returning (C01).
    func act(_ pass: inout PassResult, specs: [Int: [PlacedInstance]], mismatched: Set<Int>) async throws {
        var lock: HostLock?
        if let path = config.lockFile {
            do { lock = try HostLock(path: path) } catch {
                pass.problems.append((MIGAgentNames.applying, error.description))
                pass.requeue = config.pollInterval
                return
            }
        }
        defer { lock?.release() }
        let plugin = self.plugin
        let token = try await plugin.pause()
        do {
            if config.pause.mode != .deletePod, !(try await plugin.waitUntilDrained(timeout: config.pauseTimeout)) {
                try await plugin.resume(token)
                pass.problems.append((MIGAgentNames.applyFailed, "the device plugin still advertised MIG devices \(config.pauseTimeout) after the pause; nothing was changed"))
                return
            }
            // Pods bound while the plugin was stopping keep their reserved devices.
            var notes: [String] = []
            let fresh = try await observe(specs: specs, notes: &notes)
            pass.plans = plans(fresh.gpus, specs: specs, skipping: mismatched)
            let actuator = self.actuator
            pass.results = []
            for gpu in fresh.gpus {
                guard let plan = pass.plans.first(where: { $0.gpu == gpu.index }), !plan.isNoop else { continue }
                if let changed = try await usageChanged(on: gpu, plan: plan, specs: specs, after: pass.results) {
                    pass.results.append(changed)
                    continue
                }
                // Read again right before each destroy too: a pod bound or allocated while earlier
                // instances of this GPU went stops the rest (the window left is one NVML call).
                let earlier = pass.results
                pass.results.append(try await actuator.apply(plan, on: gpu, nvml: nvml) { _, destroyed in
                    guard !destroyed.isEmpty else { return nil }  // the first destroy: read just above
                    let changed = try await self.usageChanged(on: gpu, plan: plan, specs: specs, after: earlier, destroyedHere: destroyed)
                    return changed == nil ? nil : "what is used changed while this GPU changed (a pod was bound, allocated or ended meanwhile); its remaining steps were not run"
                })
            }
            pass.acted = true
            var after = fresh.gpus
            for r in pass.results { if let i = after.firstIndex(where: { $0.index == r.gpu }) { after[i] = r.after } }
            pass.gpus = fresh.usage.mark(after, specs: specs)
            for r in pass.results {
                logger.info("GPU changed", metadata: ["gpu": "\(r.gpu)", "target": "\(r.plan.target)", "error": "\(r.failure ?? "none")"])
            }
            try await plugin.resume(token)
            let expected = Self.advertised(after)
            let expectedIDs = Set(after.flatMap { $0.instances.flatMap(\.migUUIDs) })
            let advertised = try await plugin.waitUntilAdvertising(expected, token: token, timeout: config.resumeTimeout)
            if !advertised {
                pass.problems.append((MIGAgentNames.applyFailed, "the node did not advertise the new MIG devices \(Self.describe(expected)) within \(config.resumeTimeout) after resuming the device plugin"))
            } else if fresh.allocatable != nil, let ids = try? await usageReader.read().allocatable, ids != expectedIDs {
                pass.problems.append((MIGAgentNames.applyFailed, "the kubelet's allocatable MIG devices differ from NVML's after resuming the plugin"))
            }
        } catch {
            try? await plugin.resume(token)
            // GPUs changed before the failure: what the pass read is stale, so it reports nothing
            // (NoPlacementReport) until the next pass reads again.
            if !pass.results.isEmpty { pass.gpus = [] }
            if let e = error as? NVMLError {
                pass.problems.append((e.isUnavailable ? MIGAgentNames.nvmlUnavailable : MIGAgentNames.applyFailed, e.description))
            } else if let e = error as? MIGAgentError {
                pass.problems.append((e.conditionReason, e.description))
            } else {
                throw error
            }
        }
    }

    /// What is used, read again right before a GPU's steps (`delete-pod` mode leaves the devices
    /// advertised while GPUs change; in the label modes a pod can still be bound by a scheduler
    /// whose view predates the pause). When it differs from the reading the plan was made from
    /// (instances, or which of them are used or reserved), the GPU is left as it is.
    /// - Returns: the result of the untouched GPU, or `nil` when the reading is the same.
    /// - Throws: what ``observe(specs:notes:)`` throws (``MIGAgentError/deviceIDMismatch(unmatched:)`` included).
    /// - Parameter earlier: the GPUs changed before this one in the pass (the plugin still
    ///   advertises the devices they destroyed).
    /// - Parameter destroyedHere: instances of this GPU destroyed already in this pass (the reading
    ///   is then compared with the plan's reading less those).
    func usageChanged(
        on gpu: ObservedGPU, plan: GPUActuationPlan, specs: [Int: [PlacedInstance]], after earlier: [GPUActuationResult], destroyedHere: [ObservedInstance] = []
    ) async throws -> GPUActuationResult? {
        var ignored: [String] = []
        let destroyed = Set(earlier.flatMap { r in
            r.plan.steps.flatMap { step -> [String] in if case .destroy(let i) = step { i.migUUIDs } else { [] } }
        } + destroyedHere.flatMap(\.migUUIDs))
        let again = try await observe(specs: specs, notes: &ignored, destroyed: destroyed).gpus.first { $0.index == gpu.index }
        var expected = gpu
        expected.instances.removeAll { i in destroyedHere.contains { $0.gpuInstanceID == i.gpuInstanceID } }
        if let again, Self.usageReading(again) == Self.usageReading(expected) { return nil }
        return GPUActuationResult(
            gpu: gpu.index, plan: plan, after: again ?? gpu,
            failure: "what is used changed between the plan and the change (a pod was bound, allocated or ended meanwhile); nothing was changed on this GPU",
            rolledBack: [])
    }

    /// The instances with their used marks (process counts left out: they change while running).
    static func usageReading(_ gpu: ObservedGPU) -> [String] {
        gpu.instances.map { "\($0.placed)#\($0.gpuInstanceID)#\($0.isUsed)" }
    }

    /// What the device plugin (mixed strategy) advertises for these GPUs: resource name to count of
    /// MIG devices (GPU instances with a compute instance) on MIG-enabled GPUs.
    static func advertised(_ gpus: [ObservedGPU]) -> [String: Int] {
        var out: [String: Int] = [:]
        for g in gpus where g.migMode == .enabled {
            for i in g.instances where !i.isOrphan { out[MIGProfile.resourcePrefix + MIGProfile.resourceForm(of: i.placed.profile), default: 0] += 1 }
        }
        return out
    }

    static func describe(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

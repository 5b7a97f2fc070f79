import N8sCore
import N8sServices

extension SimulatedGPU {
    /// NVML's answer to `nvmlDeviceCreateGpuInstanceWithPlacement(profile, start)` on this GPU as
    /// it is now: `nil` when the instance can be created, else the code NVML returns.
    ///
    /// Written from the placement table alone (each profile's allowed starts, size in memory
    /// slices, maximum count and compute slices, as ``profiles`` reports them, and the model's
    /// compute slices), with the occupied slices as a bit mask. It does not call N8sCore's
    /// ``LayoutSpace``, so the simulated GPUs are an independent check of the layout code that
    /// planner and agent share: a disagreement between the two fails the cross-check test.
    ///
    /// Codes, as NVML documents them: `NVML_ERROR_INVALID_ARGUMENT` for a start the profile does
    /// not allow; `NVML_ERROR_INSUFFICIENT_RESOURCES` when a slice it needs is taken, the
    /// profile's maximum count or the GPU's compute slices are reached, or a media-extension rule
    /// forbids it (one `+me`/`+me.all` instance per GPU; `+me.all` beside `-me` profiles only).
    func placementError(profile: NVMLGPUInstanceProfile, start: Int) -> NVMLReturn? {
        guard profile.placementSize > 0, profile.placements.contains(start) else { return .invalidArgument }
        var occupied: UInt64 = 0
        var sameProfile = 0
        var computeUsed = profile.computeSlices
        var present: [String] = [profile.name]
        for gi in instances {
            guard let p = profiles.first(where: { $0.name == gi.profile }) else { continue }
            occupied |= Self.slices(start: gi.start, size: p.placementSize)
            if p.name == profile.name { sameProfile += 1 }
            computeUsed += p.computeSlices
            present.append(p.name)
        }
        if occupied & Self.slices(start: start, size: profile.placementSize) != 0 { return .insufficientResources }
        if sameProfile >= profile.maxCount { return .insufficientResources }
        if computeUsed > model.computeSlices { return .insufficientResources }
        let media = present.filter { $0.hasSuffix("+me") || $0.hasSuffix("+me.all") }
        if media.count > 1 { return .insufficientResources }
        if present.contains(where: { $0.hasSuffix("+me.all") }), present.contains(where: { !$0.hasSuffix("+me.all") && !$0.hasSuffix("-me") }) {
            return .insufficientResources
        }
        return nil
    }

    /// Memory slices `[start, start + size)` as a bit mask.
    static func slices(start: Int, size: Int) -> UInt64 {
        guard size > 0, start >= 0, start + size <= 64 else { return 0 }
        return (size == 64 ? ~0 : (UInt64(1) << UInt64(size)) - 1) << UInt64(start)
    }
}

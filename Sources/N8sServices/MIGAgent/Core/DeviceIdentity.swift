import N8sCore

/// Fail closed on device identity (design.md section 3): the agent knows which MIG devices pods
/// hold only through the device ids the kubelet reports, so every such id must be the UUID of a
/// MIG device NVML shows on this node. One id that is not (the device plugin's
/// `deviceIDStrategy=index` ids such as `0:1`, another plugin's format, an allocation of a device
/// that no longer exists) means a held device could read as free: the agent then changes nothing
/// on the node (`DeviceIDMismatch`).
///
/// Pure: no I/O and no clock.
public enum DeviceIdentity {
    /// The MIG device ids the kubelet reports that are not the MIG UUID of any compute instance
    /// of `gpus`, sorted; empty when every id matches.
    ///
    /// - Parameters:
    ///   - allocated: MIG device ids of PodResources `List`, for the pods that count (bound to the
    ///     node and not terminal in the API: ``UsageSnapshot/allocatedDeviceIDs``). Allocations of
    ///     terminal or deleted pods are left out: their devices are free whatever their ids, and a
    ///     kubelet that keeps listing a finished pod whose device was since destroyed must not
    ///     block the node for good.
    ///   - allocatable: MIG device ids of `GetAllocatableResources`; `nil` where the kubelet does
    ///     not serve it (C36).
    ///   - gpus: the node's GPUs as NVML reads them.
    public static func unmatched(allocated: Set<String>, allocatable: Set<String>?, gpus: [ObservedGPU]) -> [String] {
        let known = Set(gpus.flatMap { $0.instances.flatMap(\.migUUIDs) })
        return allocated.union(allocatable ?? []).subtracting(known).sorted()
    }

    /// The condition and Event message: a few of the ids, their count, and what to change. Ids
    /// shaped like UUIDs (`MIG-…`, `GPU-…`) are devices the kubelet still lists after they were
    /// destroyed (they go when the device plugin re-registers); any other id is another naming
    /// scheme, fixed by the device plugin's `deviceIDStrategy=uuid`.
    /// - Parameter shown: how many ids to name (the rest are counted).
    public static func message(_ unmatched: [String], shown: Int = 3) -> String {
        let named = unmatched.prefix(shown).joined(separator: ", ")
        let more = unmatched.count > shown ? " and \(unmatched.count - shown) more (\(unmatched.count) in all)" : ""
        let head = "the kubelet reports MIG device ids that are no MIG device UUID of this node's GPUs: \(named)\(more); "
            + "n8s cannot tell which MIG devices pods hold, so it changes nothing on this node. "
        if unmatched.allSatisfy(isUUID) {
            return head + "The kubelet still lists devices that no longer exist: restart the NVIDIA device plugin on this node "
                + "if they stay (its devices must come from NVML's current MIG devices)"
        }
        return head + "Set the NVIDIA device plugin's deviceIDStrategy=uuid (DEVICE_ID_STRATEGY=uuid, the GPU Operator's default)"
    }

    /// `MIG-…` or `GPU-…`: NVIDIA's UUID forms.
    static func isUUID(_ id: String) -> Bool { id.hasPrefix("MIG-") || id.hasPrefix("GPU-") }
}

import KubeCore

/// How much of the virtual resource `n8s.nebuly.ai/gpu-memory` (GB) a device is charged
/// (docs/design.md section 3; rounding in docs/quotas.md).
///
/// A MIG device `nvidia.com/mig-<profile>` is charged its profile's memory from the MIG catalog,
/// `memoryMiB / 1024` rounded **up** to a whole GB (GB here is GiB, 2³⁰ bytes, the unit of
/// `nvidia-smi` and of NVIDIA's profile names): `1g.10gb` (9984 MiB) is 10, `7g.80gb` (81152 MiB)
/// is 80, `3g.71gb` (71168 MiB) is 70, `1g.18gb` is 18 (17920 MiB on H200; 16384 on GH200: when
/// models disagree the largest is charged, since the pod may land on either). Rounding up never
/// charges less than the device holds and keeps quotas and `kubectl get` in whole numbers. A
/// profile the catalog does not know, or whose memory it has not observed, is charged the GB its
/// name states (`7g.79gb` is 79); a MIG resource whose name states no size is charged 0.
/// `nvidia.com/gpu` is charged ``gpuMemoryPerGPU`` per GPU.
public struct GPUMemoryRates: Sendable, Hashable {
    /// GB per device by profile in resource form (`1g.10gb`, `1g.10gb.me`), from the catalog.
    public var gbPerProfile: [String: Int]
    /// GB charged for one `nvidia.com/gpu` (configuration `gpuMemoryPerGPU`, default 32).
    public var gpuMemoryPerGPU: Int

    public init(gbPerProfile: [String: Int], gpuMemoryPerGPU: Int = 32) {
        self.gbPerProfile = gbPerProfile
        self.gpuMemoryPerGPU = gpuMemoryPerGPU
    }

    /// The rates of every profile of `catalog` whose memory is known.
    public init(catalog: MIGCatalog, gpuMemoryPerGPU: Int = 32) {
        var rates: [String: Int] = [:]
        for model in catalog.models {
            for profile in model.profiles {
                guard let mib = profile.memoryMiB, mib > 0 else { continue }
                let gb = (mib + 1023) / 1024
                rates[profile.resourceForm] = Swift.max(rates[profile.resourceForm] ?? 0, gb)
            }
        }
        self.init(gbPerProfile: rates, gpuMemoryPerGPU: gpuMemoryPerGPU)
    }

    /// GB charged for one device of `profile` (resource form, as in `nvidia.com/mig-<profile>`).
    public func gb(ofProfile profile: String) -> Int {
        if let gb = gbPerProfile[profile] { return gb }
        return ProfileGrammar.parse(profile[...])?.gb ?? 0
    }

    /// The pod's `n8s.nebuly.ai/gpu-memory` in GB: over its effective requests, each MIG device at
    /// its rate plus `nvidia.com/gpu` × ``gpuMemoryPerGPU``.
    /// - Throws: ``RequestError/fractionalDevices(resource:quantity:)`` for a fractional or negative
    ///   device count; ``RequestError/overflow(resource:)`` past the range of ``Quantity``.
    public func gpuMemory(of requests: PodRequests) throws(RequestError) -> Quantity {
        var nanos: Int128 = 0
        func charge(_ count: Int128, _ gb: Int) throws(RequestError) {
            let (units, o1) = count.multipliedReportingOverflow(by: Int128(gb))
            let (scaled, o2) = units.multipliedReportingOverflow(by: 1_000_000_000)
            let (sum, o3) = nanos.addingReportingOverflow(scaled)
            guard !o1, !o2, !o3 else { throw .overflow(resource: QuotaNames.gpuMemory) }
            nanos = sum
        }
        for (name, quantity) in requests.resources.sorted(by: { $0.key < $1.key }) {
            let gb: Int
            if let profile = MIGProfile.resourceFormProfile(ofResource: name) {
                gb = self.gb(ofProfile: profile)
            } else if name == QuotaNames.gpu {
                gb = gpuMemoryPerGPU
            } else {
                continue
            }
            guard !quantity.isNegative, quantity.nanos % 1_000_000_000 == 0 else {
                throw .fractionalDevices(resource: name, quantity: quantity.description)
            }
            try charge(quantity.nanos / 1_000_000_000, gb)
        }
        return Quantity(nanos: nanos)
    }

    /// Everything a pod is charged: its effective requests (Kubernetes' rule: init containers,
    /// native sidecars, overhead) plus `n8s.nebuly.ai/gpu-memory`. Zero amounts are kept.
    /// - Throws: ``QuotaError/invalidPodRequest(pod:reason:)`` naming the pod.
    public func charge(of pod: Pod) throws(QuotaError) -> [String: Quantity] {
        do {
            var requests = try PodRequests(checking: pod.spec)
            requests.resources[QuotaNames.gpuMemory] = try gpuMemory(of: requests)
            return requests.resources
        } catch {
            throw .invalidPodRequest(pod: pod.key, reason: error)
        }
    }
}

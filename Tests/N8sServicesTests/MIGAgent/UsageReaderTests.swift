import KubeCore
import N8sServices
import Testing

/// What is used (design.md section 3), from the node's pods and the kubelet's allocations.
@Suite("UsageReader: allocations of non-terminal pods, reservations of bound pods")
struct UsageReaderTests {
    static func pod(_ name: String, phase: String?, _ limits: [String: Int]) -> Pod {
        var l: [String: Quantity] = [:]
        for (r, n) in limits { l[r] = Quantity(n) }
        return Pod(metadata: ObjectMeta(name: name, namespace: "ns"), spec: PodSpec(containers: [Container(name: "c", limits: l)], nodeName: "n"), status: PodStatus(phase: phase))
    }

    @Test("terminal pods free their devices; unallocated requests of bound pods are reserved by NVIDIA profile name")
    func usage() {
        let pods = [
            Self.pod("running", phase: "Running", ["nvidia.com/mig-1g.5gb": 2]),
            Self.pod("done", phase: "Succeeded", ["nvidia.com/mig-1g.5gb": 1]),
            Self.pod("bound", phase: "Pending", ["nvidia.com/mig-1g.5gb.me": 1, "nvidia.com/mig-3g.20gb": 1]),
        ]
        let allocations = [
            PodDeviceAllocation(namespace: "ns", name: "running", devices: ["nvidia.com/mig-1g.5gb": ["MIG-a"]]),
            PodDeviceAllocation(namespace: "ns", name: "done", devices: ["nvidia.com/mig-1g.5gb": ["MIG-b"]]),
            PodDeviceAllocation(namespace: "ns", name: "gone", devices: ["nvidia.com/mig-3g.20gb": ["MIG-c"]]),
            PodDeviceAllocation(namespace: "ns", name: "bound", devices: ["nvidia.com/mig-3g.20gb": ["MIG-d"]]),
        ]
        let u = UsageReader.usage(pods: pods, allocations: allocations)
        #expect(u.allocatedDeviceIDs == ["MIG-a", "MIG-d"])
        #expect(u.reserved == ["1g.5gb": 1, "1g.5gb+me": 1])
    }
}

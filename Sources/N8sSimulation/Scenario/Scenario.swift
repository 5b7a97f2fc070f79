import KubeCore
import N8sCore

/// A simulation to run: the cluster, how its GPUs are partitioned, the workload, and the timings
/// that make partitioning cost time. Read from YAML with ``init(yaml:catalog:)`` (schema and a
/// commented example: `scenarios/example.yaml`), or built in code (``DefaultScenario``, traces).
public struct Scenario: Sendable, Hashable {
    /// How GPUs get their MIG layouts.
    public enum Partitioning: Sendable, Hashable, CustomStringConvertible {
        /// n8s's partitioner and agents change layouts as pods need (`dynamic`).
        case dynamic
        /// The same fixed layout on every GPU, never changed, as an administrator sets by hand
        /// (`static:<geometry>`, e.g. `static:1g.10gb*7`).
        case fixed(Geometry)

        public var description: String {
            switch self {
            case .dynamic: "dynamic"
            case .fixed(let g): "static:\(GeometryText.format(g))"
            }
        }
    }

    /// A group of identical nodes, named `<name>-0`, `<name>-1`, ...
    public struct NodeGroup: Sendable, Hashable {
        public var name: String
        public var count: Int
        /// The catalog model of the GPUs; `nil` for CPU-only nodes (`gpusPerNode: 0`).
        public var gpuModel: GPUModel?
        /// As GPU Feature Discovery labels it, e.g. `NVIDIA-H100-80GB-HBM3`.
        public var gpuProduct: String?
        public var gpusPerNode: Int
        public var cpu: Quantity
        public var memory: Quantity
        /// Most pods per node (allocatable `pods`).
        public var maxPods: Int
        /// Layout every GPU starts with; `nil`: MIG enabled with the full-GPU profile (design.md section 4:
        /// a MIG-enabled GPU is never left without instances).
        public var startingGeometry: Geometry?
        /// How the nodes' device plugin names devices (its `DEVICE_ID_STRATEGY`): MIG UUIDs (the
        /// default), or `<gpu>:<index>`, which n8s's agents refuse to act on (`DeviceIDMismatch`).
        public var deviceIDStrategy: DeviceIDStrategy

        public init(name: String, count: Int, gpuModel: GPUModel?, gpuProduct: String?, gpusPerNode: Int, cpu: Quantity, memory: Quantity,
                    maxPods: Int = 110, startingGeometry: Geometry? = nil, deviceIDStrategy: DeviceIDStrategy = .uuid) {
            self.name = name
            self.count = count
            self.gpuModel = gpuModel
            self.gpuProduct = gpuProduct
            self.gpusPerNode = gpusPerNode
            self.cpu = cpu
            self.memory = memory
            self.maxPods = maxPods
            self.startingGeometry = startingGeometry
            self.deviceIDStrategy = deviceIDStrategy
        }

        /// Node names of the group, in order.
        public var nodeNames: [String] { (0..<count).map { "\(name)-\($0)" } }
    }

    /// What one pod of a group asks of a GPU.
    public enum GPURequest: Sendable, Hashable {
        /// No GPU.
        case cpuOnly
        /// `count` MIG devices of `profile` (NVIDIA name).
        case mig(profile: String, count: Int)
        /// `count` whole GPUs: as many devices of the model's full-GPU profile (`7g.80gb` on H100-80GB),
        /// since GPUs in MIG mode advertise no `nvidia.com/gpu` under the `mixed` strategy.
        case wholeGPUs(count: Int, fullProfile: String)

        /// The extended resources it adds to the pod's requests.
        public var resources: [String: Quantity] {
            switch self {
            case .cpuOnly: [:]
            case .mig(let profile, let count), .wholeGPUs(let count, let profile):
                [MIGProfile.resourcePrefix + MIGProfile.resourceForm(of: profile): Quantity(count)]
            }
        }
    }

    /// `count` pods alike, arriving at `arrival`, `arrival + every`, ...
    public struct PodGroup: Sendable, Hashable {
        public var name: String
        public var namespace: String
        public var arrival: Duration
        /// How long each pod runs once started.
        public var duration: Duration
        public var priority: Int32
        public var gpu: GPURequest
        public var cpu: Quantity
        public var memory: Quantity
        public var count: Int
        public var every: Duration

        public init(name: String, namespace: String = "default", arrival: Duration = .zero, duration: Duration, priority: Int32 = 0,
                    gpu: GPURequest, cpu: Quantity = Quantity(milli: 100), memory: Quantity = Quantity(bytes: 256 << 20),
                    count: Int = 1, every: Duration = .zero) {
            self.name = name
            self.namespace = namespace
            self.arrival = arrival
            self.duration = duration
            self.priority = priority
            self.gpu = gpu
            self.cpu = cpu
            self.memory = memory
            self.count = count
            self.every = every
        }
    }

    /// Delays that make changes take time, in simulated time.
    public struct Timing: Sendable, Hashable {
        /// From a change on a node (pod started, devices advertised) to its report in the API.
        public var kubeletStatusDelay: Duration = .seconds(2)
        /// From the device plugin pod's deletion to the new one registering its devices.
        public var devicePluginRestart: Duration = .seconds(10)
        /// Time to destroy and create the MIG instances of one GPU.
        public var migReconfiguration: Duration = .seconds(5)
        public init() {}
    }

    /// The partitioner's batch windows (design.md section 5).
    public struct BatchWindow: Sendable, Hashable {
        public var timeout: Duration = .seconds(60)
        public var idle: Duration = .seconds(10)
        public init() {}
    }

    public var name: String
    /// Simulated seconds per real second (e.g. `60`: a simulated hour in a real minute).
    public var timeScale: Double
    /// End of the simulation, in simulated time from the start; `nil`: when every pod has ended
    /// (or none can progress).
    public var stopAfter: Duration?
    public var partitioning: Partitioning
    public var nodes: [NodeGroup]
    public var pods: [PodGroup]
    public var timing: Timing
    public var batchWindow: BatchWindow
    public var scheduler: SimScheduler.Configuration
    /// Pods replayed one by one (from a trace), in addition to ``pods``.
    public var replay: [WorkloadPod] = []
    /// Faults injected into the run (none by default).
    public var faults = FaultPlan()

    public init(name: String, timeScale: Double = 60, stopAfter: Duration? = nil, partitioning: Partitioning = .dynamic,
                nodes: [NodeGroup], pods: [PodGroup], timing: Timing = Timing(), batchWindow: BatchWindow = BatchWindow(),
                scheduler: SimScheduler.Configuration = SimScheduler.Configuration()) {
        self.name = name
        self.timeScale = timeScale
        self.stopAfter = stopAfter
        self.partitioning = partitioning
        self.nodes = nodes
        self.pods = pods
        self.timing = timing
        self.batchWindow = batchWindow
        self.scheduler = scheduler
    }

    /// Every pod of the scenario, by arrival time then name (``WorkloadPod``). Names are
    /// `<group>-<index>` with the index zero-padded to the group's width.
    public var workload: [WorkloadPod] {
        var out: [WorkloadPod] = []
        for group in pods {
            let width = String(max(group.count - 1, 0)).count
            for i in 0..<group.count {
                let index = String(i)
                let padded = String(repeating: "0", count: max(0, width - index.count)) + index
                out.append(WorkloadPod(
                    name: group.count == 1 ? group.name : "\(group.name)-\(padded)",
                    namespace: group.namespace,
                    arrival: group.arrival + group.every * i,
                    end: .runs(for: group.duration),
                    priority: group.priority,
                    resources: group.requests
                ))
            }
        }
        out += replay
        return out.sorted { ($0.arrival, $0.name) < ($1.arrival, $1.name) }
    }

    /// GPUs in the cluster.
    public var gpuCount: Int { nodes.reduce(0) { $0 + $1.count * $1.gpusPerNode } }
}

extension Scenario.PodGroup {
    /// ``Scenario/GPURequest`` resources plus CPU and memory.
    public var requests: [String: Quantity] {
        var r = gpu.resources
        r["cpu"] = cpu
        r["memory"] = memory
        return r
    }
}

import Foundation
import KubeCore
import KubeSim
import N8sCore
import N8sServices
import Synchronization

/// One simulated GPU node in a ``KubeSim``: a kubelet stand-in that owns ``SimulatedNVML`` GPUs,
/// the NVIDIA device plugin's pod and registration, GPU Feature Discovery's labels, and the
/// kubelet PodResources API (served by ``PodResourcesServer`` on a unix socket).
///
/// Behaviour, one ``step()`` at a time (``run()`` steps every ``Settings/tick`` of the clock):
/// - the device plugin pod (namespace `gpu-operator`, label `app=nvidia-device-plugin-daemonset`)
///   exists unless the node label `nvidia.com/gpu.deploy.device-plugin` reads
///   `paused-for-mig-change` (the DaemonSet no longer selects the node); a new pod starts
///   `pluginStartDelay` after the old one is gone or deleted, and takes `pluginStopDelay` to stop;
/// - while a Running plugin pod exists, the plugin is registered with the MIG devices NVML had
///   when that pod registered (it does not notice later changes: C12), and the node's capacity
///   and allocatable carry their counts; while none exists, allocatable reads 0;
/// - pods bound to the node are admitted only while the plugin is registered: the kubelet assigns
///   free device ids (reserving them), and the pod runs `podStartDelay` later (with one process
///   on each of its MIG devices); the ids are the plugin's, per ``Settings/deviceIDStrategy``
///   (MIG UUIDs, or `<gpu>:<index>`); a pod that cannot get its devices fails with
///   `UnexpectedAdmissionError`; graceful deletions finish after `podStopDelay`;
/// - a running pod with the annotation `sim.n8s.nebuly.ai/run-duration` succeeds that long after
///   it started (devices freed); a pod removed at once (force deletion) has its devices freed;
/// - after NVML's MIG instances change, a starting plugin registers no earlier than
///   `migReconfiguration` after the change was seen.
/// Invariant checks (``safety``, by kind; ``violations``, as text; all must stay empty): devices
/// destroyed while allocated or while reserved by a bound pod, pods failing admission because
/// their devices vanished, and running pods losing a device (they fail: see
/// ``SafetyViolations/deviceLostReason``).
public final class SimulatedNode: Sendable {
    public struct Settings: Sendable {
        public var podStartDelay: Duration = .seconds(2)
        public var podStopDelay: Duration = .seconds(1)
        public var pluginStartDelay: Duration = .seconds(3)
        public var pluginStopDelay: Duration = .seconds(2)
        public var tick: Duration = .milliseconds(200)
        /// Time NVML takes to change a GPU's MIG instances: the device plugin registers the new
        /// devices no earlier than this long after the last change it sees (0: at once).
        public var migReconfiguration: Duration = .zero
        public var pluginNamespace = "gpu-operator"
        public var pluginLabels = ["app": "nvidia-device-plugin-daemonset"]
        public var pauseLabelKey = "nvidia.com/gpu.deploy.device-plugin"
        public var pausedValue = "paused-for-mig-change"
        /// The kubelet answers `Unimplemented` to `GetAllocatableResources` (C36).
        public var allocatableUnimplemented = false
        /// `false`: the kubelet does not admit new pods (a slow kubelet: bound pods stay unallocated).
        public var admitsPods = true
        /// `nvidia.com/mig.strategy` label value.
        public var migStrategy = "mixed"
        /// How the device plugin names devices, and so which ids the kubelet hands out and
        /// reports through PodResources.
        public var deviceIDStrategy = DeviceIDStrategy.uuid
        /// Share of device plugin pod starts that crash (0...1): such a start loops in
        /// `CrashLoopBackOff` (10 s, doubling per crash in a row, at most 5 min) before it runs.
        public var pluginCrashShare = 0.0
        /// Seed of the crashes.
        public var pluginCrashSeed: UInt64 = 1
        public init() {}
    }

    struct State {
        var settings: Settings
        /// Devices of the registered plugin: resource name to MIG UUIDs; `nil` while unregistered.
        var registered: [String: [String]]?
        var registeredPodUID: String?
        /// The MIG UUID behind each id of the registered plugin (identity under the `uuid` strategy).
        var registeredUUIDs: [String: String] = [:]
        /// Pod key (`ns/name`) to resource name to device ids (as the kubelet reports them).
        var assignments: [String: [String: [String]]] = [:]
        /// Pod key to the MIG UUIDs behind its assigned ids, fixed when it was admitted.
        var assignedUUIDs: [String: [String]] = [:]
        var admittedAt: [String: Date] = [:]
        var pluginGoneAt: Date?
        var pluginCounter = 0
        /// NVML's mutation count at the last step, and when the last change was seen.
        var seenMutations = 0
        var reconfiguredAt: Date?
        /// Every violation's text, and with its kind; the counts by kind (``SafetyViolations``).
        var violations: [String] = []
        var violationLog: [(kind: SafetyViolations.Kind, detail: String)] = []
        var safety = SafetyViolations()
        /// At the end of the last step: NVML's devices (MIG UUID to profile in resource form), the
        /// unallocated ones by profile, and what bound unallocated pods needed by profile.
        var lastInstances: [String: String] = [:]
        var lastFree: [String: Int] = [:]
        var lastReserved: [String: Int] = [:]
        /// Every assignment: pod key, time, and whether the plugin was registered.
        var assignmentLog: [(pod: String, at: Date)] = []
        /// Every change of the plugin's registration: time and whether it is registered after it.
        var registrationLog: [(at: Date, registered: Bool)] = []
        /// Between ``SimulatedNode/reboot(now:)`` and ``SimulatedNode/bootCompleted(now:)``: the
        /// kubelet does not run.
        var isDown = false
        /// Draws of ``Settings/pluginCrashShare``; `nil` until the first plugin start.
        var crashRandom: SplitMix64?
        /// Plugin starts that crashed, in a row.
        var pluginCrashes = 0
        /// Plugin starts that crashed, and pods lost to reboots, so far.
        var pluginCrashTotal = 0
        var podsLostToReboots = 0
    }

    public let name: String
    public let sim: KubeSim
    public let nvml: SimulatedNVML
    public let clock: any KubeClock
    let state: Mutex<State>

    public init(name: String, sim: KubeSim, nvml: SimulatedNVML, settings: Settings = Settings()) {
        self.name = name
        self.sim = sim
        self.nvml = nvml
        self.clock = sim.clock
        state = Mutex(State(settings: settings))
    }

    public var settings: Settings {
        get { state.withLock { $0.settings } }
        set { state.withLock { $0.settings = newValue } }
    }
    /// Invariant breaches seen so far (must stay empty).
    public var violations: [String] { state.withLock { $0.violations } }
    /// Devices given to pods, by pod key (`ns/name`).
    public var assignments: [String: [String: [String]]] { state.withLock { $0.assignments } }
    /// The MIG UUIDs behind each pod's assigned devices, by pod key (`ns/name`).
    public var assignedUUIDs: [String: [String]] { state.withLock { $0.assignedUUIDs } }
    /// `true` while the device plugin is registered.
    public var isPluginRegistered: Bool { state.withLock { $0.registered != nil } }
    /// The registered plugin's devices (resource name to ids), `nil` while unregistered.
    public var registeredDevices: [String: [String]]? { state.withLock { $0.registered } }
    /// Every change of the plugin's registration (time, registered after it).
    public var registrationLog: [(at: Date, registered: Bool)] { state.withLock { $0.registrationLog } }
    /// Times of assignments, by pod key.
    public var assignmentTimes: [(pod: String, at: Date)] { state.withLock { $0.assignmentLog } }

    /// Creates the Node (Ready, CPU/memory capacity, GFD labels, opt-in label) and the plugin's namespace.
    public func install(labels extra: [String: String] = [:]) throws(APIStatus) {
        let gpus = nvml.gpus
        var labels = [
            MIGAnnotations.autoMIGEnabled: "true", "kubernetes.io/hostname": name,
            MIGAnnotations.gpuProductLabel: NVMLDeviceInfo(index: 0, name: gpus.first?.name ?? "", uuid: "", memoryMiB: 0, migMode: nil).productLabel,
            "nvidia.com/gpu.count": String(gpus.count), "nvidia.com/mig.capable": "true",
            MIGAnnotations.migStrategyLabel: settings.migStrategy,
        ]
        labels.merge(extra) { _, new in new }
        let capacity: [String: Quantity] = ["cpu": Quantity(64), "memory": Quantity(bytes: 512 << 30), "pods": Quantity(110)]
        let status = NodeStatus(capacity: capacity, allocatable: capacity, conditions: [NodeCondition(type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status")])
        _ = try sim.create(Node.self, Node(metadata: ObjectMeta(name: name, labels: labels), status: status))
        if (try? sim.get(Namespace.self, name: settings.pluginNamespace)) == nil {
            _ = try sim.create(Namespace.self, Namespace(metadata: ObjectMeta(name: settings.pluginNamespace)))
        }
    }

    /// Plugin pod starts that crashed so far (``Settings/pluginCrashShare``).
    public var pluginCrashes: Int { state.withLock { $0.pluginCrashTotal } }
    /// Pods failed by reboots so far.
    public var podsLostToReboots: Int { state.withLock { $0.podsLostToReboots } }

    /// Steps every ``Settings/tick`` until cancelled.
    public func run() async throws {
        while !Task.isCancelled {
            try? step()
            try await clock.sleep(for: settings.tick)
        }
    }

    static func key(_ pod: Pod) -> String { "\(pod.metadata.namespace ?? "")/\(pod.name)" }
}

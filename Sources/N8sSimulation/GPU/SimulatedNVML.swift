import N8sCore
import N8sServices
import Synchronization

/// A simulated NVML over ``SimulatedGPU``s, with injectable failures. Thread-safe; one instance
/// stands for one host's driver.
///
/// Faults (each consumed as it fires): ``phantomCreates`` (create reports success but nothing
/// appears: C02), ``failingDestroys`` (destroy fails with a code), ``failingCreates``;
/// ``isAvailable`` false makes every session throw ``NVMLError/unavailable(_:)``;
/// ``reboot()`` drops every instance and applies pending MIG modes.
public final class SimulatedNVML: NVMLLibrary {
    struct State {
        var gpus: [SimulatedGPU]
        var phantomCreates = 0
        var failingCreates: [NVMLReturn] = []
        var failingDestroys: [NVMLReturn] = []
        var isAvailable = true
        var sessions = 0
        var uuidCounter: UInt64 = 0
        var mutations = 0
    }

    let state: Mutex<State>

    public init(gpus: [SimulatedGPU]) { state = Mutex(State(gpus: gpus)) }

    /// `count` GPUs of one catalog model, MIG enabled, no instances.
    public convenience init(model: GPUModel, count: Int) {
        self.init(gpus: (0..<count).map { SimulatedGPU(model: model, index: $0) })
    }

    public func withSession<T>(_ body: (any NVMLSession) throws -> T) throws -> T {
        try state.withLock { s throws(NVMLError) in
            guard s.isAvailable else { throw .unavailable("libnvidia-ml.so.1: cannot open shared object file (simulated)") }
            s.sessions += 1
        }
        return try body(Session(nvml: self))
    }

    // MARK: Inspection and faults

    /// A copy of the GPUs.
    public var gpus: [SimulatedGPU] { state.withLock { $0.gpus } }
    /// Sessions opened so far (the library is opened around each action).
    public var sessionCount: Int { state.withLock { $0.sessions } }
    /// Successful creates and destroys so far.
    public var mutationCount: Int { state.withLock { $0.mutations } }

    public func update(_ body: (inout [SimulatedGPU]) -> Void) { state.withLock { body(&$0.gpus) } }
    public var isAvailable: Bool {
        get { state.withLock { $0.isAvailable } }
        set { state.withLock { $0.isAvailable = newValue } }
    }
    /// The next `count` GPU-instance creates return an id but create nothing.
    public func injectPhantomCreates(_ count: Int) { state.withLock { $0.phantomCreates += count } }
    /// The next creates fail with these codes, in order.
    public func injectCreateFailures(_ codes: [NVMLReturn]) { state.withLock { $0.failingCreates += codes } }
    /// The next destroys (compute or GPU instance) fail with these codes, in order.
    public func injectDestroyFailures(_ codes: [NVMLReturn]) { state.withLock { $0.failingDestroys += codes } }

    /// Sets the processes running on the MIG device with this UUID; `false` when no device has it.
    @discardableResult
    public func setProcesses(_ count: Int, onDevice uuid: String) -> Bool {
        state.withLock { s in
            for g in s.gpus.indices {
                for i in s.gpus[g].instances.indices {
                    for c in s.gpus[g].instances[i].computeInstances.indices where s.gpus[g].instances[i].computeInstances[c].migUUID == uuid {
                        s.gpus[g].instances[i].computeInstances[c].processes = count
                        return true
                    }
                }
            }
            return false
        }
    }

    /// A host reboot: MIG instances do not survive it; pending MIG modes take effect.
    public func reboot() {
        state.withLock { s in
            for g in s.gpus.indices {
                s.gpus[g].instances.removeAll()
                s.gpus[g].migEnabled = s.gpus[g].migPending
            }
        }
    }

    /// Creates an instance directly (an admin's `nvidia-smi mig -cgi … -C`), for test setup.
    /// - Returns: the MIG device UUID.
    @discardableResult
    public func seed(gpu: Int, _ placed: PlacedInstance, computeInstance: Bool = true) throws(NVMLError) -> String? {
        try state.withLock { s throws(NVMLError) -> String? in
            guard let id = s.gpus[gpu].profiles.first(where: { $0.name == placed.profile })?.id else { throw .invalidRequest("no profile \(placed.profile)") }
            let gi = try s.gpus[gpu].createGPUInstance(profileID: id, start: placed.start, uuidSeed: 0)
            guard computeInstance else { return nil }
            s.uuidCounter += 1
            return try s.gpus[gpu].createComputeInstance(gpuInstance: gi, uuidSeed: s.uuidCounter &* 7919 &+ UInt64(gpu)).migUUID
        }
    }

    func withGPU<T>(_ gpu: Int, _ body: (inout SimulatedGPU, inout State) throws(NVMLError) -> T) throws(NVMLError) -> T {
        try state.withLock { s throws(NVMLError) -> T in
            guard gpu >= 0, gpu < s.gpus.count else { throw .invalidRequest("GPU index \(gpu) does not exist") }
            var g = s.gpus[gpu]
            defer { s.gpus[gpu] = g }
            return try body(&g, &s)
        }
    }
}

import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import Logging
import ServiceLifecycle
import Synchronization

// Measures, over KubeSim in process (KubeSimTransport: KubeSim's HTTP handling without a socket):
// objects/s a watcher + store ingests (list of N, then N watch events), and reconciles/s a
// controller sustains on N objects.
// Run: swift run -c release kube-bench [objects]

struct NoopReconciler: Reconciler {
    let done: Counter
    func reconcile(_ object: ConfigMap, context: ReconcileContext) async throws -> Action {
        done.increment()
        return .awaitChange
    }
}

final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

func out(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func peakMemoryMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    else { return .nan }
    return kb / 1024
}

func waitFor(_ condition: @Sendable () -> Bool) async {
    while !condition() { try? await Task.sleep(for: .milliseconds(1)) }
}

let count = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 10_000
var logger = Logger(label: "n8s.bench")
logger.logLevel = .error
let server = KubeSim()
_ = try server.create(Namespace.self, Namespace(metadata: ObjectMeta(name: "bench")))
for i in 0..<count {
    var cm = ConfigMap(metadata: ObjectMeta(name: "cm-\(i)", namespace: "bench", labels: ["app": "bench", "shard": "\(i % 16)"]))
    cm.data = ["payload": String(repeating: "x", count: 256)]
    _ = try server.create(ConfigMap.self, cm)
}
let client = KubeClient(transport: KubeSimTransport(sim: server), qps: nil, logger: logger)
let api = client.resource(ConfigMap.self, in: "bench")

// 1. Watcher + store: initial list, then `count` modifications through the watch.
let store = Store<ConfigMap>()
let applied = Counter()
let watcher = Watcher(api: api, store: store, logger: logger) { changes in for _ in changes { applied.increment() } }
try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { try await watcher.run() }
    let listStart = ContinuousClock.now
    await waitFor { store.hasSynced }
    let listTime = ContinuousClock.now - listStart
    await waitFor { server.openWatchCount == 1 }
    let before = applied.count
    let watchStart = ContinuousClock.now
    for i in 0..<count {
        var cm = ConfigMap(metadata: ObjectMeta(name: "cm-\(i)", namespace: "bench", labels: ["app": "bench"]))
        cm.data = ["payload": "updated-\(i)"]
        _ = try server.update(cm)
    }
    await waitFor { applied.count - before >= count }
    let watchTime = ContinuousClock.now - watchStart
    out(String(format: "watcher list:  %d objects in %.3f s = %.0f objects/s", count, listTime.seconds, Double(count) / listTime.seconds))
    out(String(format: "watcher watch: %d events  in %.3f s = %.0f objects/s (write + stream + decode + store)", count, watchTime.seconds, Double(count) / watchTime.seconds))
    group.cancelAll()
}

// 2. Controller: time until every object has been reconciled once, then a full resync.
for workers in [1, 4] {
    let done = Counter()
    let controller = Controller(name: "bench", reconciler: NoopReconciler(done: done), api: api, workers: workers, logger: logger)
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await controller.run() }
        await waitFor { done.count >= count }
        let first = ContinuousClock.now - start
        out(String(format: "controller (%d workers): %d reconciles incl. list in %.3f s = %.0f reconciles/s", workers, count, first.seconds, Double(count) / first.seconds))
        group.cancelAll()
    }
}
out(String(format: "peak memory (VmHWM): %.1f MiB", peakMemoryMiB()))

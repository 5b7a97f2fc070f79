import Foundation
import KubeClient
import KubeCore
import KubeSim
import Logging
import Synchronization

// Measures KubeSim: create and patch throughput (objects/s) in process and over HTTP with the
// real KubeClient (AsyncHTTPClient on loopback), and watch fan-out to W watchers over HTTP,
// checking that every watcher sees every pod once, with strictly increasing resourceVersions.
// Run: swift run -c release kubesim-bench [pods] [watchers] [http-concurrency]

func out(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func peakMemoryMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    else { return .nan }
    return kb / 1024
}

func rate(_ n: Int, _ d: Duration) -> String { String(format: "%6d in %7.3f s = %8.0f /s", n, d.seconds, Double(n) / d.seconds) }

func pod(_ name: String, namespace: String) -> Pod {
    var container = Container(name: "main")
    container.unknownFields["image"] = "busybox"
    container.resources = ResourceRequirements(limits: ["cpu": "1", "nvidia.com/mig-1g.10gb": "1"])
    return Pod(metadata: ObjectMeta(name: name, namespace: namespace, labels: ["app": "bench"]), spec: PodSpec(containers: [container]))
}

/// Hands out 0, 1, 2, … to concurrent tasks.
final class Ticket: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// Runs `body(i)` for i in 0..<count with at most `width` in flight.
func concurrently(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    let next = Ticket()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<width {
            group.addTask {
                while true {
                    let i = next.take()
                    guard i < count else { return }
                    try await body(i)
                }
            }
        }
        try await group.waitForAll()
    }
}

let arguments = CommandLine.arguments.dropFirst().compactMap(Int.init)
let count = arguments.first ?? 10_000
let watcherCount = arguments.dropFirst().first ?? 10
let width = arguments.dropFirst(2).first ?? 16
var logger = Logger(label: "n8s.bench")
logger.logLevel = .error
let merge = JSONValue.object(["metadata": ["labels": ["patched": "yes"]]])

// 1. In process: KubeSim's own cost (JSON in, JSON stored, history, no watchers).
do {
    let sim = KubeSim()
    _ = try sim.create(Namespace.self, Namespace(metadata: ObjectMeta(name: "bench")))
    let type = try sim.resourceType(of: Pod.self)
    let bodies = try (0..<count).map { try KubeJSON.value(of: pod("p\($0)", namespace: "bench")) }
    var start = ContinuousClock.now
    for body in bodies { _ = try sim.create(type, namespace: "bench", body) }
    out("in process  create:    \(rate(count, ContinuousClock.now - start))")
    start = ContinuousClock.now
    for i in 0..<count { _ = try sim.patch(type, namespace: "bench", name: "p\(i)", merge, patchType: .merge) }
    out("in process  patch:     \(rate(count, ContinuousClock.now - start)) (merge patch)")
}

// 2. Over HTTP with KubeClient, `width` requests in flight; then watch fan-out.
let sim = KubeSim()
_ = try sim.create(Namespace.self, Namespace(metadata: ObjectMeta(name: "bench")))
try await sim.withServer { url in
    try await KubeClient.withHTTP(config: ClusterConfig(server: url), qps: nil, logger: logger) { client in
        let pods = client.resource(Pod.self, in: "bench")
        var start = ContinuousClock.now
        try await concurrently(count, width: width) { i in _ = try await pods.create(pod("p\(i)", namespace: "bench")) }
        out("HTTP        create:    \(rate(count, ContinuousClock.now - start)) (\(width) in flight)")
        start = ContinuousClock.now
        try await concurrently(count, width: width) { i in _ = try await pods.patch("p\(i)", .merge(merge)) }
        out("HTTP        patch:     \(rate(count, ContinuousClock.now - start)) (\(width) in flight, merge patch)")

        // Fan-out: W watches from now, then `count` new pods created in process as fast as possible.
        let from = sim.currentResourceVersion
        let streams = try await (0..<watcherCount).asyncMap { _ in try await pods.watch(from: from, timeout: .seconds(600), allowBookmarks: false) }
        while sim.openWatchCount < watcherCount { try await Task.sleep(for: .milliseconds(1)) }
        start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: (seen: Int, distinct: Int, ordered: Bool).self) { group in
            for stream in streams {
                group.addTask {
                    var names = Set<String>()
                    var last: UInt64 = 0
                    var ordered = true
                    var seen = 0
                    for try await event in stream {
                        guard case .added(let pod) = event else { continue }
                        let rv = UInt64(pod.metadata.resourceVersion ?? "") ?? 0
                        if rv <= last { ordered = false }
                        last = rv
                        seen += 1
                        names.insert(pod.name)
                        if seen == count { break }
                    }
                    return (seen, names.count, ordered)
                }
            }
            let type = try sim.resourceType(of: Pod.self)
            for i in 0..<count { _ = try sim.create(type, namespace: "bench", try KubeJSON.value(of: pod("w\(i)", namespace: "bench"))) }
            let written = ContinuousClock.now - start
            out("fan-out     writes:    \(rate(count, written)) (in process, \(watcherCount) watchers attached)")
            var all: [(seen: Int, distinct: Int, ordered: Bool)] = []
            for try await result in group { all.append(result) }
            return all
        }
        let elapsed = ContinuousClock.now - start
        let complete = results.allSatisfy { $0.seen == count && $0.distinct == count && $0.ordered }
        out("fan-out     delivered: \(rate(count * watcherCount, elapsed)) events to \(watcherCount) watchers over HTTP (decoded as Pod)")
        out("fan-out     check:     \(complete ? "every watcher saw all \(count) pods once, resourceVersions strictly increasing" : "FAILED: \(results)")")
        if !complete { exit(1) }
    }
}
out(String(format: "peak memory (VmHWM): %.1f MiB", peakMemoryMiB()))

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

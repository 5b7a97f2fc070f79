import Foundation
import KubeCore
import KubeSim

/// The users of a simulated cluster and the run's referee, one step every tick of the clock:
/// creates each ``WorkloadPod`` at its arrival (namespaces and requests from the scenario),
/// deletes trace pods at their `delete-at`, removes pods that finished (as a Job's TTL would, so
/// the API stays small), forwards the nodes' safety violations, by kind
/// (``SimulatedNode/violationLog``), to the recorder, reports progress, and decides when the run
/// is over (also early, when ``SimulationRun/Options/endWhen`` says so). A pod that failed because of its devices (``SafetyViolations/isDeviceFailure(_:)``)
/// did not finish its work: it is kept, and a run without `stopAfter` does not end as done while
/// one exists (it ends after ``SimulationRun/Options/idleLimit``).
struct WorkloadDriver: Sendable {
    let scenario: Scenario
    let sim: KubeSim
    let cluster: SimulatedCluster
    let recorder: SimulationRecorder
    let clock: any KubeClock
    let tick: Duration
    let options: SimulationRun.Options

    /// Returns at the end of the run, or when the task is cancelled.
    /// - Throws: ``SimulationError/output(path:reason:)`` when a component failed.
    func run(failures: ComponentFailures) async throws {
        let workload = scenario.workload
        let start = recorder.start
        var deletions = workload.compactMap { pod -> (at: Duration, namespace: String, name: String)? in
            if case .deleted(let at) = pod.end { return (at, pod.namespace, pod.name) }
            return nil
        }.sorted { $0.at < $1.at }[...]
        var next = 0
        var lastProgress = Duration.zero
        var lastEndCheck = Duration.zero
        var reported: [String: Int] = [:]
        var activity = (signature: "", at: Duration.zero)
        while !Task.isCancelled && !options.stop.isRequested {
            if let failure = failures.first { throw SimulationError.output(path: "simulation", reason: "a component stopped: \(failure)") }
            let elapsed = clock.elapsed(since: start)
            while next < workload.count, workload[next].arrival <= elapsed {
                let pod = workload[next]
                next += 1
                do { _ = try sim.create(Pod.self, pod.pod()) } catch {
                    throw SimulationError.invalidField(field: "pod \(pod.namespace)/\(pod.name)", reason: "KubeSim refused it: \(error)")
                }
            }
            while let first = deletions.first, first.at <= elapsed {
                deletions.removeFirst()
                // One second of grace: a bound pod is stopped by its kubelet, which frees its devices.
                _ = try? sim.delete(Pod.self, namespace: first.namespace, name: first.name, options: DeleteOptions(gracePeriodSeconds: 1))
            }
            for phase in ["Succeeded", "Failed"] {
                let finished = (try? sim.list(Pod.self, fieldSelector: FieldSelector([.init(field: "status.phase", value: phase)]))) ?? []
                for pod in finished where pod.metadata.labels?[SimulationAnnotations.workloadLabel] != nil && pod.metadata.deletionTimestamp == nil
                    && !SafetyViolations.isDeviceFailure(pod)
                {
                    _ = try? sim.delete(Pod.self, namespace: pod.metadata.namespace, name: pod.name)
                }
            }
            for member in cluster.members {
                let log = member.node.violationLog
                for entry in log.dropFirst(reported[member.node.name] ?? 0) {
                    recorder.violation(entry.kind, entry.detail, at: clock.now)
                }
                reported[member.node.name] = log.count
            }
            if let every = options.progressEvery, let progress = options.progress, elapsed - lastProgress >= every {
                lastProgress = elapsed
                progress(recorder.progressLine(at: clock.now))
            }
            if let endWhen = options.endWhen, elapsed - lastEndCheck >= options.endCheckEvery {
                lastEndCheck = elapsed
                if endWhen(sim, cluster.members.map(\.node), elapsed) { return }
            }
            if let stop = scenario.stopAfter {
                if elapsed >= stop { return }
            } else if next == workload.count {
                let live = ((try? sim.list(Pod.self)) ?? []).filter {
                    $0.metadata.labels?[SimulationAnnotations.workloadLabel] != nil
                        && ($0.status?.isTerminal != true || SafetyViolations.isDeviceFailure($0))
                }
                if live.isEmpty && deletions.isEmpty { return }
                let signature = live.map { "\($0.name)@\($0.spec.nodeName ?? "")" }.sorted().joined(separator: ",")
                if signature != activity.signature {
                    activity = (signature, elapsed)
                } else if elapsed - activity.at >= options.idleLimit {
                    return
                }
            }
            do { try await clock.sleep(for: tick) } catch { return }
        }
    }
}

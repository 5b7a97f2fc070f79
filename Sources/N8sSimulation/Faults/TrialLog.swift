import Foundation
import KubeCore
import Logging
import Synchronization

/// The latest log lines of one simulated run, kept in memory (the fault campaign writes them
/// beside the dump of a trial that did not converge). Each line carries the run's simulated time.
final class TrialLog: Sendable {
    private let lines = Mutex<[String]>([])
    private let capacity: Int

    init(capacity: Int = 50_000) { self.capacity = capacity }

    func append(_ line: String) {
        lines.withLock { l in
            l.append(line)
            if l.count > capacity + capacity / 4 { l.removeFirst(l.count - capacity) }
        }
    }

    /// The kept lines, oldest first, one per line.
    var text: String { lines.withLock { $0.joined(separator: "\n") } + "\n" }

    /// A handler writing into this log, stamped with `clock`'s time.
    func handler(label: String, clock: any KubeClock) -> any LogHandler { Handler(log: self, clock: clock) }

    struct Handler: LogHandler {
        let log: TrialLog
        let clock: any KubeClock
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            log.append("\(RFC3339.format(clock.now)) \(event.level) \(event.message)\(fields.isEmpty ? "" : " " + fields) [\(event.source)]")
        }
    }
}

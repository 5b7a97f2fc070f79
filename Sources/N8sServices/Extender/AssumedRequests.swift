import Foundation
import KubeCore

/// Requests the extender's `filter` has admitted but whose binding it has not observed yet
/// (docs/design.md section 6), so two pods cannot both take the last unit of a quota while the
/// first is still on its way to a node.
///
/// Keyed by pod UID. An entry goes when the pod is seen bound (it then counts as a bound pod),
/// deleted or terminal, when the same pod comes back to `filter` (its attempt failed; the new
/// answer replaces it), or when it is older than the timeout — longer than kube-scheduler's bind
/// timeout (`bindTimeoutSeconds`, 600 s by default), so a slow PreBind never frees it early.
/// Pure value; the time is passed in.
struct AssumedRequests: Sendable {
    struct Entry: Sendable {
        var pod: Pod
        var at: Date
    }

    private(set) var entries: [String: Entry] = [:]

    /// Marks `pod` (which has a UID) as admitted at `now`.
    mutating func assume(_ pod: Pod, at now: Date) {
        guard let uid = pod.metadata.uid, !uid.isEmpty else { return }
        entries[uid] = Entry(pod: pod, at: now)
    }

    /// Forgets the pod with `uid`; `true` when it was held.
    @discardableResult
    mutating func release(uid: String) -> Bool { entries.removeValue(forKey: uid) != nil }

    /// Drops entries older than `timeout` at `now`.
    mutating func expire(now: Date, timeout: Duration) {
        entries = entries.filter { now.timeIntervalSince($0.value.at) < timeout.seconds }
    }

    /// Releases the pod a watch event shows bound, terminal or deleted.
    mutating func observe(_ pod: Pod, deleted: Bool) {
        guard let uid = pod.metadata.uid, entries[uid] != nil else { return }
        if deleted || !(pod.spec.nodeName ?? "").isEmpty || pod.status?.isTerminal == true { release(uid: uid) }
    }

    /// The held pods as bound pods (``UsageRule/admission`` counts them), except `uid`.
    func podsCounted(except uid: String? = nil) -> [Pod] {
        entries.compactMap { key, entry in
            guard key != uid else { return nil }
            var pod = entry.pod
            pod.spec.nodeName = Self.assumedNode
            return pod
        }
    }

    /// The node name given to held pods while they count: no real node has it.
    static let assumedNode = "(assumed by n8s-scheduler-extender)"
}

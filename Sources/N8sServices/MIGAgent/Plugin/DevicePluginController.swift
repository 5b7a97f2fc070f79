import KubeClient
import KubeCore
import Logging
import N8sCore

/// Pauses and resumes the NVIDIA device plugin on one node, and waits for its effect on the
/// node's `status.allocatable`.
///
/// RBAC: `get`, `patch` on the node; `list` pods in all namespaces (or ``DevicePluginPause/namespaces``);
/// `delete` pods in the plugin's namespace (mode `deletePod`).
public struct DevicePluginController: Sendable {
    public let client: KubeClient
    public let nodeName: String
    public let settings: DevicePluginPause
    public let clock: any KubeClock
    public let pollInterval: Duration
    public let logger: Logger

    public init(client: KubeClient, nodeName: String, settings: DevicePluginPause, clock: any KubeClock, pollInterval: Duration, logger: Logger) {
        self.client = client
        self.nodeName = nodeName
        self.settings = settings
        self.clock = clock
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// What ``pause()`` did, for ``resume(_:)``.
    public struct PauseToken: Sendable, Hashable {
        /// UIDs of the plugin pods running before: after resume, a *different* Running pod is awaited (C37).
        public var previousPodUIDs: Set<String>
        /// `true` when the node label was changed.
        public var labelChanged: Bool
    }

    /// Sets the pause label (label modes; the previous value is kept in an annotation of the node,
    /// in the same patch, so a restarted agent restores it). `deletePod` changes nothing here.
    /// - Throws: ``KubeClientError``.
    public func pause() async throws -> PauseToken {
        let pods = try await pluginPods()
        let uids = Set(pods.compactMap(\.metadata.uid))
        guard settings.mode != .deletePod else { return PauseToken(previousPodUIDs: uids, labelChanged: false) }
        let node = try await client.resource(Node.self).get(nodeName)
        let annotations = node.metadata.annotations ?? [:]
        let current = node.metadata.labels?[settings.labelKey]
        if current == settings.pausedValue, annotations[MIGAgentNames.pausedLabelAnnotation] == nil {
            // Someone else (MIG Manager) paused it: do not take over its restore.
            return PauseToken(previousPodUIDs: uids, labelChanged: false)
        }
        var metadata: JSONObject = ["labels": .object([settings.labelKey: .string(settings.pausedValue)])]
        if annotations[MIGAgentNames.pausedLabelAnnotation] == nil {
            metadata["annotations"] = .object([MIGAgentNames.pausedLabelAnnotation: .string(current ?? "")])
        }
        _ = try await client.resource(Node.self).patch(nodeName, .merge(.object(["metadata": .object(metadata)])))
        logger.info("device plugin paused", metadata: ["k8s.name": "\(nodeName)", "label": "\(settings.labelKey)=\(settings.pausedValue)"])
        return PauseToken(previousPodUIDs: uids, labelChanged: true)
    }

    /// `true` when this agent left the plugin paused (its restore annotation is on the node).
    public static func isPausedByUs(_ node: Node) -> Bool {
        node.metadata.annotations?[MIGAgentNames.pausedLabelAnnotation] != nil
    }

    /// Restores the label (label modes) or deletes the plugin pods (mode `deletePod`), so the
    /// plugin registers again and lists the new devices.
    public func resume(_ token: PauseToken) async throws {
        switch settings.mode {
        case .deletePod:
            for pod in try await pluginPods() where token.previousPodUIDs.contains(pod.metadata.uid ?? "") {
                _ = try? await client.resource(Pod.self, in: pod.metadata.namespace).delete(pod.name)
            }
            logger.info("device plugin pod deleted to re-list devices", metadata: ["k8s.name": "\(nodeName)"])
        case .gpuOperatorLabel, .ownLabel:
            try await restoreLabel()
        }
    }

    /// Restores the label from the annotation written by ``pause()``; nothing when absent.
    public func restoreLabel() async throws {
        let node = try await client.resource(Node.self).get(nodeName)
        guard let previous = node.metadata.annotations?[MIGAgentNames.pausedLabelAnnotation] else { return }
        let value: JSONValue = previous.isEmpty ? (settings.resumedValue.map(JSONValue.string) ?? .null) : .string(previous)
        let patch: JSONValue = ["metadata": ["labels": .object([settings.labelKey: value]), "annotations": .object([MIGAgentNames.pausedLabelAnnotation: .null])]]
        _ = try await client.resource(Node.self).patch(nodeName, .merge(patch))
        logger.info("device plugin resumed", metadata: ["k8s.name": "\(nodeName)"])
    }

    /// Plugin pods on this node, found by any of the selectors.
    public func pluginPods() async throws -> [Pod] {
        var found: [String: Pod] = [:]
        let namespaces: [String?] = settings.namespaces.isEmpty ? [nil] : settings.namespaces
        for ns in namespaces {
            for text in settings.podSelectors {
                let selector = try LabelSelector(parsing: text)
                let field = try FieldSelector(parsing: "spec.nodeName=\(nodeName)")
                for pod in try await client.resource(Pod.self, in: ns).list(ListOptions(labelSelector: selector, fieldSelector: field)).items {
                    found[pod.metadata.uid ?? pod.name] = pod
                }
            }
        }
        return found.values.sorted { $0.name < $1.name }
    }

    /// The node's MIG allocatable: resource name to count, zero entries dropped.
    public static func migAllocatable(_ node: Node) -> [String: Int] {
        var out: [String: Int] = [:]
        for (name, q) in node.status?.allocatable ?? [:] where name.hasPrefix(MIGProfile.resourcePrefix) && q > .zero {
            out[name] = Int(q.value)
        }
        return out
    }

    /// Polls the node until every `nvidia.com/mig-*` allocatable reads 0.
    /// - Returns: `false` when `timeout` passed first.
    public func waitUntilDrained(timeout: Duration) async throws -> Bool {
        try await poll(timeout: timeout) {
            Self.migAllocatable(try await client.resource(Node.self).get(nodeName)).isEmpty
        }
    }

    /// Polls until the node advertises exactly `expected` (resource name to count) and, when the
    /// plugin pod can be found, a Running plugin pod other than the ones paused/deleted runs (C37).
    /// - Returns: `false` when `timeout` passed first.
    public func waitUntilAdvertising(_ expected: [String: Int], token: PauseToken, timeout: Duration) async throws -> Bool {
        try await poll(timeout: timeout) {
            let node = try await client.resource(Node.self).get(nodeName)
            guard Self.migAllocatable(node) == expected.filter({ $0.value > 0 }) else { return false }
            guard settings.mode == .deletePod || token.labelChanged || !token.previousPodUIDs.isEmpty else { return true }
            let pods = try await pluginPods()
            if pods.isEmpty && token.previousPodUIDs.isEmpty { return true }
            return pods.contains { p in
                p.status?.phase == "Running" && p.metadata.deletionTimestamp == nil
                    && (settings.mode != .deletePod || !token.previousPodUIDs.contains(p.metadata.uid ?? ""))
            }
        }
    }

    func poll(timeout: Duration, _ check: () async throws -> Bool) async throws -> Bool {
        let start = clock.now
        while true {
            if try await check() { return true }
            if clock.elapsed(since: start) >= timeout { return false }
            try await clock.sleep(for: pollInterval)
        }
    }
}

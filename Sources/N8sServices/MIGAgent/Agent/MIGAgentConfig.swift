import KubeCore

/// Settings of `n8s mig-agent` (config file + flags; see `MigAgentCommand`).
public struct MIGAgentConfig: Sendable, Hashable {
    /// The node this agent manages (`NODE_NAME` from the downward API).
    public var nodeName: String
    /// Unix socket of the kubelet PodResources API.
    public var podResourcesSocket: String = PodResourcesClient.defaultSocketPath
    /// How the device plugin is paused while GPUs change.
    public var pause: DevicePluginPause = DevicePluginPause()
    /// **Unsafe.** Allows a pause mode that leaves the devices advertised, and allocatable, while
    /// they are destroyed and created (``DevicePluginPause/Mode/deletePod``): the kubelet can
    /// hand a pod a device in the middle of a change. In that mode the agent re-reads what is used
    /// right before changing each GPU and leaves the GPU alone when the reading changed, which
    /// narrows the window but cannot close it. Default `false`: such a mode is refused at start
    /// (``validate()``).
    public var allowChangesWhileAdvertised = false
    /// Period of the status report (and of re-checking an unreachable spec).
    public var reportInterval: Duration = .seconds(10)
    /// Longest wait for the node's MIG allocatable to read 0 after pausing.
    public var pauseTimeout: Duration = .seconds(60)
    /// Longest wait for the node to advertise the new layout after resuming (C12, C37).
    public var resumeTimeout: Duration = .seconds(120)
    /// Interval between reads of the node and the plugin pod during those waits.
    public var pollInterval: Duration = .seconds(1)
    /// Backoff of retries of a spec whose apply failed (C01): first delay, doubling to the maximum.
    public var retryInitial: Duration = .seconds(10)
    public var retryMaximum: Duration = .seconds(300)
    /// Host file guarding GPU changes (two agents never act at once); `nil` disables it.
    public var lockFile: String? = "/run/n8s-mig-agent.lock"
    /// Report what would change, change nothing (no NVML mutations, no plugin pause).
    public var dryRun = false

    public init(nodeName: String) { self.nodeName = nodeName }

    /// Checks what the agent refuses to start with.
    /// - Throws: ``MIGAgentError/configuration(_:)`` naming the field: the `delete-pod` pause
    ///   mode without ``allowChangesWhileAdvertised``.
    public func validate() throws(MIGAgentError) {
        if pause.mode == .deletePod, !allowChangesWhileAdvertised {
            throw .configuration(
                "pauseMode 'delete-pod' leaves MIG devices advertised while they change; it is refused unless "
                    + "allowChangesWhileAdvertised is true (unsafe: a pod can be given a device that is being destroyed)")
        }
    }
}

/// How to keep the device plugin from handing out devices while they change.
public struct DevicePluginPause: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// The GPU Operator's node label `nvidia.com/gpu.deploy.device-plugin`, set to
        /// `paused-for-mig-change` and restored afterwards.
        case gpuOperatorLabel = "gpu-operator-label"
        /// A label of our own that a standalone plugin's DaemonSet selects on.
        case ownLabel = "own-label"
        /// Delete the plugin pod after the change so its DaemonSet starts a fresh one. Unsafe:
        /// devices stay advertised during the change, so it needs
        /// ``MIGAgentConfig/allowChangesWhileAdvertised``.
        case deletePod = "delete-pod"
    }

    public var mode: Mode = .gpuOperatorLabel
    /// The label key of the `gpuOperatorLabel` / `ownLabel` modes.
    public var labelKey = "nvidia.com/gpu.deploy.device-plugin"
    /// The label's value while paused.
    public var pausedValue = "paused-for-mig-change"
    /// The value written on resume when the label was absent before (`nil`: remove it).
    public var resumedValue: String? = nil
    /// Selectors that find the plugin pod on the node, across ``namespaces`` (any one matches).
    public var podSelectors: [String] = ["app=nvidia-device-plugin-daemonset", "app.kubernetes.io/name=nvidia-device-plugin"]
    /// Namespaces searched; empty: all namespaces.
    public var namespaces: [String] = []

    public init() {}

    /// Defaults of a mode: `ownLabel` uses `n8s.nebuly.ai/device-plugin` = `paused` / `enabled`.
    public init(mode: Mode) {
        self.mode = mode
        if mode == .ownLabel {
            labelKey = "n8s.nebuly.ai/device-plugin"
            pausedValue = "paused"
            resumedValue = "enabled"
        }
    }
}

/// Names of the agent's condition, its reasons (design.md section 3), and its own bookkeeping keys.
public enum MIGAgentNames {
    public static let conditionType = "N8sMigAgent"
    public static let fieldManager = "n8s-mig-agent"
    /// Annotation holding the plugin label's value from before a pause (`""` when it was absent),
    /// so a restarted agent still restores it.
    public static let pausedLabelAnnotation = "n8s.nebuly.ai/device-plugin-paused-from"
    /// Label of NVIDIA's MIG Manager pod (a foreign manager).
    public static let migManagerSelector = "app=nvidia-mig-manager"
    /// Reasons.
    public static let applied = "Applied"
    public static let applying = "Applying"
    public static let unreachable = "Unreachable"
    public static let applyFailed = "ApplyFailed"
    public static let migDisabled = "MigDisabled"
    public static let migModePendingReset = "MigModePendingReset"
    public static let foreignManager = "ForeignManager"
    public static let wrongMigStrategy = "WrongMigStrategy"
    public static let nvmlUnavailable = "NVMLUnavailable"
    public static let catalogMismatch = "CatalogMismatch"
    public static let deviceIDMismatch = "DeviceIDMismatch"
    public static let podResourcesUnavailable = "PodResourcesUnavailable"
    /// Reasons that need a person to change something on the node before the agent can partition
    /// it (the others pass on their own: `Applying`, `ApplyFailed` retried, `Unreachable` specs).
    public static let blockingReasons: Set<String> = [
        deviceIDMismatch, nvmlUnavailable, foreignManager, wrongMigStrategy, catalogMismatch, podResourcesUnavailable,
    ]
    public static let dryRun = "DryRun"
}

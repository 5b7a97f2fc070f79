import KubeClient
import KubeCore
import Logging
import ServiceLifecycle

/// Keeps a ``Store`` equal to the server's objects of one kind: lists (page by page), then
/// watches from the list's resourceVersion; resumes from the last version seen (including
/// bookmarks) after a dropped connection; relists at once on 410; backs off on other errors.
///
/// Changes go to `onChange` in order, one batch per event or per relist; a relist reports the
/// objects that vanished meanwhile as ``StoreChange/deleted(_:)``.
/// RBAC: `list` and `watch` on the kind.
public struct Watcher<Object: Resource>: Service {
    public let api: ResourceClient<Object>
    public let options: ListOptions
    public let store: Store<Object>
    public let onChange: @Sendable ([StoreChange<Object>]) async -> Void
    public let clock: any KubeClock
    public var backoff: Backoff = .watcher
    /// Items per list page.
    public var pageSize = 500
    /// Server-side timeout of each watch request; the watch is then resumed.
    public var watchTimeout: Duration = .seconds(290)
    public var logger: Logger

    public init(
        api: ResourceClient<Object>,
        options: ListOptions = ListOptions(),
        store: Store<Object>,
        clock: (any KubeClock)? = nil,
        logger: Logger = Logger(label: "n8s.watcher"),
        onChange: @escaping @Sendable ([StoreChange<Object>]) async -> Void = { _ in }
    ) {
        self.api = api
        self.options = options
        self.store = store
        self.clock = clock ?? api.client.clock
        self.logger = logger
        self.onChange = onChange
    }

    public func run() async throws {
        do { try await cancelWhenGracefulShutdown { try await loop() } } catch is CancellationError { return }
    }

    private func loop() async throws {
        var backoff = backoff
        var version: String?
        while !Task.isCancelled {
            do {
                let from: String
                if let version { from = version } else {
                    var listOptions = options
                    listOptions.limit = pageSize
                    let list = try await api.list(listOptions)
                    let changes = store.replaceAll(with: list.items)
                    if !changes.isEmpty { await onChange(changes) }
                    from = list.metadata.resourceVersion ?? ""
                    logger.debug("listed", metadata: ["k8s.kind": "\(Object.kind)", "k8s.count": "\(list.items.count)", "k8s.resource-version": "\(from)"])
                }
                version = from
                var received = false
                for try await event in try await api.watch(from: from, options: options, timeout: watchTimeout) {
                    received = true
                    if let change = store.apply(event) { await onChange([change]) }
                    if let next = event.resourceVersion, !next.isEmpty { version = next }
                    backoff.reset()
                }
                if !received { try await clock.sleep(for: backoff.next()) }
            } catch let error as KubeClientError where error.isGone {
                logger.info("watch history expired; relisting", metadata: ["k8s.kind": "\(Object.kind)"])
                version = nil
            } catch is CancellationError {
                return
            } catch {
                let delay = backoff.next()
                logger.warning("watch failed", metadata: ["k8s.kind": "\(Object.kind)", "retry.in": "\(delay)", "error": "\(error)"])
                try await clock.sleep(for: delay)
            }
        }
    }
}

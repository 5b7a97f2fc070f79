import AsyncHTTPClient
import Foundation
import KubeCore
import NIOCore

/// Calls one scheduler extender over HTTP with kube-scheduler's `extender/v1` JSON
/// (``ExtenderArgs`` → ``ExtenderFilterResult``, ``ExtenderBindingArgs`` → ``ExtenderBindingResult``).
///
/// Errors mirror kube-scheduler's texts: a non-200 answer is `failed <verb> with extender at
/// URL <url>, code <code>`; a non-empty `Error` field is that text.
struct ExtenderCaller: Sendable {
    let config: ExtenderConfig
    let http: HTTPClient

    /// Filters `nodes` for `pod`.
    /// - Returns: the extender's verdict; with `nodeCacheCapable: false`, names are taken from `Nodes`.
    /// - Throws: ``SimulationError/extender(url:reason:)`` when the call fails or the answer has an `Error`.
    func filter(_ pod: Pod, nodes: [Node]) async throws(SimulationError) -> ExtenderFilterResult {
        guard let verb = config.filterVerb else { return ExtenderFilterResult(nodeNames: nodes.compactMap(\.metadata.name)) }
        let args = config.nodeCacheCapable
            ? ExtenderArgs(pod: pod, nodeNames: nodes.compactMap(\.metadata.name))
            : ExtenderArgs(pod: pod, nodes: ObjectList(items: nodes))
        var result: ExtenderFilterResult = try await post(verb, args)
        if let error = result.error, !error.isEmpty { throw .extender(url: config.url(verb), reason: error) }
        if result.nodeNames == nil, let items = result.nodes?.items { result.nodeNames = items.compactMap(\.metadata.name) }
        return result
    }

    /// Asks the extender to bind `pod` to `node`.
    /// - Throws: ``SimulationError/extender(url:reason:)`` on failure or a non-empty `Error`.
    func bind(_ pod: Pod, to node: String) async throws(SimulationError) {
        guard let verb = config.bindVerb else { return }
        let args = ExtenderBindingArgs(
            podName: pod.metadata.name ?? "",
            podNamespace: pod.metadata.namespace ?? "",
            podUID: pod.metadata.uid ?? "",
            node: node
        )
        let result: ExtenderBindingResult = try await post(verb, args)
        if let error = result.error, !error.isEmpty { throw .extender(url: config.url(verb), reason: error) }
    }

    private func post<Body: Encodable, Answer: Decodable>(_ verb: String, _ body: Body) async throws(SimulationError) -> Answer {
        let url = config.url(verb)
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try KubeJSON.encode(body)))
            let timeout = TimeAmount.nanoseconds(Int64(config.httpTimeout.seconds * 1e9))
            let response = try await http.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 16 << 20)
            guard response.status.code == 200 else {
                throw SimulationError.extender(url: url, reason: "failed \(verb) with extender at URL \(url), code \(response.status.code)")
            }
            do { return try KubeJSON.decode(Answer.self, from: Data(buffer: bytes)) } catch {
                throw SimulationError.extender(url: url, reason: "unreadable \(Answer.self): \(error)")
            }
        } catch let error as SimulationError {
            throw error
        } catch {
            throw .extender(url: url, reason: "Post \"\(url)\": \(error)")
        }
    }
}

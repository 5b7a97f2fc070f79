import KubeCore

/// The key of one request counter.
struct RequestCountKey: Hashable {
    var verb: String
    /// The plural, or `plural/subresource`.
    var resource: String
    var caller: Caller?
}

extension KubeSim {
    // MARK: - Fault injection

    /// Makes the next `count` calls of `verb` on `resource` fail with `status`.
    ///
    /// - Parameters:
    ///   - verb: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, or `*`;
    ///     subresource calls use the main verb (`create` for binding and eviction).
    ///   - resource: the plural (`pods`), `pods/status` for a subresource only, or `*`.
    ///   - caller: only calls over HTTP from matching callers (and they alone use up `count`);
    ///     `nil`: every call, in process too.
    public func failNext(_ count: Int, verb: String, resource: String, with status: APIStatus, caller: CallerMatch? = nil) {
        state.withLock { $0.faults.append(Fault(verb: verb, resource: resource, remaining: count, status: status, caller: caller)) }
    }

    /// Cuts matching callers off, as a network partition would: from now on every HTTP request
    /// they send is answered `503 ServiceUnavailable`, and their open watches are closed.
    /// Other callers, and in-process calls, are served as before. Undo with ``reconnect(_:)``.
    public func cutOff(_ caller: CallerMatch) {
        state.withLock { $0.cutOff.append(caller) }
        dropWatches(of: caller)
    }

    /// Serves callers cut off by ``cutOff(_:)`` with `caller` again.
    public func reconnect(_ caller: CallerMatch) {
        state.withLock { $0.cutOff.removeAll { $0 == caller } }
    }

    /// Whether requests from `caller` are refused now (see ``cutOff(_:)``).
    public func isCutOff(_ caller: Caller?) -> Bool {
        state.withLock { s in s.cutOff.contains { $0.matches(caller) } }
    }

    // MARK: - Request counts

    /// How many API calls were received (failed ones included), since start or ``resetRequestCounts()``.
    ///
    /// Counted once per call of ``get(_:namespace:name:)``, ``list(_:namespace:options:)``,
    /// ``watch(_:namespace:options:)`` (one per watch opened), create, update, patch, delete,
    /// bind and evict, in process and over HTTP; discovery and refused (401, cut-off) requests
    /// are not counted.
    /// - Parameters:
    ///   - verb: as for ``failNext(_:verb:resource:with:caller:)``, or `*`.
    ///   - resource: `pods`, `pods/status`, or `*`; a plural alone counts its main resource only.
    ///   - caller: only HTTP calls from matching callers; `nil`: every call.
    public func requestCount(verb: String = "*", resource: String = "*", caller: CallerMatch? = nil) -> Int {
        state.withLock { s in
            s.requestCounts.reduce(0) { total, entry in
                let (key, count) = entry
                guard verb == "*" || key.verb == verb, resource == "*" || key.resource == resource,
                    caller?.matches(key.caller) ?? true
                else { return total }
                return total + count
            }
        }
    }

    /// Sets every request counter back to zero.
    public func resetRequestCounts() {
        state.withLock { $0.requestCounts.removeAll() }
    }

    /// Counts the call, then throws the first injected fault that matches it.
    func checkFault(verb: String, type: ResourceType, subresource: String?) throws(APIStatus) {
        let resource = subresource.map { "\(type.plural)/\($0)" } ?? type.plural
        let caller = Caller.current
        let fault = state.withLock { s -> APIStatus? in
            s.requestCounts[RequestCountKey(verb: verb, resource: resource, caller: caller), default: 0] += 1
            if let random = s.randomFaults.draw(verb: verb, caller: caller) { return random }
            guard let i = s.faults.firstIndex(where: { f in
                (f.verb == "*" || f.verb == verb)
                    && (f.resource == "*" || f.resource == resource || (subresource == nil && f.resource == type.plural))
                    && (f.caller?.matches(caller) ?? true)
            }) else { return nil }
            s.faults[i].remaining -= 1
            let status = s.faults[i].status
            if s.faults[i].remaining <= 0 { s.faults.remove(at: i) }
            return status
        }
        if let fault { throw fault }
    }
}

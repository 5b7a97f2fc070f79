import N8sFuzzing

/// libFuzzer entry point: `kubeconfig` (see `FuzzTarget.kubeconfig`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.kubeconfig.run(UnsafeBufferPointer(start: start, count: count))
    return 0
}

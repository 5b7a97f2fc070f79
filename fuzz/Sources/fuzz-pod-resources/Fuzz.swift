import N8sFuzzing

/// libFuzzer entry point: `pod-resources` (see `FuzzTarget.podResources`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.podResources.run(UnsafeBufferPointer(start: start, count: count))
    return 0
}

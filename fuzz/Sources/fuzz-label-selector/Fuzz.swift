import N8sFuzzing

/// libFuzzer entry point: `label-selector` (see `FuzzTarget.labelSelector`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.labelSelector.run(UnsafeBufferPointer(start: start, count: count))
    return 0
}

import N8sFuzzing

/// libFuzzer entry point: `quantity` (see `FuzzTarget.quantity`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.quantity.run(UnsafeBufferPointer(start: start, count: count))
    return 0
}

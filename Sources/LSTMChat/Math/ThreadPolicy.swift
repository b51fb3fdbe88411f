/// How many threads lstmchat's own kernels split a piece of work over.
enum ThreadPolicy {
    /// Below this many floating-point operations a product runs on one thread: handing half of
    /// it to another thread and waiting for it costs more than it saves.
    static var minimumFlopsToSplit = 4 << 20

    static func threads(forFlops flops: Int) -> Int {
        flops >= minimumFlopsToSplit ? BLASInfo.threads : 1
    }
}

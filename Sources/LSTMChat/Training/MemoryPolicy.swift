import CKernels

/// How a training run asks glibc's allocator to give memory back.
public enum MemoryPolicy {
    /// Blocks of 256 KiB and more are mapped on their own and unmapped when freed. glibc's default
    /// threshold rises to the size of each such block freed, after which the batch workspaces
    /// that grow and the setup's temporary arrays stay in its heap once freed: 4 MB of a
    /// 500,000-pair run's peak memory. A workspace grows a few times in a run, so mapping it
    /// costs nothing measurable.
    public static func unmapLargeBlocksWhenFreed() {
        lstmchat_map_blocks_from(256 << 10)
    }
}

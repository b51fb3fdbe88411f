// glibc's allocator control that Swift's Glibc module leaves out (mallopt): `MemoryPolicy`.
#pragma once

// Blocks of `bytes` and more are mapped on their own and unmapped when freed, whatever was freed
// before (M_MMAP_THRESHOLD, which also stops glibc from raising the threshold as it goes).
void lstmchat_map_blocks_from(int bytes);

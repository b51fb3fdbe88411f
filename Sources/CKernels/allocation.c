#include "allocation.h"

#include <malloc.h>

void lstmchat_map_blocks_from(int bytes) { mallopt(M_MMAP_THRESHOLD, bytes); }

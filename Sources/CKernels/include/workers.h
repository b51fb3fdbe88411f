// lstmchat's worker threads (Math/ThreadPolicy.swift): the hand-off of a product's blocks to the
// other cores, fast enough for the hundreds of small products of a training step.
#ifndef LSTMCHAT_WORKERS_H
#define LSTMCHAT_WORKERS_H

/// Runs body(context, part) for every part in 0..<parts, on the calling thread and on up to
/// parts − 1 worker threads (started at the first call that needs them), and returns when all
/// are done. Parts are claimed one at a time, by whichever thread is free first, so a worker
/// the scheduler has parked holds no part it has not started. A call made while another is
/// running (another thread's, or from inside a part) runs its parts on its own thread.
void lstmchat_parallel_for(int parts, void (*body)(void *context, int part), void *context);

/// Worker threads started so far.
int lstmchat_worker_count(void);
#endif

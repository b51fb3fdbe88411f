// Worker threads that wait for work by spinning for a short while before they sleep.
//
// A training step makes hundreds of small products (the LSTM's recurrent product, 0.1–0.5 ms
// each, between two gate kernels on the calling thread). Handing half of one to a thread that
// sleeps in the kernel means waking it through the scheduler, and on a virtual machine the
// idle vCPU through the hypervisor: tens to hundreds of microseconds, as long as the half
// itself. So a worker, once it has run a part, spins for a while (SPIN_NANOSECONDS) watching
// for the next job before it sleeps on a futex, as OpenMP runtimes do.
#define _GNU_SOURCE
#include "workers.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { MAX_WORKERS = 255 };
static const long SPIN_NANOSECONDS = 500 * 1000;

// The job: `state` holds the job's number (high 32 bits) and its parts not yet claimed (low
// 32); a part is claimed by a compare-and-swap on it, so a late worker can never claim a part
// of a job that has ended. `body` and `context` are read only by the holder of a claimed part,
// and the caller does not return (and set up the next job) until every claimed part is done.
static _Atomic uint64_t state;
static _Atomic uint32_t generation;  // the futex word: the number of the latest job
static _Atomic int done;             // parts of the current job finished
static _Atomic int sleepers;         // workers asleep on the futex
static void (*job_body)(void *, int);
static void *job_context;

static pthread_mutex_t running = PTHREAD_MUTEX_INITIALIZER;  // one job at a time
static int workers;

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Claims and runs parts of the current job until none is left.
static void run_parts(void) {
    uint64_t s = atomic_load(&state);
    while ((uint32_t)s > 0) {
        if (!atomic_compare_exchange_weak(&state, &s, s - 1)) continue;  // s is reloaded
        job_body(job_context, (int)(uint32_t)s - 1);
        atomic_fetch_add_explicit(&done, 1, memory_order_release);
        s = atomic_load(&state);
    }
}

static void *worker(void *unused) {
    (void)unused;
    uint32_t seen = atomic_load(&generation);
    for (;;) {
        long spinUntil = now_ns() + SPIN_NANOSECONDS;
        for (int i = 0; atomic_load_explicit(&generation, memory_order_acquire) == seen; i++) {
            cpu_relax();
            if ((i & 255) != 255 || now_ns() < spinUntil) continue;
            atomic_fetch_add(&sleepers, 1);  // then the futex re-checks the word: no wake-up is lost
            syscall(SYS_futex, &generation, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
            atomic_fetch_sub(&sleepers, 1);
        }
        seen = atomic_load(&generation);
        run_parts();
    }
    return NULL;
}

int lstmchat_worker_count(void) { return workers; }

void lstmchat_parallel_for(int parts, void (*body)(void *, int), void *context) {
    if (parts > 1 && pthread_mutex_trylock(&running) == 0) {
        while (workers < parts - 1 && workers < MAX_WORKERS) {
            pthread_t thread;
            if (pthread_create(&thread, NULL, worker, NULL) != 0) break;  // the caller runs the rest
            pthread_detach(thread);
            workers++;
        }
        job_body = body;
        job_context = context;
        atomic_store(&done, 0);
        uint32_t job = atomic_load(&generation) + 1;
        atomic_store(&state, (uint64_t)job << 32 | (uint32_t)parts);
        atomic_store(&generation, job);
        if (atomic_load(&sleepers) > 0) syscall(SYS_futex, &generation, FUTEX_WAKE_PRIVATE, parts - 1, NULL, NULL, 0);
        run_parts();
        while (atomic_load_explicit(&done, memory_order_acquire) < parts) cpu_relax();
        pthread_mutex_unlock(&running);
        return;
    }
    for (int p = 0; p < parts; p++) body(context, p);
}

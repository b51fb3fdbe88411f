import Foundation
@testable import LSTMChat
import Testing

/// The thread tuner keeps whichever of its two settings runs steps faster, and notices when
/// that changes. Steps here are sleeps whose length depends on the thread count set.
/// The suites that set lstmchat's thread count (`ThreadPolicy.threads`, a global) run one at a time.
@Suite(.serialized) struct ThreadCountTests {}

extension ThreadCountTests {
    @Suite struct ThreadTunerTests {
        /// Runs `steps` steps of 5 ms per unit of `slowdown` for the thread count in use (long
        /// enough that a sleep overshooting by a few milliseconds on a loaded machine does not
        /// turn the choice: at 1 ms a unit it once did).
        static func run(_ tuner: ThreadTuner, steps: Int, slowdown: @escaping (Int) -> Double) {
            for _ in 0..<steps {
                tuner.measure(work: 10) { usleep(UInt32(5000 * slowdown(ThreadPolicy.threads))) }
            }
        }

        @Test func keepsTheFasterSettingAndSwitchesBackWhenTheLoadChanges() {
            let saved = ThreadPolicy.threads
            defer { ThreadPolicy.threads = saved }
            ThreadPolicy.threads = 2
            let tuner = ThreadTuner()
            tuner.recheckInterval = 10
            // Two threads three times slower than one (a busy core): one is chosen after the trial.
            Self.run(tuner, steps: 8, slowdown: { $0 == 2 ? 9 : 3 })
            #expect(tuner.threads == 1 && tuner.switches == 1)
            // The load goes away: two threads twice as fast; the next trial (after 10 steps) sees it.
            Self.run(tuner, steps: 16, slowdown: { $0 == 2 ? 2 : 4 })
            #expect(tuner.threads == 2 && tuner.switches == 2)
            #expect(tuner.maximum == 2)
        }

        @Test func oneThreadGivenIsNeverChanged() {
            let saved = ThreadPolicy.threads
            defer { ThreadPolicy.threads = saved }
            ThreadPolicy.threads = 1
            let tuner = ThreadTuner()
            Self.run(tuner, steps: 8, slowdown: { _ in 1 })
            #expect(tuner.threads == 1 && tuner.switches == 0)
        }
    }
}

import FarmStore
import Synchronization

/// The farm counted in PostgreSQL for `/metrics` and the dashboard's queue:
/// at most once a second and one count at a time, however many ask (the
/// routes are open or cheap to call); the others get the latest count.
/// Only the count that ran sets the gauges, so they never go back to an older one.
final class FarmCensus: Sendable {
    private struct State {
        var latest: CensusRepository.Census?
        var takenAt: ContinuousClock.Instant?
        var counting = false
    }

    private let repository: CensusRepository
    private let state = Mutex(State())

    init(repository: CensusRepository) {
        self.repository = repository
    }

    /// A count at most a second old, or the latest while another is running.
    func current() async throws -> CensusRepository.Census {
        let cached: CensusRepository.Census? = state.withLock { state in
            if let latest = state.latest,
               state.counting || state.takenAt.map({ ContinuousClock.now - $0 < .seconds(1) }) == true {
                return latest
            }
            state.counting = true
            return nil
        }
        if let cached { return cached }
        do {
            let census = try await repository.take()
            ServerMetrics.record(census)
            state.withLock { $0 = State(latest: census, takenAt: .now, counting: false) }
            return census
        } catch {
            state.withLock { $0.counting = false }
            throw error
        }
    }
}

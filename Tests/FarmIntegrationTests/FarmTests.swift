import FarmModel
import FarmStore
import FarmWorker
import Foundation
import Testing

/// Every whole-farm test, one at a time: they share the broker's farm
/// queues (and one of them restarts the broker).
@Suite(.serialized) struct FarmTests {}

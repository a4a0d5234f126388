export { BatchReader } from './batch-reader';
export { type ConsumerInput, type EventInputs, eventsFor, type LogConsumer, type Projector, type Reactor, reactorOf } from './consumer';
export { type ConsumerReport, consumerReports, secondsSince } from './consumer-reports';
export { clearStall, type Lease, loadConsumerRows, releaseLeases, takeLeaseFor, moveCheckpoint } from './leases';
export { LogConsumers1764001000000 } from './log-consumers.migration';
export { type ConsumerRuntimeStatus, LogConsumerRuntime, type LogConsumerRuntimeOptions } from './runtime';

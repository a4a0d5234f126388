export * from './call.events';
export * from './call.commands';
export * from './call.errors';
export {
  availableBudgetMinor,
  callDecider,
  callIsOpenForSubmissions,
  commitmentOf,
  decideCall,
  evolveCall,
  initialCallState,
  outstandingMinor,
} from './call.decider';
export type { CallState, CallStatus, CallTerms, ExistingCall, FundsCommitment, NoCall } from './call.decider';
export { isIso3166Alpha2 } from './iso-3166';
export * from './call.command-rules';

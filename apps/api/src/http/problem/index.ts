export * from './problem-types';
export * from './validation';
export * from './problem-details.filter';
export * from './problem-details.swagger';
export * from './service-unavailable';

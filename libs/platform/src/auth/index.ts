export * from './roles';
export * from './auth.config';
export * from './token-verifier';
export * from './sign-token';
export * from './auth.decorators';
export * from './auth.guard';
export * from './auth.module';
export * from './authentication-failures';

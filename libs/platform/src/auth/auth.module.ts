import { Module, type DynamicModule, type ModuleMetadata, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AUTH_CONFIG, type AuthConfig } from './auth.config';
import { AuthGuard } from './auth.guard';
import { TokenVerifier } from './token-verifier';

export interface AuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's factory signature
  useFactory: (...args: any[]) => AuthConfig | Promise<AuthConfig>;
  inject?: NonNullable<Extract<Provider, { useFactory: unknown }>['inject']>;
}

const verifierProvider: Provider = {
  provide: TokenVerifier,
  useFactory: (config: AuthConfig) => new TokenVerifier(config),
  inject: [AUTH_CONFIG],
};

const guardProvider: Provider = { provide: APP_GUARD, useClass: AuthGuard };

/** Registers TokenVerifier and AuthGuard as the global guard. Import once, in the app's root module. */
@Module({})
export class AuthModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: AuthModule,
      providers: [{ provide: AUTH_CONFIG, useValue: config }, verifierProvider, guardProvider],
      exports: [AUTH_CONFIG, TokenVerifier],
    };
  }

  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    return {
      module: AuthModule,
      imports: options.imports ?? [],
      providers: [
        { provide: AUTH_CONFIG, useFactory: options.useFactory, inject: options.inject ?? [] },
        verifierProvider,
        guardProvider,
      ],
      exports: [AUTH_CONFIG, TokenVerifier],
    };
  }
}

// Lint: TypeScript recommended rules, plus the layering rule that keeps the domain pure.
import tseslint from 'typescript-eslint';

const DOMAIN = ['libs/domain/src/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', '.tmp/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Deciders are pure: no framework, no infrastructure, no clock, no id generation.
    files: DOMAIN,
    ignores: ['**/*.spec.ts', 'libs/domain/src/shared/testing.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@nestjs/*', 'typeorm', 'typeorm/*', 'pg', 'pg-*', '@eventstore/*', '@kurrent/*', 'express', 'jose', 'pino*', 'nestjs-pino'], message: 'Domain code imports no framework or infrastructure.' },
            { group: ['@app/event-store*', '@app/read-models*', '@app/platform*', '**/application/**'], message: 'Domain code depends on nothing outside the domain.' },
            { group: ['node:*', 'fs', 'crypto', 'http', 'https', 'net', 'child_process'], message: 'Domain code does no I/O; pass results in on the command.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Time comes in on the command (injected clock).' },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Time comes in on the command (injected clock).' },
        { selector: "CallExpression[callee.name='randomUUID']", message: 'Ids come in on the command.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Deciders are deterministic.' },
      ],
    },
  },
);

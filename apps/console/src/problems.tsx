/**
 * A problem as the reader is told it, in their language: the server's problem details as it sent
 * them, and around them what the console knows — no answer came (the device is offline, or the
 * network or the server could not be reached, or the answer was lost), the server is unavailable
 * for a moment (503) or asks to slow down (429) and says when to try again (`Retry-After`), and, for
 * a command, whether anything may have been recorded. A read offers to try again (once the wait the
 * server asked for is over); a command is sent again from its form, which keeps what was typed.
 */
import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { Problem } from './api';
import { useLocale } from './i18n';

/** Trying again may help: no answer, the server unavailable or busy, or a server error. */
export const isTransient = (problem: Problem): boolean => problem.unreachable !== undefined || problem.status === 429 || problem.status >= 500;

/** A command without an answer, or with a 5xx: it may have been recorded, or not. */
const outcomeUnknown = (problem: Problem): boolean => problem.command === true && !problem.notSent && (problem.unreachable !== undefined || problem.status >= 500);

/**
 * A command sent again with the key of an earlier one whose answer was lost, after the view was read
 * again: the API refuses a key only once a request sent with it was recorded (it remembers no failed
 * one), so the command was recorded then, once.
 */
const recordedBefore = (problem: Problem): boolean => problem.command === true && problem.rule === 'idempotency.key-reused';

/** Re-renders once `at` (epoch ms) has passed; answers whether it has. */
function usePassed(at: number | undefined): boolean {
  const [, setTick] = useState(0);
  const passed = at === undefined || Date.now() >= at;
  useEffect(() => {
    if (passed || at === undefined) return undefined;
    const timer = setTimeout(() => setTick((n) => n + 1), at - Date.now() + 50);
    return () => clearTimeout(timer);
  }, [at, passed]);
  return passed;
}

export interface ProblemNoticeProps {
  problem?: Problem;
  /** Reads the same again: offered for a problem that trying again may mend. */
  onRetry?: () => void;
  /** What the refused rule means here (a form's `explain`), above the server's detail. */
  explanation?: string;
  testId?: string;
}

export function ProblemNotice({ problem, onRetry, explanation, testId }: ProblemNoticeProps): JSX.Element | null {
  const { t, count } = useLocale();
  const waited = usePassed(problem?.retryAt);
  if (!problem) return null;
  const headline =
    problem.unreachable === 'offline'
      ? t('problem.offline')
      : problem.unreachable === 'no-answer'
        ? t('problem.noAnswer')
        : problem.status === 503
          ? t('problem.unavailable')
          : problem.status === 429
            ? t('problem.tooMany')
            : t('common.error', { status: problem.status, title: problem.title });
  const retryable = onRetry !== undefined && isTransient(problem);
  return (
    <div class="problem" role="alert" data-testid={testId} data-problem={problem.unreachable ?? String(problem.status)}>
      <strong>{headline}</strong>
      {problem.command && problem.notSent && <p data-testid="problem-outcome">{t('problem.notSent')}</p>}
      {outcomeUnknown(problem) && <p data-testid="problem-outcome">{t('problem.outcomeUnknown')}</p>}
      {!problem.command && problem.unreachable !== undefined && <p>{t('problem.checkConnection')}</p>}
      {problem.retryAfterSeconds !== undefined && (
        <p data-testid="retry-after">{t(problem.command ? 'problem.sendAgainIn' : 'problem.retryIn', { wait: count('common.seconds', problem.retryAfterSeconds) })}</p>
      )}
      {recordedBefore(problem) && <p class="explanation" data-testid="problem-outcome">{t('problem.recordedBefore')}</p>}
      {explanation !== undefined && <p class="explanation">{explanation}</p>}
      {/* The server's detail, as sent; not the key's own ("use a new key"), which the line above says in the reader's terms. */}
      {problem.detail && !recordedBefore(problem) && <p>{problem.detail}</p>}
      {problem.rule && <p><code>{problem.rule}</code></p>}
      {retryable && (
        <p>
          <button type="button" class="secondary" onClick={onRetry} disabled={!waited} data-testid="retry">
            {t('problem.retry')}
          </button>
        </p>
      )}
    </div>
  );
}

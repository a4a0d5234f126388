import type { JSX } from 'preact';
import type { Problem } from '../api';
import { type MessageKey, useLocale } from '../i18n';

/** A status in words (translated), with its raw value for tests and styling. */
export function StatusBadge({ status }: { status: string }): JSX.Element {
  const { t } = useLocale();
  const key = `status.${status}` as MessageKey;
  const label = t(key);
  return <span class={`badge status-${status}`} data-status={status}>{label === key ? status : label}</span>;
}

/** The server's problem details, as it sent them. */
export function ProblemNotice({ problem }: { problem?: Problem }): JSX.Element | null {
  const { t } = useLocale();
  if (!problem) return null;
  return (
    <div class="problem" role="alert">
      <strong>{t('common.error', { status: problem.status, title: problem.title })}</strong>
      {problem.detail && <p>{problem.detail}</p>}
      {problem.rule && <p><code>{problem.rule}</code></p>}
    </div>
  );
}

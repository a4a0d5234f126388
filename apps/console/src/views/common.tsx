import type { JSX } from 'preact';
import { fetchRaw, type Problem } from '../api';
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

/**
 * Downloads what `path` answers (with the bearer, which a plain link cannot carry) and hands it to
 * the browser as a file; answers the object URL kept for a second click, the file's name and size.
 * Throws the problem when the API refuses.
 */
export async function downloadFile(path: string, fallbackName: string): Promise<{ url: string; name: string; size: number }> {
  const response = await fetchRaw(path);
  const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1] ?? fallbackName;
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  anchor.click();
  return { url, name, size: blob.size };
}

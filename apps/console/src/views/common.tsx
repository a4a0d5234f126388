import type { JSX } from 'preact';
import { fetchRaw } from '../api';
import { type MessageKey, type Translate, useLocale } from '../i18n';

/**
 * A proposal's budget lines as a table (the review queue, the applicant's proposal and an invitation's
 * terms): each line's label isolated (<bdi>), its amount in the proposal's money, in a scrolling wrapper
 * for narrow screens.
 */
export function BudgetLinesTable({ lines, currency, caption, testId }: { lines: readonly { label: string; amountMinor: number }[]; currency: string; caption: MessageKey; testId: string }): JSX.Element {
  const { t, money } = useLocale();
  return (
    <div class="table-scroll">
      <table data-testid={testId}>
        <caption>{t(caption)}</caption>
        <tbody>
          {lines.map((line, i) => (
            <tr key={i}><th scope="row"><bdi>{line.label}</bdi></th><td class="num">{money(line.amountMinor, currency)}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The server's problem details, in the reader's words (problems.tsx). */
export { ProblemNotice } from '../problems';

/**
 * A translated sentence with user-supplied text in it (a title, a line's name), each piece of which
 * is isolated in <bdi>: Arabic and Latin text mixed keep their order, within it and around it.
 */
export function sentence(t: Translate, key: MessageKey, params: Record<string, string | number>, isolated: Record<string, string>): JSX.Element {
  const names = Object.keys(isolated);
  const marked = Object.fromEntries(names.map((name, i) => [name, `\uE000${i}\uE000`]));
  const parts = t(key, { ...params, ...marked }).split(/\uE000(\d+)\uE000/);
  return <>{parts.map((part, i) => (i % 2 === 1 ? <bdi key={i}>{isolated[names[Number(part)]]}</bdi> : part))}</>;
}

/**
 * A status in words (translated), with its raw value for tests and styling. `of` names what has the
 * status, for languages whose words agree with it (in French a tranche is "annulée", a call
 * "annulé"): its own word (`status.tranche.cancelled`) where there is one, else the common one.
 */
export function StatusBadge({ status, of }: { status: string; of?: 'grant' | 'tranche' | 'report' }): JSX.Element {
  const { lookup } = useLocale();
  const label = (of && lookup(`status.${of}.${status}`)) ?? lookup(`status.${status}`) ?? status;
  return <span class={`badge status-${status}`} data-status={status}>{label}</span>;
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

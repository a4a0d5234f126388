/**
 * The page's title (the browser tab, the history, what a screen reader says first): the view, and
 * the record open in it, then the console's name, in the reader's language. One component per
 * screen sets it (the view's own); a view kept hidden while the tab signs in again does not.
 */
import { createContext } from 'preact';
import { useContext, useLayoutEffect } from 'preact/hooks';
import { directionOf, useLocale } from './i18n';

/** False while the views are kept hidden behind the sign-in (app.tsx): their title waits. */
export const TitleActive = createContext(true);

/**
 * Sets `document.title` to the parts given (most specific first; the undefined ones left out)
 * followed by the console's name. `records` are names people typed (a title): isolated right to
 * left (FSI…PDI), as the page isolates them in <bdi>, so a Latin title keeps its place in Arabic.
 */
export function useDocumentTitle(parts: readonly (string | undefined)[], records: readonly (string | undefined)[] = []): void {
  const { t, language } = useLocale();
  const active = useContext(TitleActive);
  const isolate = (text: string) => (directionOf(language) === 'rtl' ? `\u2068${text}\u2069` : text);
  const title = [...records.filter((r): r is string => Boolean(r)).map(isolate), ...parts.filter((p): p is string => Boolean(p)), t('app.title')].join(' — ');
  useLayoutEffect(() => {
    if (active) document.title = title;
  }, [title, active]);
}

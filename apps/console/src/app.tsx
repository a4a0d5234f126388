import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { homeOf, isView, mayUse, navigationOf, OrganisationContext, RoleContext, type View } from './access';
import { type Problem, setBearer, UNAUTHORIZED_EVENT } from './api';
import { directionOf, initialLanguage, type Language, LANGUAGES, type Locale, LocaleContext, localeOf, type Translate, useLocale } from './i18n';
import { ProblemNotice } from './problems';
import { completeOidcSignIn, type OidcConfig, savedSession, saveSession, type Session, sessionFromToken } from './session';
import { TitleActive, useDocumentTitle } from './title';
import { ApplicantView } from './views/applicant';
import { Board, Portfolio } from './views/board';
import { ReviewQueue } from './views/reviews';
import { SignIn } from './views/sign-in';
import { RecordSearch, RecordView } from './views/time-machine';

/** Why the sign-in view shows: kept as what happened, so it is said in the language chosen afterwards too. */
type SignInNotice = { reason: 'refused' } | { reason: 'no-view'; role: string } | { reason: 'other'; text: string };

function noticeText(notice: SignInNotice | undefined, t: Translate, role: (name: string) => string): string | undefined {
  if (!notice) return undefined;
  if (notice.reason === 'refused') return t('signIn.refused');
  if (notice.reason === 'no-view') return t('signIn.noView', { role: role(notice.role) });
  return notice.text;
}

/**
 * The tab's sign-in ended while it was in use — the token expired (`expired`, seen here at its
 * `exp`, before any request is refused) or the API refused it (`refused`) — or the reader renews it
 * before it ends (`renew`). The views stay mounted, hidden behind the sign-in, with everything typed
 * in their forms: in this page's memory only, never written to any storage (sessionStorage may be
 * written to disk for session restore, and a form can hold personal data). The same person signing
 * in again finds them as they were; anyone else, or a sign-out, starts afresh.
 */
type Lapse = { reason: 'expired' | 'refused' | 'renew'; sub: string; role: string };

/** How long before the token's expiry the reader is warned: time to finish and send a form. */
const EXPIRY_WARNING_MS = 5 * 60_000;
/** How often the token's expiry is checked (timers are late after a device sleeps; a check is not). */
const EXPIRY_CHECK_MS = 5_000;

/** Whole minutes (at least one) until `at`, in words: "in 5 minutes", "dans 5 minutes", "خلال 5 دقائق". */
function inMinutes(locale: Locale, at: number, now: number): string {
  return new Intl.RelativeTimeFormat(locale.tag, { numeric: 'always' }).format(Math.max(1, Math.ceil((at - now) / 60_000)), 'minute');
}

/** The view a hash names (`#/board/<call>` → board); none for an empty or unknown hash. */
const viewOf = (route: string[]): View | undefined => (isView(route[0]) ? route[0] : undefined);

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

export function App(): JSX.Element {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const [minorUnits, setMinorUnits] = useState<Record<string, number>>({});
  const locale = useMemo(() => localeOf(language, minorUnits), [language, minorUnits]);
  const { t } = locale;
  // A token kept from before a reload that has expired since signs the tab out saying so, as a
  // token the API refuses does without a reload.
  const [saved] = useState(() => savedSession());
  const [session, setSession] = useState<Session | undefined>(() => (typeof saved === 'object' && homeOf(saved.role) ? saved : undefined));
  const [oidc, setOidc] = useState<OidcConfig | null>(null);
  const [signInNotice, setSignInNotice] = useState<SignInNotice | undefined>(() => (saved === undefined || typeof saved === 'object' ? undefined : { reason: 'refused' }));
  const [lapse, setLapse] = useState<Lapse>();
  /** The views' key: a new one discards everything the views held (another person signed in). */
  const [generation, setGeneration] = useState(0);
  /** The settings could not be read (no answer): said in words, with a retry. */
  const [configProblem, setConfigProblem] = useState<Problem>();
  const [configAttempt, setConfigAttempt] = useState(0);
  const hash = useHash();
  // While the sign-in lapsed (not while it is renewed), no request goes with the old token.
  setBearer(lapse && lapse.reason !== 'renew' ? undefined : session?.token);

  // In the same commit as the text: a screen reader (and a test) never meets French words under
  // lang="en". useEffect waits for the next frame, which a background tab may not draw for long.
  // (The title is each view's: title.ts.)
  useLayoutEffect(() => {
    document.documentElement.lang = language;
    document.documentElement.dir = directionOf(language);
    localStorage.setItem('grant-ledger-console-language', language);
  }, [language]);

  useEffect(() => {
    setConfigProblem(undefined);
    fetch('/console/config.json')
      .then(
        (response) => response.json() as Promise<{ oidc: OidcConfig | null; currencyMinorUnits?: Record<string, number> }>,
        (error: unknown) => {
          // No answer: said in the reader's language (never "TypeError: Failed to fetch"), with a retry.
          setConfigProblem({ type: 'about:blank', title: String(error), status: 0, detail: '', instance: '', unreachable: navigator.onLine === false ? 'offline' : 'no-answer' });
          return undefined;
        },
      )
      .then(async (config) => {
        if (!config) return;
        if (config.currencyMinorUnits) setMinorUnits(config.currencyMinorUnits);
        setOidc(config.oidc);
        if (!config.oidc) return;
        const token = await completeOidcSignIn(config.oidc);
        const next = token ? sessionFromToken(token) : undefined;
        if (next && typeof next !== 'string') signIn(next);
      })
      .catch((error: unknown) => setSignInNotice({ reason: 'other', text: String(error) }));
  }, [configAttempt]);

  // Read by the listeners registered once (the API's 401, the expiry check).
  const current = useRef({ session, lapse });
  current.current = { session, lapse };

  /** The sign-in ended under the views: they stay, hidden, for the same person to sign in again. */
  const lapseSession = (reason: 'expired' | 'refused') => {
    const { session: now, lapse: before } = current.current;
    saveSession(undefined);
    setBearer(undefined);
    if (!now) setSignInNotice({ reason: 'refused' });
    else if (!before || before.reason === 'renew') setLapse({ reason, sub: now.sub, role: now.role });
  };

  useEffect(() => {
    const onUnauthorized = () => lapseSession('refused');
    addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
  }, []);

  const signIn = (next: Session) => {
    const home = homeOf(next.role);
    if (!home) {
      // Partner systems: no view here would answer them anything but 403. Not kept.
      saveSession(undefined);
      setSignInNotice({ reason: 'no-view', role: next.role });
      return;
    }
    // Someone else than the person whose sign-in lapsed: nothing they typed is shown or sent.
    if (session && (next.sub !== session.sub || next.role !== session.role)) setGeneration((n) => n + 1);
    saveSession(next);
    setBearer(next.token);
    setSignInNotice(undefined);
    setLapse(undefined);
    setSession(next);
    if (!viewOf(location.hash.replace(/^#\/?/, '').split('/'))) location.hash = `#/${home}`;
  };
  const signOut = () => {
    saveSession(undefined);
    setBearer(undefined);
    setLapse(undefined);
    setSession(undefined);
    // Whatever the views held goes with them.
    setGeneration((n) => n + 1);
  };

  const route = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const home = session && homeOf(session.role);
  // An empty or unknown hash shows the role's home; a view the role may not use says so, and asks nothing of the API.
  const shown = viewOf(route) ?? home;
  let view: JSX.Element | undefined;
  if (!session || !home || !shown) view = undefined;
  else if (!mayUse(session.role, shown)) view = <NotForRole role={locale.role(session.role)} home={home} t={t} />;
  else if (shown === 'audit' && route[1] && route[2] && ['call', 'proposal', 'grant'].includes(route[1])) view = <RecordView kind={route[1] as 'call'} id={route[2]} />;
  else if (shown === 'audit') view = <RecordSearch />;
  else if (shown === 'board') view = <Board callId={route[1]} proposalId={route[2]} />;
  else if (shown === 'portfolio') view = <Portfolio />;
  else if (shown === 'applicant') view = <ApplicantView kind={route[1]} id={route[2]} />;
  else view = <ReviewQueue proposalId={viewOf(route) === 'reviews' ? route[1] : undefined} />;
  const lapseText =
    lapse?.reason === 'expired'
      ? t('signIn.expiredKept', { sub: lapse.sub, role: locale.role(lapse.role) })
      : lapse?.reason === 'refused'
        ? t('signIn.refusedKept', { sub: lapse.sub, role: locale.role(lapse.role) })
        : undefined;
  const signInShown = view === undefined || lapse !== undefined;

  return (
    <LocaleContext.Provider value={locale}>
      <RoleContext.Provider value={session?.role ?? ''}>
      <OrganisationContext.Provider value={session?.org}>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>{t('app.skip')}</a>
      <header class="top">
        <h1>{t('app.title')}</h1>
        {session && home && !(lapse && lapse.reason !== 'renew') && (
          <nav aria-label="main">
            <ul>
              {navigationOf(session.role).map((item) => (
                <li key={item.hash}>
                  <a href={item.hash} aria-current={hash.startsWith(item.hash) ? 'page' : undefined}>{t(item.label)}</a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div class="tools">
          <label for="language">{t('nav.language')}</label>
          <select id="language" value={language} onChange={(e) => setLanguage(e.currentTarget.value as Language)}>
            {Object.entries(LANGUAGES).map(([code, name]) => (
              <option key={code} value={code} lang={code}>{name}</option>
            ))}
          </select>
          {session && home && !(lapse && lapse.reason !== 'renew') && (
            <>
              <span class="who" data-testid="who">{t('nav.signedInAs', { role: locale.role(session.role), sub: session.sub })}</span>
              <button type="button" class="secondary" onClick={signOut}>{t('nav.signOut')}</button>
            </>
          )}
        </div>
      </header>
      {session?.expiresAt !== undefined && (
        <ExpiryWatch
          key={session.token}
          expiresAt={session.expiresAt}
          quiet={lapse !== undefined}
          onExpired={() => lapseSession('expired')}
          onRenew={() => setLapse({ reason: 'renew', sub: session.sub, role: session.role })}
        />
      )}
      <main id="main" tabIndex={-1}>
        {configProblem && <ProblemNotice problem={configProblem} onRetry={() => setConfigAttempt((n) => n + 1)} />}
        {signInShown && (
          <SignIn
            oidc={oidc}
            onSignIn={signIn}
            error={lapseText ?? noticeText(signInNotice, t, locale.role)}
            keeping={lapse !== undefined}
            onCancel={lapse?.reason === 'renew' ? () => setLapse(undefined) : undefined}
          />
        )}
        {view && (
          <TitleActive.Provider value={!signInShown}>
            <div key={generation} hidden={signInShown} data-testid="views">{view}</div>
          </TitleActive.Provider>
        )}
      </main>
      </OrganisationContext.Provider>
      </RoleContext.Provider>
    </LocaleContext.Provider>
  );
}

/**
 * The token's expiry, checked every few seconds and when the tab comes back into view (timers run
 * late after a device sleeps; a check does not): a warning EXPIRY_WARNING_MS before, with a way to
 * renew the sign-in without losing anything; at expiry, `onExpired` (the tab signs out at once,
 * before any request meets a 401). Its own component: the check re-renders this, not the views.
 */
function ExpiryWatch({ expiresAt, quiet, onExpired, onRenew }: { expiresAt: number; quiet: boolean; onExpired(): void; onRenew(): void }): JSX.Element | null {
  const locale = useLocale();
  const [now, setNow] = useState(() => Date.now());
  const expired = useRef(onExpired);
  expired.current = onExpired;
  useEffect(() => {
    const stop = () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', check);
    };
    const check = () => {
      const at = Date.now();
      setNow(at);
      if (at < expiresAt) return;
      // Once: the tab is signed out; a new token comes with a watch of its own.
      stop();
      expired.current();
    };
    const timer = setInterval(check, EXPIRY_CHECK_MS);
    document.addEventListener('visibilitychange', check);
    check();
    return stop;
  }, [expiresAt]);
  if (quiet || now >= expiresAt || expiresAt - now > EXPIRY_WARNING_MS) return null;
  return (
    <div class="expiry" role="alert" data-testid="expiry-warning">
      <p>{locale.t('session.expiring', { when: inMinutes(locale, expiresAt, now) })}</p>
      <button type="button" class="secondary" onClick={onRenew}>{locale.t('session.renew')}</button>
    </div>
  );
}

function NotForRole({ role, home, t }: { role: string; home: View; t: Translate }): JSX.Element {
  useDocumentTitle([t('common.notAvailable')]);
  return (
    <section class="panel" role="alert" aria-labelledby="not-for-role" data-testid="not-for-role">
      <h2 id="not-for-role">{t('common.notForRole', { role })}</h2>
      <p><a href={`#/${home}`}>{t('common.goHome', { view: t(`nav.${home}`) })}</a></p>
    </section>
  );
}

import { useEffect, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { homeOf, isView, mayUse, navigationOf, RoleContext, type View } from './access';
import { setBearer, UNAUTHORIZED_EVENT } from './api';
import { directionOf, initialLanguage, type Language, LANGUAGES, LocaleContext, localeOf, type Translate } from './i18n';
import { completeOidcSignIn, type OidcConfig, savedSession, saveSession, type Session, sessionFromToken } from './session';
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
  const hash = useHash();
  setBearer(session?.token);

  // In the same commit as the text: a screen reader (and a test) never meets French words under
  // lang="en". useEffect waits for the next frame, which a background tab may not draw for long.
  useLayoutEffect(() => {
    document.documentElement.lang = language;
    document.documentElement.dir = directionOf(language);
    document.title = t('app.title');
    localStorage.setItem('grant-ledger-console-language', language);
  }, [language]);

  useEffect(() => {
    fetch('/console/config.json')
      .then((response) => response.json() as Promise<{ oidc: OidcConfig | null; currencyMinorUnits?: Record<string, number> }>)
      .then(async (config) => {
        if (config.currencyMinorUnits) setMinorUnits(config.currencyMinorUnits);
        setOidc(config.oidc);
        if (!config.oidc) return;
        const token = await completeOidcSignIn(config.oidc);
        const next = token ? sessionFromToken(token) : undefined;
        if (next && typeof next !== 'string') signIn(next);
      })
      .catch((error: unknown) => setSignInNotice({ reason: 'other', text: String(error) }));
  }, []);

  useEffect(() => {
    const onUnauthorized = () => {
      saveSession(undefined);
      setBearer(undefined);
      setSession(undefined);
      setSignInNotice({ reason: 'refused' });
    };
    addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
  }, []);

  const signIn = (next: Session) => {
    const home = homeOf(next.role);
    if (!home) {
      // Applicants and partners: no view here would answer them anything but 403. Not kept.
      saveSession(undefined);
      setSignInNotice({ reason: 'no-view', role: next.role });
      return;
    }
    saveSession(next);
    setBearer(next.token);
    setSignInNotice(undefined);
    setSession(next);
    if (!viewOf(location.hash.replace(/^#\/?/, '').split('/'))) location.hash = `#/${home}`;
  };
  const signOut = () => {
    saveSession(undefined);
    setBearer(undefined);
    setSession(undefined);
  };

  const route = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const home = session && homeOf(session.role);
  // An empty or unknown hash shows the role's home; a view the role may not use says so, and asks nothing of the API.
  const shown = viewOf(route) ?? home;
  let view: JSX.Element;
  if (!session || !home || !shown) view = <SignIn oidc={oidc} onSignIn={signIn} error={noticeText(signInNotice, t, locale.role)} />;
  else if (!mayUse(session.role, shown)) view = <NotForRole role={locale.role(session.role)} home={home} t={t} />;
  else if (shown === 'audit' && route[1] && route[2] && ['call', 'proposal', 'grant'].includes(route[1])) view = <RecordView kind={route[1] as 'call'} id={route[2]} />;
  else if (shown === 'audit') view = <RecordSearch />;
  else if (shown === 'board') view = <Board callId={route[1]} proposalId={route[2]} />;
  else if (shown === 'portfolio') view = <Portfolio />;
  else view = <ReviewQueue proposalId={viewOf(route) === 'reviews' ? route[1] : undefined} />;

  return (
    <LocaleContext.Provider value={locale}>
      <RoleContext.Provider value={session?.role ?? ''}>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>{t('app.skip')}</a>
      <header class="top">
        <h1>{t('app.title')}</h1>
        {session && home && (
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
          {session && home && (
            <>
              <span class="who" data-testid="who">{t('nav.signedInAs', { role: locale.role(session.role), sub: session.sub })}</span>
              <button type="button" class="secondary" onClick={signOut}>{t('nav.signOut')}</button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>{view}</main>
      </RoleContext.Provider>
    </LocaleContext.Provider>
  );
}

function NotForRole({ role, home, t }: { role: string; home: View; t: Translate }): JSX.Element {
  return (
    <section class="panel" role="alert" aria-labelledby="not-for-role" data-testid="not-for-role">
      <h2 id="not-for-role">{t('common.notForRole', { role })}</h2>
      <p><a href={`#/${home}`}>{t('common.goHome', { view: t(`nav.${home}`) })}</a></p>
    </section>
  );
}

import { useEffect, useMemo, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { setBearer, UNAUTHORIZED_EVENT } from './api';
import { directionOf, initialLanguage, type Language, LANGUAGES, LocaleContext, localeOf } from './i18n';
import { completeOidcSignIn, type OidcConfig, savedSession, saveSession, type Session, sessionFromToken } from './session';
import { Board, Portfolio } from './views/board';
import { ReviewQueue } from './views/reviews';
import { SignIn } from './views/sign-in';
import { RecordSearch, RecordView } from './views/time-machine';

const NAV: Record<string, { hash: string; label: 'nav.audit' | 'nav.board' | 'nav.portfolio' | 'nav.reviews' }[]> = {
  auditor: [{ hash: '#/audit', label: 'nav.audit' }, { hash: '#/portfolio', label: 'nav.portfolio' }],
  admin: [{ hash: '#/board', label: 'nav.board' }, { hash: '#/portfolio', label: 'nav.portfolio' }, { hash: '#/audit', label: 'nav.audit' }],
  'grant-manager': [{ hash: '#/board', label: 'nav.board' }, { hash: '#/portfolio', label: 'nav.portfolio' }, { hash: '#/audit', label: 'nav.audit' }],
  reviewer: [{ hash: '#/reviews', label: 'nav.reviews' }],
};

const HOME: Record<string, string> = { auditor: '#/audit', admin: '#/board', 'grant-manager': '#/board', reviewer: '#/reviews' };

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
  const [session, setSession] = useState<Session | undefined>(() => savedSession());
  const [oidc, setOidc] = useState<OidcConfig | null>(null);
  const [signInError, setSignInError] = useState<string>();
  const hash = useHash();
  setBearer(session?.token);

  useEffect(() => {
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
      .catch((error: unknown) => setSignInError(String(error)));
  }, []);

  useEffect(() => {
    const onUnauthorized = () => {
      saveSession(undefined);
      setBearer(undefined);
      setSession(undefined);
      setSignInError(t('signIn.refused'));
    };
    addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
  }, [t]);

  const signIn = (next: Session) => {
    saveSession(next);
    setBearer(next.token);
    setSignInError(undefined);
    setSession(next);
    if (!location.hash || location.hash === '#/') location.hash = HOME[next.role] ?? '#/audit';
  };
  const signOut = () => {
    saveSession(undefined);
    setBearer(undefined);
    setSession(undefined);
  };

  const route = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  let view: JSX.Element;
  if (!session) view = <SignIn oidc={oidc} onSignIn={signIn} error={signInError} />;
  else if (route[0] === 'audit' && route[1] && route[2] && ['call', 'proposal', 'grant'].includes(route[1])) view = <RecordView kind={route[1] as 'call'} id={route[2]} />;
  else if (route[0] === 'audit') view = <RecordSearch />;
  else if (route[0] === 'board') view = <Board callId={route[1]} proposalId={route[2]} />;
  else if (route[0] === 'portfolio') view = <Portfolio />;
  else if (route[0] === 'reviews') view = <ReviewQueue proposalId={route[1]} />;
  else view = session.role === 'reviewer' ? <ReviewQueue /> : session.role === 'auditor' ? <RecordSearch /> : <Board />;

  return (
    <LocaleContext.Provider value={locale}>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>{t('app.skip')}</a>
      <header class="top">
        <h1>{t('app.title')}</h1>
        {session && (
          <nav aria-label="main">
            <ul>
              {(NAV[session.role] ?? NAV.auditor).map((item) => (
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
          {session && (
            <>
              <span class="who" data-testid="who">{t('nav.signedInAs', { role: session.role, sub: session.sub })}</span>
              <button type="button" class="secondary" onClick={signOut}>{t('nav.signOut')}</button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>{view}</main>
    </LocaleContext.Provider>
  );
}
